/**
 * Opens a journal directory (migrating it if it is of the first format) in a process of its own, replays it, and
 * prints what it read and the process's peak memory: `{ entries, payloadBytes, firstOffset, lastOffset, maxRssBytes }`.
 * Used by the journal tests to measure memory apart from mocha's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Journal } from '../../../oracle/src/ingest/journal';

const directory = process.argv[2]!;
const journal = new Journal({ directory });
let entries = 0;
let payloadBytes = 0;
let firstOffset: number | undefined;
let lastOffset: number | undefined;
const digest = createHash('sha256');
for (const entry of journal.replay()) {
  entries++;
  payloadBytes += entry.payload.length;
  firstOffset ??= entry.offset;
  lastOffset = entry.offset;
  digest.update(entry.payload);
  journal.complete(entry.offset);
}
journal.close();
process.stdout.write(
  `${JSON.stringify({
    entries,
    payloadBytes,
    firstOffset,
    lastOffset,
    sha256: digest.digest('hex'),
    // This process's own peak (VmHWM of its memory map, new at exec): getrusage's maxRSS also counts the parent's
    // resident memory at fork, which in a full test run (a large mocha process) is more than this process ever uses.
    maxRssBytes: Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024,
  })}\n`,
);
