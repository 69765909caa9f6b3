/**
 * `npm run bench:store:ingest`: the store's snapshot write path on the embedded server, on this machine: one
 * `insertSnapshot` transaction per snapshot (sequentially, and `--concurrency` at once), `insertSnapshots` in
 * multi-row chunks, and claiming batches. Snapshots per second; `--snapshots` (default 5,000) per case, 100 devices.
 * Then the telemetry write path: `recordTelemetryBatch` (batch row, latest reading, the reading in its day's
 * partition in one statement, then the replay ledger and the sequence gaps) with one message per call (one
 * transaction each, sequentially and `--concurrency` at once) and 100 or 1,000 per call; messages per second,
 * `--telemetry` (default 20,000) per case, 100 devices continuing their snapshots' counters (no gaps), a body like a
 * device's (load, network, 4 sensors).
 *
 * @example
 * npm run bench:store:ingest -- --snapshots 20000 --concurrency 16
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  claimUnbatchedSnapshots,
  ensureDatabase,
  ensureTelemetryPartitions,
  recordTelemetryBatch,
  type TelemetryMessageInput,
  insertSnapshot,
  insertSnapshots,
  openStore,
  recordEvent,
  startEmbeddedServer,
  withTransaction,
  type SnapshotInput,
  type Store,
} from '../../store/src';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';

// Each device numbers its messages with its own counter, so consecutive snapshots of a device are consecutive
// numbers (no sequence gaps), as a device publishing only snapshots.
let next = 0;
const deviceSeqs = new Map<number, number>();
function snapshots(count: number): SnapshotInput[] {
  return Array.from({ length: count }, () => {
    const n = next++;
    const device = n % 100;
    const seq = deviceSeqs.get(device) ?? 0;
    deviceSeqs.set(device, seq + 1);
    return {
      deviceId: `0x${device.toString(16).padStart(64, '0')}`,
      seq,
      collectedAt: Date.now(),
      hash: `0x${n.toString(16).padStart(64, '0')}`,
      cid: `bafkrei${n}`,
    };
  });
}

// Telemetry continues each device's one counter (over every kind, as the agent numbers them): no sequence gaps.
let nextTelemetry = 0;
function telemetry(count: number): TelemetryMessageInput[] {
  return Array.from({ length: count }, () => {
    const device = nextTelemetry++ % 100;
    const seq = deviceSeqs.get(device) ?? 0;
    deviceSeqs.set(device, seq + 1);
    return {
      deviceId: `0x${device.toString(16).padStart(64, '0')}`,
      seq,
      ts: new Date().toISOString(),
      body: {
        cpuPercent: seq % 100,
        memoryUsedPercent: 41.5,
        load1: 0.25,
        processCount: 120,
        network: {
          intervalSeconds: 1,
          packetsInPerSec: 12,
          packetsOutPerSec: 9,
          bytesInPerSec: 1_800,
          bytesOutPerSec: 1_100,
          protocolMix: { tcp: 0.9, udp: 0.1, icmp: 0 },
          newConnectionsPerSec: 0,
          failedConnectionsPerSec: 0,
        },
        sensors: ['zone0', 'zone1', 'wind', 'soil'].map((name, i) => ({ name, value: 20 + i, unit: 'C' })),
      },
    };
  });
}

async function rate(count: number, work: () => Promise<unknown>): Promise<string> {
  const started = performance.now();
  await work();
  return `${Math.round(count / ((performance.now() - started) / 1000)).toLocaleString('en')} /s`;
}

async function main(): Promise<void> {
  assertNodeVersion(22, 'The store ingest benchmark');
  const { values } = parseArgs({
    options: {
      snapshots: { type: 'string', default: '5000' },
      telemetry: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const telemetryCount = Number(values.telemetry);
  const count = Number(values.snapshots);
  const concurrency = Number(values.concurrency);
  const base = mkdtempSync(join(tmpdir(), 'store-bench-'));
  chmodSync(base, 0o711);
  const server = await startEmbeddedServer({ dataDir: join(base, 'pg') });
  let store: Store | undefined;
  try {
    await ensureDatabase(server.url, 'bench');
    store = await openStore({ databaseUrl: server.urlFor('bench'), poolSize: concurrency });
    const db = store;
    const results: [string, string][] = [];
    const one = snapshots(count);
    results.push([
      'insertSnapshot, one at a time',
      await rate(count, async () => {
        for (const snapshot of one) await insertSnapshot(db, snapshot);
      }),
    ]);
    const parallel = snapshots(count);
    results.push([
      `insertSnapshot, ${concurrency} at once`,
      await rate(count, () =>
        Promise.all(
          Array.from({ length: concurrency }, async (_, lane) => {
            for (let at = lane; at < parallel.length; at += concurrency) await insertSnapshot(db, parallel[at]!);
          }),
        ),
      ),
    ]);
    // The same with an outbox event in each transaction: numbered at commit under the events lock (and notified).
    const announced = snapshots(count);
    results.push([
      `insertSnapshot + recordEvent, ${concurrency} at once`,
      await rate(count, () =>
        Promise.all(
          Array.from({ length: concurrency }, async (_, lane) => {
            for (let at = lane; at < announced.length; at += concurrency) {
              const snapshot = announced[at]!;
              await withTransaction(db, async (tx) => {
                await insertSnapshot(tx, snapshot);
                await recordEvent(tx, {
                  kind: 'snapshot',
                  deviceId: snapshot.deviceId,
                  payload: { seq: snapshot.seq },
                });
              });
            }
          }),
        ),
      ),
    ]);
    for (const chunk of [100, 1_000]) {
      const many = snapshots(count);
      results.push([
        `insertSnapshots, ${chunk} per call`,
        await rate(count, async () => {
          for (let at = 0; at < many.length; at += chunk) await insertSnapshots(db, many.slice(at, at + chunk));
        }),
      ]);
    }
    const queued = next;
    results.push([
      `claimUnbatchedSnapshots, 1,024 per batch (${queued.toLocaleString('en')} queued)`,
      await rate(queued, async () => {
        while ((await claimUnbatchedSnapshots(db, { limit: 1_024 })) !== undefined);
      }),
    ]);
    console.log(`store snapshot writes, embedded PostgreSQL ${store.serverVersion}, fsync on, ${count} per case:`);
    for (const [what, figure] of results) console.log(`  ${what.padEnd(60)} ${figure}`);

    await ensureTelemetryPartitions(db);
    const telemetryResults: [string, string][] = [];
    let batchNumber = 0;
    const record = (messages: TelemetryMessageInput[]) =>
      recordTelemetryBatch(db, { cid: `bafy-bench-${batchNumber++}`, messages });
    const single = telemetry(telemetryCount);
    telemetryResults.push([
      'recordTelemetryBatch, 1 message per call, one at a time',
      await rate(single.length, async () => {
        for (const message of single) await record([message]);
      }),
    ]);
    const lanes = telemetry(telemetryCount);
    telemetryResults.push([
      `recordTelemetryBatch, 1 message per call, ${concurrency} at once`,
      await rate(lanes.length, () =>
        Promise.all(
          Array.from({ length: concurrency }, async (_, lane) => {
            for (let at = lane; at < lanes.length; at += concurrency) await record([lanes[at]!]);
          }),
        ),
      ),
    ]);
    for (const chunk of [100, 1_000]) {
      const many = telemetry(telemetryCount);
      telemetryResults.push([
        `recordTelemetryBatch, ${chunk} messages per call`,
        await rate(many.length, async () => {
          for (let at = 0; at < many.length; at += chunk) await record(many.slice(at, at + chunk));
        }),
      ]);
    }
    const parallelMany = telemetry(telemetryCount);
    telemetryResults.push([
      `recordTelemetryBatch, 1,000 messages per call, ${Math.min(concurrency, 4)} at once`,
      await rate(parallelMany.length, () =>
        Promise.all(
          Array.from({ length: Math.min(concurrency, 4) }, async (_, lane) => {
            const chunks = [];
            for (let at = lane * 1_000; at < parallelMany.length; at += Math.min(concurrency, 4) * 1_000) {
              chunks.push(parallelMany.slice(at, at + 1_000));
            }
            for (const chunk of chunks) await record(chunk);
          }),
        ),
      ),
    ]);
    console.log(`store telemetry writes, ${telemetryCount} messages per case:`);
    for (const [what, figure] of telemetryResults) console.log(`  ${what.padEnd(60)} ${figure}`);
  } finally {
    await store?.close();
    await server.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
