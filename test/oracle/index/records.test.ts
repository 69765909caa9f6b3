import { expect } from 'chai';
import {
  chainEventBlocks,
  chainEventsAfter,
  chainEventsOf,
  deleteChainEventsAfter,
  recordChainEvent,
} from '../../../oracle/src/index/chainEvents';
import { getCursor, listCursors, setCursor } from '../../../oracle/src/index/cursor';
import {
  deleteChainNotificationsAfter,
  insertNotification,
  notificationsFor,
} from '../../../oracle/src/index/notifications';
import type { Index } from '../../../oracle/src/index/openIndex';
import { openIndex } from '../../../oracle/src/index/openIndex';
import {
  countRejectionsByReason,
  keptRejections,
  listRejections,
  MAX_REJECTION_DETAIL,
  pageRejections,
  recordRejection,
} from '../../../oracle/src/index/rejections';
import { deviceIdOf, tempIndex } from './tempIndex';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const TX = `0x${'12'.repeat(32)}`;

describe('oracle index: rejections, notifications, cursors and the chain event log', function () {
  let temp: ReturnType<typeof tempIndex>;
  let index: Index;
  beforeEach(function () {
    temp = tempIndex();
    index = temp.index;
  });
  afterEach(function () {
    temp.close();
  });

  it('counts rejections by reason, optionally since a time, and lists the latest first', function () {
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    recordRejection(index, { reason: 'replay', detail: 'seq 4 ≤ 9', deviceId: deviceIdOf(1), at: t0 });
    recordRejection(index, { reason: 'replay', detail: 'seq 5 ≤ 9', deviceId: deviceIdOf(1), at: t0 + 10 });
    recordRejection(index, { reason: 'not-json', detail: 'Unexpected token', at: t0 + 20 });
    recordRejection(index, { reason: 'stale', detail: '2 h old', deviceId: deviceIdOf(2), at: t0 + 30 });
    expect(countRejectionsByReason(index)).to.deep.equal({ 'not-json': 1, replay: 2, stale: 1 });
    expect(countRejectionsByReason(index, { since: t0 + 10 })).to.deep.equal({ 'not-json': 1, replay: 1, stale: 1 });
    expect(listRejections(index, { limit: 2 }).map((row) => row.reason)).to.deep.equal(['stale', 'not-json']);
    expect(listRejections(index, { reason: 'not-json' })[0]).to.include({
      deviceId: null,
      at: '2026-03-01T00:00:00.020Z',
    });
    expect(listRejections(index, { deviceId: deviceIdOf(1) })).to.have.length(2);
  });

  it('bounds what a stranger makes it store: the newest rows kept, details cut, every rejection still counted', function () {
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < 50; i++) {
      recordRejection(
        index,
        { reason: i % 2 === 0 ? 'not-json' : 'wrong-signer', detail: 'x'.repeat(10_000), at: t0 + i },
        { kept: 10 },
      );
    }
    expect(keptRejections(index)).to.equal(10);
    expect(countRejectionsByReason(index)).to.deep.equal({ 'not-json': 25, 'wrong-signer': 25 });
    const rows = pageRejections(index, { limit: 100 });
    expect(rows.map((row) => row.at)).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => new Date(t0 + 49 - i).toISOString()),
    );
    expect(rows[0]!.detail).to.have.length(MAX_REJECTION_DETAIL);
    // Filters by time and pages by id.
    const window = pageRejections(index, { from: t0 + 45, to: t0 + 47, reason: 'wrong-signer' });
    expect(window.map((row) => row.at)).to.deep.equal([
      new Date(t0 + 47).toISOString(),
      new Date(t0 + 45).toISOString(),
    ]);
    expect(pageRejections(index, { beforeId: rows[0]!.id, limit: 1 })[0]!.id).to.equal(rows[1]!.id);
  });

  it('keeps one notification per chain event and lists an owner’s, in any case, paging by id', function () {
    const event = (block: number, logIndex: number) => ({ block, tx: TX, logIndex });
    const first = insertNotification(index, {
      owner: ALICE,
      deviceId: deviceIdOf(1),
      kind: 'state-changed',
      payload: { newState: 'suspended' },
      event: event(10, 0),
    });
    expect(first).to.be.a('number');
    expect(
      insertNotification(index, {
        owner: ALICE,
        deviceId: deviceIdOf(1),
        kind: 'state-changed',
        payload: {},
        event: event(10, 0),
      }),
    ).to.equal(undefined);
    const second = insertNotification(index, {
      owner: ALICE,
      deviceId: deviceIdOf(2),
      kind: 'review-requested',
      payload: {},
      event: event(12, 1),
    })!;
    insertNotification(index, {
      owner: BOB,
      deviceId: deviceIdOf(3),
      kind: 'state-changed',
      payload: {},
      event: event(12, 2),
    });
    insertNotification(index, { owner: ALICE, deviceId: deviceIdOf(1), kind: 'note', payload: 'off-chain' });

    const alices = notificationsFor(index, ALICE.toLowerCase());
    expect(alices.map((row) => row.kind)).to.deep.equal(['state-changed', 'review-requested', 'note']);
    expect(alices[0]).to.deep.include({ payload: { newState: 'suspended' }, block: 10, tx: TX, logIndex: 0 });
    expect(notificationsFor(index, ALICE, { afterId: first! }).map((row) => row.id)[0]).to.equal(second);
    expect(notificationsFor(index, ALICE, { deviceId: deviceIdOf(1) })).to.have.length(2);
    expect(notificationsFor(index, BOB)).to.have.length(1);

    expect(deleteChainNotificationsAfter(index, 11)).to.equal(2);
    expect(notificationsFor(index, ALICE).map((row) => row.kind)).to.deep.equal(['state-changed', 'note']);
  });

  it('keeps cursors across a reopen', function () {
    expect(getCursor(index, 'chain-mirror')).to.equal(undefined);
    setCursor(index, { name: 'chain-mirror', lastProcessedBlock: 41, lastBlockHash: `0x${'AB'.repeat(32)}` });
    setCursor(index, { name: 'chain-mirror', lastProcessedBlock: 42, lastBlockHash: `0x${'CD'.repeat(32)}` }, 1_000);
    index.close();
    const reopened = openIndex(temp.file);
    try {
      expect(getCursor(reopened, 'chain-mirror')).to.deep.equal({
        name: 'chain-mirror',
        lastProcessedBlock: 42,
        lastBlockHash: `0x${'cd'.repeat(32)}`,
        updatedAt: '1970-01-01T00:00:01.000Z',
      });
      expect(listCursors(reopened)).to.have.length(1);
    } finally {
      reopened.close();
    }
  });

  it('logs chain events once per (block, log index), by subject, and deletes above a block', function () {
    const event = (block: number, logIndex: number, subject: string) => ({
      block,
      logIndex,
      blockHash: `0x${block.toString(16).padStart(64, '0')}`,
      tx: TX,
      contract: 'TwinRegistry',
      name: 'TwinListed',
      subject,
      payload: { price: '1' },
    });
    expect(recordChainEvent(index, event(5, 0, deviceIdOf(1)))).to.equal(true);
    expect(recordChainEvent(index, event(5, 0, deviceIdOf(1)))).to.equal(false);
    recordChainEvent(index, event(5, 1, ALICE));
    recordChainEvent(index, event(8, 0, deviceIdOf(1)));
    expect(chainEventsOf(index, deviceIdOf(1)).map((row) => row.block)).to.deep.equal([5, 8]);
    expect(chainEventsOf(index, ALICE.toLowerCase())[0]).to.deep.include({
      name: 'TwinListed',
      payload: { price: '1' },
    });
    expect(chainEventBlocks(index).map((row) => row.block)).to.deep.equal([5, 8]);
    expect(chainEventsAfter(index, 5)).to.have.length(1);
    expect(deleteChainEventsAfter(index, 5)).to.equal(1);
    expect(chainEventBlocks(index).map((row) => row.block)).to.deep.equal([5]);
  });
});
