import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { AgentError } from '../errors';

/**
 * A persisted, strictly increasing sequence number. It leases blocks: the file records the end of the current block
 * (fsynced) before any number of it is used, so a crash at any instant only skips ahead, never repeats.
 *
 * @example
 * const sequence = new SequenceStore(join(dataDir, 'sequence'))
 * const seq = sequence.next()
 */
export class SequenceStore {
  private nextValue: number;
  private leasedUntil: number;

  /**
   * @param file where the lease is kept.
   * @param blockSize how many numbers one write leases (default 1,000).
   */
  constructor(private readonly file: string, private readonly blockSize = 1_000) {
    let stored = 0;
    try {
      const text = readFileSync(file, 'utf8').trim();
      stored = Number(text);
      if (!Number.isSafeInteger(stored) || stored < 0) {
        throw new AgentError(`The sequence file ${file} is corrupt.`, { details: `holds ${JSON.stringify(text)}` });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    this.nextValue = stored;
    this.leasedUntil = stored;
  }

  /** The next number: above every number this store ever returned, across restarts. */
  next(): number {
    if (this.nextValue >= this.leasedUntil) this.lease(this.nextValue + this.blockSize);
    return this.nextValue++;
  }

  /** Takes every number up to `value` (leasing as needed): {@link next} returns more than `value` from then on. */
  reserveThrough(value: number): void {
    if (value < this.nextValue) return;
    if (value >= this.leasedUntil) this.lease(value + this.blockSize);
    this.nextValue = value + 1;
  }

  /** The number {@link next} will return, without taking it. */
  peek(): number {
    return this.nextValue;
  }

  private lease(until: number): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${until}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.file);
    this.leasedUntil = until;
  }
}
