import { expect } from 'chai';
import {
  StoreError,
  dropExpiredTelemetry,
  ensureTelemetryPartitions,
  latestTelemetry,
  listTelemetryBatches,
  loadStoreConfig,
  maintainTelemetryPartitions,
  readSequenceLedger,
  recentTelemetry,
  recordTelemetryBatch,
  telemetryBuckets,
  telemetryPartitions,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 10, 12, 0, 0); // 2026-03-10T12:00:00Z
const body = (cpu: number | null, extra: Record<string, unknown> = {}) => ({ cpuPercent: cpu, load1: 0.5, ...extra });
const message = (n: number, seq: number, at: number, reading: unknown = body(seq)) => ({
  deviceId: device(n),
  seq,
  ts: new Date(at).toISOString(),
  body: reading,
});

describe('store: telemetry (latest reading, history partitioned by day, buckets, the replay ledger)', function () {
  this.timeout(60_000);
  let store: Store;
  let database: TestDatabase;
  before(async function () {
    database = await createTestDatabase();
    store = await database.open();
    expect((await ensureTelemetryPartitions(store, T0)).days).to.deep.equal([
      '2026-03-09',
      '2026-03-10',
      '2026-03-11',
      '2026-03-12',
      '2026-03-13',
    ]);
  });
  after(async function () {
    await store.close();
  });

  describe('when a batch is recorded', function () {
    it('stores the batch, each device’s latest reading with the CID, the readings and the ledger', async function () {
      const messages = [
        message(1, 3, T0),
        message(1, 5, T0 + 1_000),
        message(2, 8, T0 + 2_000),
        message(1, 4, T0 + 500),
      ];
      const id = await recordTelemetryBatch(store, { cid: 'bafy-a', messages, now: T0 + 3_000 });
      expect(id).to.be.a('number');
      expect(await listTelemetryBatches(store)).to.deep.equal([
        {
          id,
          cid: 'bafy-a',
          messageCount: 4,
          firstAt: new Date(T0).toISOString(),
          lastAt: new Date(T0 + 2_000).toISOString(),
        },
      ]);
      expect(await latestTelemetry(store, device(1))).to.deep.equal({
        deviceId: device(1),
        seq: 5,
        ts: new Date(T0 + 1_000).toISOString(),
        body: body(5),
        batchCid: 'bafy-a',
      });
      expect((await recentTelemetry(store, device(1))).map((r) => r.seq)).to.deep.equal([3, 4, 5]);
      expect((await recentTelemetry(store, device(1), 2)).map((r) => r.seq)).to.deep.equal([4, 5]);
      const ledger = readSequenceLedger(store);
      expect(await ledger.last(device(1), 'telemetry')).to.equal(5);
      expect(await ledger.last(device(2), 'telemetry')).to.equal(8);
      expect(await latestTelemetry(store, device(99))).to.equal(undefined);
    });

    it('changes nothing for a redelivered batch and keeps a newer latest reading and ledger', async function () {
      const messages = [message(3, 10, T0), message(3, 11, T0 + 1_000)];
      const first = await recordTelemetryBatch(store, { cid: 'bafy-b', messages });
      const again = await recordTelemetryBatch(store, { cid: 'bafy-b', messages });
      expect(again).to.equal(first);
      await recordTelemetryBatch(store, { cid: 'bafy-c', messages: [message(3, 9, T0 - 1_000)] }); // a late one
      expect((await latestTelemetry(store, device(3)))!).to.include({ seq: 11, batchCid: 'bafy-b' });
      expect((await recentTelemetry(store, device(3))).map((r) => r.seq)).to.deep.equal([9, 10, 11]);
      expect(await readSequenceLedger(store).last(device(3), 'telemetry')).to.equal(11);
    });

    it('keeps the newest keepReadings of a device, or none with 0', async function () {
      const messages = Array.from({ length: 10 }, (_, i) => message(4, i * 2, T0 + i * 1_000)); // gaps in seq
      await recordTelemetryBatch(store, { cid: 'bafy-d', messages, keepReadings: 3 });
      expect((await recentTelemetry(store, device(4))).map((r) => r.seq)).to.deep.equal([14, 16, 18]);
      await recordTelemetryBatch(store, { cid: 'bafy-e', messages: [message(5, 1, T0)], keepReadings: 0 });
      expect(await recentTelemetry(store, device(5))).to.deep.equal([]);
      expect((await latestTelemetry(store, device(5)))!.seq).to.equal(1);
      expect(await readSequenceLedger(store).last(device(5), 'telemetry')).to.equal(1);
    });

    it('stores a batch whose sensor names or values hold U+0000 (as U+FFFD)', async function () {
      const reading = { 'cpu\u0000': 1, label: 'a\u0000b', nested: { '\u0000': ['\u0000'] } };
      await recordTelemetryBatch(store, { cid: 'bafy-nul', messages: [message(9, 1, T0, reading)] });
      const expected = { 'cpu\uFFFD': 1, label: 'a\uFFFDb', nested: { '\uFFFD': ['\uFFFD'] } };
      expect((await latestTelemetry(store, device(9)))?.body).to.deep.equal(expected);
      expect((await recentTelemetry(store, device(9))).map((row) => row.body)).to.deep.equal([expected]);
    });

    it('refuses bad input naming the field, storing nothing', async function () {
      const bad = await rejectionOf(
        recordTelemetryBatch(store, {
          cid: 'bafy-x',
          messages: [message(6, 1, T0), { ...message(6, 2, T0), ts: 'soon' }],
        }),
      );
      expect(bad).to.be.instanceOf(StoreError);
      expect(bad.message).to.contain('Invalid telemetry time');
      expect((await rejectionOf(recordTelemetryBatch(store, { cid: 'bafy-x', messages: [] }))).message).to.contain(
        'Invalid telemetry batch',
      );
      expect(
        (
          await rejectionOf(
            recordTelemetryBatch(store, { cid: 'bafy-x', messages: [{ ...message(6, 1, T0), seq: -1 }] }),
          )
        ).message,
      ).to.contain('Invalid telemetry sequence number');
      expect(await latestTelemetry(store, device(6))).to.equal(undefined);
    });
  });

  describe('when the surrounding transaction fails or commits', function () {
    it('rolls the readings and the ledger back together', async function () {
      const error = await rejectionOf(
        withTransaction(store, async (tx) => {
          await recordTelemetryBatch(tx, { cid: 'bafy-f', messages: [message(7, 4, T0)] });
          expect(await readSequenceLedger(tx).last(device(7), 'telemetry')).to.equal(4);
          throw new Error('the journal write failed');
        }),
      );
      expect(error.message).to.equal('the journal write failed');
      expect(await readSequenceLedger(store).last(device(7), 'telemetry')).to.equal(undefined);
      expect(await latestTelemetry(store, device(7))).to.equal(undefined);
      expect(await recentTelemetry(store, device(7))).to.deep.equal([]);
      expect((await listTelemetryBatches(store)).map((b) => b.cid)).not.to.include('bafy-f');

      await withTransaction(store, (tx) => recordTelemetryBatch(tx, { cid: 'bafy-f', messages: [message(7, 4, T0)] }));
      expect(await readSequenceLedger(store).last(device(7), 'telemetry')).to.equal(4);
      expect((await recentTelemetry(store, device(7))).map((r) => r.seq)).to.deep.equal([4]);
    });

    it('keeps the highest seq in the ledger when instances record one device’s batches at once', async function () {
      const other = await database.open(); // another instance
      try {
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            recordTelemetryBatch(i % 2 === 0 ? store : other, {
              cid: `bafy-g${i}`,
              messages: [message(8, i * 10 + 1, T0 + i), message(8, i * 10 + 2, T0 + i), message(11, i, T0 + i)],
            }),
          ),
        );
      } finally {
        await other.close();
      }
      expect(await readSequenceLedger(store).last(device(8), 'telemetry')).to.equal(72);
      expect(await readSequenceLedger(store).last(device(11), 'telemetry')).to.equal(7);
      expect((await latestTelemetry(store, device(8)))!.seq).to.equal(72);
      expect(await recentTelemetry(store, device(8))).to.have.length(16);
    });
  });

  describe('when readings age', function () {
    it('keeps readings of a day without a partition out of the history only', async function () {
      const farFuture = T0 + 30 * DAY;
      await recordTelemetryBatch(store, { cid: 'bafy-h', messages: [message(9, 1, T0), message(9, 2, farFuture)] });
      expect((await recentTelemetry(store, device(9))).map((r) => r.seq)).to.deep.equal([1]);
      expect((await latestTelemetry(store, device(9)))!.seq).to.equal(2);
      expect(await readSequenceLedger(store).last(device(9), 'telemetry')).to.equal(2);
    });

    it('creates the missing daily partitions only, from any number of instances at once', async function () {
      const results = await Promise.all([1, 2, 3].map(() => ensureTelemetryPartitions(store, T0 + DAY)));
      // 2026-03-14 is the one new day (the 10th to the 13th exist); one call created it.
      expect(results.map((r) => r.days).flat()).to.deep.equal(['2026-03-14']);
      expect((await ensureTelemetryPartitions(store, T0 + DAY)).days).to.deep.equal([]);
      const { rows } = await store.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'telemetry_readings'::regclass ORDER BY 1`,
      );
      expect(rows.map((r) => r.name)).to.deep.equal(
        [9, 10, 11, 12, 13, 14].map((d) => `telemetry_readings_p202603${String(d).padStart(2, '0')}`),
      );
    });

    it('drops the partitions whose whole day is older than the retention, with their readings', async function () {
      await recordTelemetryBatch(store, {
        cid: 'bafy-i',
        messages: [message(10, 1, T0 - DAY), message(10, 2, T0), message(10, 3, T0 + DAY)],
      });
      // Retention 1 day at 2026-03-11T06:00: the cutoff is 2026-03-10T06:00, so the 9th (ending at the 10th 00:00)
      // is wholly older, the 10th is not.
      const now = T0 + DAY - 6 * 3_600_000;
      const kept = await Promise.all([1, 2].map(() => dropExpiredTelemetry(store, { retentionDays: 1, now })));
      expect(kept.map((r) => r.days).flat()).to.deep.equal(['2026-03-09']);
      expect(await telemetryPartitions(store)).to.deep.equal([
        '2026-03-10',
        '2026-03-11',
        '2026-03-12',
        '2026-03-13',
        '2026-03-14',
      ]);
      expect((await recentTelemetry(store, device(10))).map((r) => r.seq)).to.deep.equal([2, 3]);
      expect((await latestTelemetry(store, device(10)))!.seq).to.equal(3);
      const { rows } = await store.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'telemetry_readings_p20260309'",
      );
      expect(rows[0]!.n).to.equal(0);
      // One more day: the 10th goes too.
      expect((await dropExpiredTelemetry(store, { retentionDays: 1, now: now + DAY })).days).to.deep.equal([
        '2026-03-10',
      ]);
      expect((await recentTelemetry(store, device(10))).map((r) => r.seq)).to.deep.equal([3]);
      const bad = await rejectionOf(dropExpiredTelemetry(store, { retentionDays: 0 }));
      expect(bad.message).to.contain('Invalid retentionDays');
    });
    it('keeps them the configured days: the upkeep creates ahead and drops past the retention', async function () {
      const config = loadStoreConfig({
        environment: { STORE_TELEMETRY_RETENTION_DAYS: '2', STORE_TELEMETRY_PARTITIONS_AHEAD: '4' },
      });
      expect(config).to.include({ telemetryRetentionDays: 2, telemetryPartitionsAhead: 4 });
      expect(loadStoreConfig({ environment: {} })).to.include({
        telemetryRetentionDays: 30,
        telemetryPartitionsAhead: 3,
      });
      // At 2026-03-14T12:00 with 2 days: the cutoff is the 12th 12:00, the 11th goes; the 15th to the 18th are made.
      const result = await maintainTelemetryPartitions(store, { ...config, now: T0 + 4 * DAY });
      expect(result).to.deep.equal({
        created: ['2026-03-15', '2026-03-16', '2026-03-17', '2026-03-18'],
        dropped: ['2026-03-11'],
      });
      expect((await telemetryPartitions(store))[0]).to.equal('2026-03-12');
    });
  });

  describe('when readings are bucketed', function () {
    const B = Date.UTC(2026, 2, 12, 8, 0, 0); // a day with a partition, buckets of 60 s from 08:00
    before(async function () {
      const readings = [
        // bucket 08:00
        message(
          20,
          1,
          B + 5_000,
          body(10, { network: { bytesInPerSec: 100 }, sensors: [{ name: 't', value: 20, unit: 'C' }] }),
        ),
        message(
          20,
          2,
          B + 20_000,
          body(20, { network: { bytesInPerSec: 300 }, sensors: [{ name: 't', value: 22, unit: 'C' }] }),
        ),
        message(20, 3, B + 59_999, body(null, { network: { bytesInPerSec: 200 } })),
        // bucket 08:02 (none at 08:01)
        message(
          20,
          4,
          B + 125_000,
          body(40, {
            load1: 2,
            sensors: [
              { name: 't', value: 25, unit: 'C' },
              { name: 'h', value: 50, unit: '%' },
            ],
          }),
        ),
        message(20, 5, B + 179_000, body(70)),
        // another device, same time: not counted
        message(21, 1, B + 10_000, body(99)),
      ];
      await recordTelemetryBatch(store, { cid: 'bafy-buckets', messages: readings });
    });

    it('returns per bucket the avg, min and max of each metric, computed by hand', async function () {
      const buckets = await telemetryBuckets(store, {
        deviceId: device(20),
        from: B,
        to: B + 180_000,
        bucketSeconds: 60,
      });
      expect(buckets).to.deep.equal([
        {
          start: new Date(B).toISOString(),
          readings: 3,
          metrics: {
            cpuPercent: { avg: 15, min: 10, max: 20, count: 2 }, // the null is not counted
            load1: { avg: 0.5, min: 0.5, max: 0.5, count: 3 },
            'network.bytesInPerSec': { avg: 200, min: 100, max: 300, count: 3 },
            'sensors.t': { avg: 21, min: 20, max: 22, count: 2 },
          },
        },
        {
          start: new Date(B + 120_000).toISOString(),
          readings: 2,
          metrics: {
            cpuPercent: { avg: 55, min: 40, max: 70, count: 2 },
            load1: { avg: 1.25, min: 0.5, max: 2, count: 2 },
            'sensors.h': { avg: 50, min: 50, max: 50, count: 1 },
            'sensors.t': { avg: 25, min: 25, max: 25, count: 1 },
          },
        },
      ]);
    });

    it('aligns buckets to the epoch and bounds them by from (included) and to (excluded)', async function () {
      const hour = await telemetryBuckets(store, {
        deviceId: device(20),
        from: B + 20_000,
        to: B + 179_000,
        bucketSeconds: 3_600,
      });
      expect(hour).to.have.length(1);
      expect(hour[0]).to.deep.include({ start: new Date(B).toISOString(), readings: 3 }); // seq 2, 3, 4
      expect(hour[0]!.metrics.cpuPercent).to.deep.equal({ avg: 30, min: 20, max: 40, count: 2 });
    });

    it('refuses a bad query naming the field', async function () {
      const query = { deviceId: device(20), from: B, to: B + 60_000, bucketSeconds: 60 };
      expect((await rejectionOf(telemetryBuckets(store, { ...query, bucketSeconds: 0 }))).message).to.contain(
        'Invalid bucketSeconds',
      );
      expect((await rejectionOf(telemetryBuckets(store, { ...query, to: B }))).message).to.contain('Invalid to');
      expect(
        (await rejectionOf(telemetryBuckets(store, { ...query, to: B + 365 * DAY, bucketSeconds: 1 }))).message,
      ).to.contain('Invalid bucketSeconds');
      expect((await rejectionOf(telemetryBuckets(store, { ...query, from: 'yesterday' }))).message).to.contain(
        'Invalid from',
      );
    });
  });
});
