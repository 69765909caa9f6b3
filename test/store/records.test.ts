import { expect } from 'chai';
import type { AlertMessage } from '../../twin-core/src/messages/alert';
import {
  MAX_REJECTION_DETAIL,
  alertsOf,
  alertsUpdatedSince,
  countRejectionsByReason,
  deleteChainNotificationsAfter,
  insertNotification,
  keptRejections,
  listRejections,
  notificationsFor,
  pageRejections,
  recordAlert,
  recordRejection,
  withTransaction,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const device = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const TX = `0x${'12'.repeat(32)}`;
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('store: rejections, notifications and alerts', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  beforeEach(async function () {
    database = await createTestDatabase();
    store = await database.open();
  });
  afterEach(async function () {
    await store.close();
  });

  describe('when messages are rejected', function () {
    it('counts rejections by reason, optionally since a time, and lists the latest first', async function () {
      await recordRejection(store, { reason: 'replay', detail: 'seq 4 ≤ 9', deviceId: device(1), at: T0 });
      await recordRejection(store, { reason: 'replay', detail: 'seq 5 ≤ 9', deviceId: device(1), at: T0 + 10 });
      await recordRejection(store, { reason: 'not-json', detail: 'Unexpected token', at: T0 + 20 });
      await recordRejection(store, { reason: 'stale', detail: '2 h old', deviceId: device(2), at: T0 + 30 });
      expect(await countRejectionsByReason(store)).to.deep.equal({ 'not-json': 1, replay: 2, stale: 1 });
      expect(await countRejectionsByReason(store, { since: T0 + 10 })).to.deep.equal({
        'not-json': 1,
        replay: 1,
        stale: 1,
      });
      expect((await listRejections(store, { limit: 2 })).map((row) => row.reason)).to.deep.equal(['stale', 'not-json']);
      expect((await listRejections(store, { reason: 'not-json' }))[0]).to.include({
        deviceId: null,
        at: '2026-03-01T00:00:00.020Z',
      });
      expect(await listRejections(store, { deviceId: device(1) })).to.have.length(2);
    });

    it('bounds what a stranger makes it store: the newest rows kept, details cut, every rejection counted', async function () {
      for (let i = 0; i < 50; i++) {
        await recordRejection(
          store,
          { reason: i % 2 === 0 ? 'not-json' : 'wrong-signer', detail: 'x'.repeat(10_000), at: T0 + i },
          { kept: 10 },
        );
      }
      expect(await keptRejections(store)).to.equal(10);
      expect(await countRejectionsByReason(store)).to.deep.equal({ 'not-json': 25, 'wrong-signer': 25 });
      const rows = await pageRejections(store, { limit: 100 });
      expect(rows.map((row) => row.at)).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => new Date(T0 + 49 - i).toISOString()),
      );
      expect(rows[0]!.detail).to.have.length(MAX_REJECTION_DETAIL);
      const window = await pageRejections(store, { from: T0 + 45, to: T0 + 47, reason: 'wrong-signer' });
      expect(window.map((row) => row.at)).to.deep.equal([
        new Date(T0 + 47).toISOString(),
        new Date(T0 + 45).toISOString(),
      ]);
      expect((await pageRejections(store, { beforeId: rows[0]!.id, limit: 1 }))[0]!.id).to.equal(rows[1]!.id);
      // kept 0: counted, no row
      expect(await recordRejection(store, { reason: 'not-json', detail: 'x' }, { kept: 0 })).to.equal(0);
      expect((await countRejectionsByReason(store))['not-json']).to.equal(26);
      expect(await keptRejections(store)).to.equal(10);
    });

    it('counts exactly when two instances record at once, and keeps the rows bounded', async function () {
      const other = await database.open({ poolSize: 10 }); // another instance
      try {
        const reasons = ['replay', 'not-json', 'wrong-signer'];
        await Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            recordRejection(
              i % 2 === 0 ? store : other,
              { reason: reasons[i % 3]!, detail: `junk ${i}`, deviceId: device(i % 7), at: T0 + i },
              { kept: 50 },
            ),
          ),
        );
      } finally {
        await other.close();
      }
      expect(await countRejectionsByReason(store)).to.deep.equal({ 'not-json': 100, replay: 100, 'wrong-signer': 100 });
      const kept = await keptRejections(store);
      // Each prune deletes the committed rows 50 ids below its own: a row still uncommitted then survives it, so at most
      // one row per concurrent connection (2 pools of 10) beyond the 50.
      expect(kept).to.be.at.least(50).and.at.most(70);
      const { rows } = await store.query<{ max: number }>('SELECT max(id)::int AS max FROM rejections');
      expect(rows[0]!.max).to.equal(300);
    });

    it('stores and counts a rejection whose reason or detail holds U+0000 (as U+FFFD)', async function () {
      const id = await recordRejection(store, { reason: 'bad\u0000reason', detail: 'x\u0000y', deviceId: device(3) });
      expect(id).to.be.greaterThan(0);
      await recordRejection(store, { reason: 'bad\u0000reason', detail: '\u0000' }, { kept: 0 });
      expect(await countRejectionsByReason(store)).to.deep.equal({ 'bad\uFFFDreason': 2 });
      expect((await listRejections(store, { deviceId: device(3) }))[0]).to.include({
        reason: 'bad\uFFFDreason',
        detail: 'x\uFFFDy',
      });
    });

    it('refuses a page size that is no positive integer (NaN too), naming it', async function () {
      for (const limit of [Number.NaN, 0, 1.5]) {
        const error = (await rejectionOf(pageRejections(store, { limit }))) as { shortMessage?: string };
        expect(error.shortMessage).to.equal('Invalid page size.');
      }
      await recordRejection(store, { reason: 'replay', detail: 'x' });
      expect(await pageRejections(store, { limit: 5_000 })).to.have.length(1); // bounded to 1,000, not refused
    });

    it('refuses a bad time or DeviceID naming it, counting nothing', async function () {
      expect((await rejectionOf(recordRejection(store, { reason: 'r', detail: '', at: 'never' }))).message).to.contain(
        'Invalid rejection time',
      );
      expect(
        (await rejectionOf(recordRejection(store, { reason: 'r', detail: '', deviceId: '0x12' }))).message,
      ).to.contain('Invalid DeviceID');
      expect(await countRejectionsByReason(store)).to.deep.equal({});
    });
  });

  describe('when notifications are added', function () {
    it('keeps one per chain event and lists an owner’s, in any case, paging by id', async function () {
      const event = (block: number, logIndex: number) => ({ block, tx: TX, logIndex });
      const first = await insertNotification(store, {
        owner: ALICE,
        deviceId: device(1),
        kind: 'state-changed',
        payload: { newState: 'suspended' },
        event: event(10, 0),
      });
      expect(first).to.be.a('number');
      expect(
        await insertNotification(store, {
          owner: ALICE,
          deviceId: device(1),
          kind: 'state-changed',
          payload: {},
          event: event(10, 0),
        }),
      ).to.equal(undefined);
      const second = (await insertNotification(store, {
        owner: ALICE,
        deviceId: device(2),
        kind: 'review-requested',
        payload: {},
        event: event(12, 1),
      }))!;
      await insertNotification(store, {
        owner: BOB,
        deviceId: device(3),
        kind: 'state-changed',
        payload: {},
        event: event(12, 2),
      });
      await insertNotification(store, { owner: ALICE, deviceId: device(1), kind: 'note', payload: 'off-chain' });

      expect(await notificationsFor(store, 'not an address')).to.deep.equal([]); // finds nothing, no domain error
      const alices = await notificationsFor(store, ALICE.toLowerCase());
      expect(alices.map((row) => row.kind)).to.deep.equal(['state-changed', 'review-requested', 'note']);
      expect(alices[0]).to.deep.include({
        owner: ALICE,
        payload: { newState: 'suspended' },
        block: 10,
        tx: TX,
        logIndex: 0,
      });
      expect(alices[2]).to.deep.include({ payload: 'off-chain', block: null, tx: null, logIndex: null });
      expect((await notificationsFor(store, ALICE, { afterId: first! })).map((row) => row.id)[0]).to.equal(second);
      expect((await notificationsFor(store, ALICE, { newestFirst: true, limit: 1 }))[0]!.kind).to.equal('note');
      expect((await notificationsFor(store, ALICE, { beforeId: second })).map((row) => row.id)).to.deep.equal([first]);
      expect(await notificationsFor(store, ALICE, { deviceId: device(1) })).to.have.length(2);
      expect(await notificationsFor(store, BOB)).to.have.length(1);

      expect(await deleteChainNotificationsAfter(store, 11)).to.equal(2);
      expect((await notificationsFor(store, ALICE)).map((row) => row.kind)).to.deep.equal(['state-changed', 'note']);
    });

    it('stores one whose kind or payload (values and member names) holds U+0000, as U+FFFD', async function () {
      const id = await insertNotification(store, {
        owner: ALICE,
        deviceId: device(1),
        kind: 'state\u0000changed',
        payload: { 'note\u0000': 'a\u0000b', list: ['\u0000'] },
      });
      expect(id).to.be.a('number');
      const [stored] = await notificationsFor(store, ALICE);
      expect(stored).to.deep.include({
        kind: 'state\uFFFDchanged',
        payload: { 'note\uFFFD': 'a\uFFFDb', list: ['\uFFFD'] },
      });
    });

    it('keeps one when instances apply the same event at once', async function () {
      const other = await database.open();
      try {
        const input = {
          owner: ALICE,
          deviceId: device(4),
          kind: 'state-changed',
          payload: {},
          event: { block: 20, tx: TX, logIndex: 3 },
        };
        const ids = await Promise.all([store, other, store, other].map((db) => insertNotification(db, input)));
        expect(ids.filter((id) => id !== undefined)).to.have.length(1);
      } finally {
        await other.close();
      }
    });
  });

  describe('when alerts are recorded', function () {
    const alert = (
      overrides: Partial<AlertMessage['body']> = {},
      ts = '2026-03-01T00:00:10.000Z',
      by = ALICE,
    ): AlertMessage => ({
      v: 1,
      kind: 'alert',
      deviceId: device(5),
      by,
      ts,
      body: {
        alertId: `${device(5)}:scan:1`,
        behaviour: 'new-listening-port',
        score: 0.9,
        status: 'open',
        window: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-01T00:00:10.000Z' },
        evidenceCid: 'bafy-evidence',
        action: 'notified',
        tx: null,
        ...overrides,
      },
      sig: `0x${'11'.repeat(65)}`,
    });

    it('tells new, update, action, status and stale apart, keeping the latest state', async function () {
      expect(await recordAlert(store, alert(), T0)).to.equal('new');
      expect(await recordAlert(store, alert({ score: 0.95 }, '2026-03-01T00:00:20.000Z'), T0)).to.equal('update');
      expect(await recordAlert(store, alert({ action: 'suspended', tx: TX }, '2026-03-01T00:00:30.000Z'), T0)).to.equal(
        'action',
      );
      expect(
        await recordAlert(store, alert({ status: 'closed', action: 'suspended' }, '2026-03-01T00:00:40.000Z'), T0),
      ).to.equal('status');
      expect(await recordAlert(store, alert({ score: 0.1 }, '2026-03-01T00:00:15.000Z'), T0)).to.equal('stale');
      const [stored] = await alertsOf(store, device(5));
      expect(stored).to.deep.equal({
        alertId: `${device(5)}:scan:1`,
        deviceId: device(5),
        behaviour: 'new-listening-port',
        score: 0.9,
        status: 'closed',
        action: 'suspended',
        window: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-01T00:00:10.000Z' },
        evidenceCid: 'bafy-evidence',
        tx: TX, // kept when a later message has none
        by: ALICE,
        firstAt: '2026-03-01T00:00:10.000Z',
        updatedAt: '2026-03-01T00:00:40.000Z',
      });
      expect(await alertsUpdatedSince(store, Date.parse('2026-03-01T00:00:40.000Z'))).to.have.length(1);
      expect(await alertsUpdatedSince(store, Date.parse('2026-03-01T00:00:41.000Z'))).to.have.length(0);
    });

    it('keeps each entity’s alert of one ID apart, and one new when instances record one message at once', async function () {
      expect(await recordAlert(store, alert({}, undefined, BOB), T0)).to.equal('new');
      expect(await recordAlert(store, alert({ status: 'closed' }, '2026-03-01T00:00:20.000Z', BOB), T0)).to.equal(
        'status',
      );
      const other = await database.open();
      try {
        const changes = await Promise.all([store, other, store, other].map((db) => recordAlert(db, alert(), T0)));
        expect(changes.filter((change) => change === 'new')).to.have.length(1);
        expect(changes.filter((change) => change === 'update')).to.have.length(3);
      } finally {
        await other.close();
      }
      expect((await alertsOf(store, device(5))).map((a) => [a.by, a.status])).to.deep.equal([
        [ALICE, 'open'],
        [BOB, 'closed'],
      ]);
    });

    it('records one whose ID or evidence CID holds U+0000 (as U+FFFD), and finds it again on update', async function () {
      const nul = alert({ alertId: 'scan\u0000:1', evidenceCid: 'bafy\u0000evidence' });
      expect(await recordAlert(store, nul, T0)).to.equal('new');
      expect(await recordAlert(store, { ...nul, ts: '2026-03-01T00:00:20.000Z' }, T0)).to.equal('update');
      const [stored] = await alertsOf(store, device(5));
      expect(stored).to.include({ alertId: 'scan\uFFFD:1', evidenceCid: 'bafy\uFFFDevidence' });
    });

    it('records nothing when the surrounding transaction fails', async function () {
      await rejectionOf(
        withTransaction(store, async (tx) => {
          expect(await recordAlert(tx, alert(), T0)).to.equal('new');
          throw new Error('notify failed');
        }),
      );
      expect(await alertsOf(store, device(5))).to.deep.equal([]);
    });
  });
});
