import { expect } from 'chai';
import pg from 'pg';
import type { AlertMessage } from '../../twin-core/src/messages/alert';
import {
  STORE_MIGRATIONS,
  STORE_SCHEMA_VERSION,
  StoreError,
  acknowledgeAlert,
  alertAcknowledgements,
  alertKey,
  alertsOf,
  migrate,
  recordAlert,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const SECURITY = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const OTHER_SECURITY = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const T0 = Date.parse('2026-03-01T00:00:00Z');

function alert(alertId: string, by = SECURITY): AlertMessage {
  return {
    v: 1,
    kind: 'alert',
    deviceId: device(5),
    by,
    ts: '2026-03-01T00:00:10.000Z',
    body: {
      alertId,
      behaviour: 'connection-flood',
      score: 0.9,
      status: 'open',
      window: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-01T00:00:10.000Z' },
      evidenceCid: 'bafy-evidence',
      action: 'notified',
      tx: null,
    },
    sig: `0x${'11'.repeat(65)}`,
  };
}

async function storedRows(store: Store): Promise<number> {
  const { rows } = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM alert_acknowledgements');
  return rows[0]!.n;
}

describe('store: alert acknowledgements (migration 4)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  beforeEach(async function () {
    database = await createTestDatabase();
    store = await database.open();
    await recordAlert(store, alert('scan:1'), T0);
  });
  afterEach(async function () {
    await store.close();
  });

  it('keeps the first acknowledgement, which every reader lists by alertKey (the entity in any case)', async function () {
    expect(await alertAcknowledgements(store)).to.deep.equal(new Map());
    const first = await acknowledgeAlert(store, SECURITY, 'scan:1', ALICE, T0 + 1_000);
    expect(first).to.deep.equal({ by: ALICE, at: '2026-03-01T00:00:01.000Z' });
    // A second one, by another account and later, changes nothing and returns the kept one.
    expect(await acknowledgeAlert(store, SECURITY, 'scan:1', BOB, T0 + 5_000)).to.deep.equal(first);
    // The alert is found by its entity in another case (addresses compare ignoring case).
    expect(await acknowledgeAlert(store, SECURITY.toLowerCase(), 'scan:1', BOB, T0 + 6_000)).to.deep.equal(first);
    const listed = await alertAcknowledgements(store);
    expect([...listed.keys()]).to.deep.equal([`${SECURITY.toLowerCase()}:scan:1`]);
    const [stored] = await alertsOf(store, device(5));
    expect(listed.get(alertKey(stored!.by, stored!.alertId))).to.deep.equal(first);
    expect(await storedRows(store)).to.equal(1);
  });

  it('returns undefined for an unknown alert, storing nothing; each entity’s alert of one ID is its own', async function () {
    expect(await acknowledgeAlert(store, SECURITY, 'no-such-alert', ALICE, T0)).to.equal(undefined);
    // scan:1 of another entity does not exist, though SECURITY's does.
    expect(await acknowledgeAlert(store, OTHER_SECURITY, 'scan:1', ALICE, T0)).to.equal(undefined);
    expect(await storedRows(store)).to.equal(0);
    await recordAlert(store, alert('scan:1', OTHER_SECURITY), T0);
    await acknowledgeAlert(store, SECURITY, 'scan:1', ALICE, T0 + 1);
    await acknowledgeAlert(store, OTHER_SECURITY, 'scan:1', BOB, T0 + 2);
    const listed = await alertAcknowledgements(store);
    expect(listed.get(alertKey(SECURITY, 'scan:1'))).to.deep.equal({ by: ALICE, at: '2026-03-01T00:00:00.001Z' });
    expect(listed.get(alertKey(OTHER_SECURITY, 'scan:1'))).to.deep.equal({ by: BOB, at: '2026-03-01T00:00:00.002Z' });
  });

  it('finds an alert whose ID holds U+0000 as recordAlert stored it (U+FFFD), under alertsOf’s ID', async function () {
    await recordAlert(store, alert('scan\u0000:2'), T0);
    expect(await acknowledgeAlert(store, SECURITY, 'scan\u0000:2', ALICE, T0)).to.deep.equal({
      by: ALICE,
      at: '2026-03-01T00:00:00.000Z',
    });
    const ids = (await alertsOf(store, device(5))).map((stored) => stored.alertId);
    expect(ids).to.include('scan\uFFFD:2');
    expect((await alertAcknowledgements(store)).has(alertKey(SECURITY, 'scan\uFFFD:2'))).to.equal(true);
  });

  it('refuses a bad entity, account, alert ID or time, naming the field, storing nothing', async function () {
    const cases: Array<[Promise<unknown>, string]> = [
      [acknowledgeAlert(store, '0x12', 'scan:1', ALICE, T0), 'Invalid alert entity (by).'],
      [acknowledgeAlert(store, SECURITY, 'scan:1', 'alice', T0), 'Invalid acknowledging account.'],
      [acknowledgeAlert(store, SECURITY, '', ALICE, T0), 'Invalid alert ID.'],
      [acknowledgeAlert(store, SECURITY, 'scan:1', ALICE, 'never'), 'Invalid acknowledgement time.'],
    ];
    for (const [attempt, message] of cases) {
      const error = (await rejectionOf(attempt)) as StoreError;
      expect(error).to.be.instanceOf(StoreError);
      expect(error.shortMessage).to.equal(message);
    }
    expect(await storedRows(store)).to.equal(0);
  });

  it('records nothing when the surrounding transaction fails', async function () {
    await rejectionOf(
      withTransaction(store, async (tx) => {
        expect(await acknowledgeAlert(tx, SECURITY, 'scan:1', ALICE, T0)).to.deep.equal({
          by: ALICE,
          at: '2026-03-01T00:00:00.000Z',
        });
        throw new Error('answer failed');
      }),
    );
    expect(await alertAcknowledgements(store)).to.deep.equal(new Map());
  });

  describe('when two instances acknowledge at once', function () {
    it('keeps one: the second waits for the first’s commit and returns the first’s acknowledgement', async function () {
      const other = await database.open();
      try {
        let second: Promise<unknown> | undefined;
        await withTransaction(store, async (tx) => {
          await acknowledgeAlert(tx, SECURITY, 'scan:1', ALICE, T0);
          second = acknowledgeAlert(other, SECURITY, 'scan:1', BOB, T0 + 1);
          // Commit only once the other instance's insert waits on this one's key.
          for (let waited = 0; ; waited += 20) {
            const { rows } = await store.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO alert_acknowledgements%'`,
            );
            if (rows[0]!.n === 1) break;
            if (waited > 10_000) expect.fail('the second acknowledgement never waited for the first');
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        });
        expect(await second).to.deep.equal({ by: ALICE, at: '2026-03-01T00:00:00.000Z' });
      } finally {
        await other.close();
      }
      expect(await storedRows(store)).to.equal(1);
    });

    it('keeps one per alert when many race, every caller told the same one', async function () {
      const other = await database.open();
      const ids = Array.from({ length: 20 }, (_, i) => `race:${i}`);
      try {
        for (const id of ids) await recordAlert(store, alert(id), T0);
        const results = await Promise.all(
          ids.flatMap((id, i) => [
            acknowledgeAlert(store, SECURITY, id, ALICE, T0 + i),
            acknowledgeAlert(other, SECURITY, id, BOB, T0 + i + 1),
          ]),
        );
        const listed = await alertAcknowledgements(other);
        ids.forEach((id, i) => {
          const kept = listed.get(alertKey(SECURITY, id));
          const candidates = [
            { by: ALICE, at: new Date(T0 + i).toISOString() },
            { by: BOB, at: new Date(T0 + i + 1).toISOString() },
          ];
          expect(candidates).to.deep.include(kept);
          expect(results[2 * i]).to.deep.equal(kept);
          expect(results[2 * i + 1]).to.deep.equal(kept);
        });
      } finally {
        await other.close();
      }
      expect(await storedRows(store)).to.equal(ids.length);
    });
  });

  describe('when a version 3 database is upgraded', function () {
    it('adds the table, its alerts kept and acknowledgeable', async function () {
      const empty = await createTestDatabase({ empty: true });
      const client = new pg.Client({ connectionString: empty.url });
      await client.connect();
      try {
        expect((await migrate(client, STORE_MIGRATIONS.slice(0, 3))).to).to.equal(3);
        const { rows } = await client.query(`SELECT to_regclass('alert_acknowledgements') AS t`);
        expect(rows[0].t).to.equal(null);
      } finally {
        await client.end();
      }
      const old = await empty.open({ schema: 'check' }).catch((error: unknown) => error);
      expect(old).to.be.instanceOf(StoreError); // a reader refuses the older schema
      const upgraded = await empty.open();
      expect(upgraded.schemaVersion).to.equal(STORE_SCHEMA_VERSION);
      await recordAlert(upgraded, alert('scan:1'), T0);
      expect(await acknowledgeAlert(upgraded, SECURITY, 'scan:1', ALICE, T0)).to.deep.equal({
        by: ALICE,
        at: '2026-03-01T00:00:00.000Z',
      });
      await upgraded.close();
    });
  });
});
