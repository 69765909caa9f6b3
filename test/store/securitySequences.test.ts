import { expect } from 'chai';
import {
  StoreError,
  chainEventTotals,
  claimSecuritySequences,
  readSecuritySequences,
  recordChainEvents,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const ENTITY = '0x5B38Da6a701c568545dCfcB03FcB875f56beddC4';
const OTHER = '0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2';
const [A, B] = [deviceIdOf(1), deviceIdOf(2)];

describe("store: the security service's replay ledger (migration 7) and the chain event totals", function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  before(async function () {
    database = await createTestDatabase();
    store = await database.open();
  });

  it('accepts a number above the highest accepted, once, across calls; refuses what is at or below it', async function () {
    const claim = (kind: string, seq: number, deviceId = A) =>
      claimSecuritySequences(store, ENTITY, [{ deviceId, kind, seq }]);
    expect(await claim('telemetry', 5)).to.deep.equal([true]); // the device's first number
    expect(await claim('telemetry', 5)).to.deep.equal([false]); // a replay
    expect(await claim('telemetry', 3)).to.deep.equal([false]); // older
    expect(await claim('telemetry', 9)).to.deep.equal([true]); // a jump is new
    expect(await claim('snapshot', 1)).to.deep.equal([true]); // each kind its own
    expect(await claim('telemetry', 1, B)).to.deep.equal([true]); // each device its own
    const last = await readSecuritySequences(store, ENTITY, [A, B, deviceIdOf(3)]);
    expect(Object.fromEntries(last)).to.deep.equal({
      [`${A}:telemetry`]: 9,
      [`${A}:snapshot`]: 1,
      [`${B}:telemetry`]: 1,
    });
    // Another entity's ledger is apart: what ENTITY saw is new to it.
    expect(await claimSecuritySequences(store, OTHER, [{ deviceId: A, kind: 'telemetry', seq: 9 }])).to.deep.equal([
      true,
    ]);
  });

  it('judges a batch in one call: in order, a number twice accepted once, those below the highest refused', async function () {
    const results = await claimSecuritySequences(store, ENTITY, [
      { deviceId: A, kind: 'telemetry', seq: 11 },
      { deviceId: A, kind: 'telemetry', seq: 10 },
      { deviceId: A, kind: 'telemetry', seq: 11 },
      { deviceId: A, kind: 'telemetry', seq: 8 },
      { deviceId: B, kind: 'telemetry', seq: 1 },
      { deviceId: B, kind: 'telemetry', seq: 2 },
    ]);
    expect(results).to.deep.equal([true, true, false, false, false, true]);
    expect((await readSecuritySequences(store, ENTITY, [A])).get(`${A}:telemetry`)).to.equal(11);
    expect(await claimSecuritySequences(store, ENTITY, [])).to.deep.equal([]);
  });

  it('two instances claiming the same numbers at once: each number accepted by exactly one', async function () {
    const other = await database.open();
    const device = deviceIdOf(7);
    const numbers = Array.from({ length: 200 }, (_, n) => n + 1);
    const accepted: number[] = [];
    // Each instance receives every message (a replay sent to both), in small batches, interleaved.
    await Promise.all(
      [store, other].map(async (db) => {
        for (let start = 0; start < numbers.length; start += 5) {
          const batch = numbers.slice(start, start + 5).map((seq) => ({ deviceId: device, kind: 'telemetry', seq }));
          const results = await claimSecuritySequences(db, ENTITY, batch);
          batch.forEach((claim, n) => results[n] && accepted.push(claim.seq));
        }
      }),
    );
    expect(accepted.sort((a, b) => a - b)).to.deep.equal(numbers);
    await other.close();
  });

  it('refuses a bad entity, DeviceID, kind or number, naming it', async function () {
    const refusal = async (entity: string, claim: { deviceId: string; kind: string; seq: number }) =>
      rejectionOf(claimSecuritySequences(store, entity, [claim]));
    for (const [entity, claim, words] of [
      ['nobody', { deviceId: A, kind: 'telemetry', seq: 1 }, 'security entity'],
      [ENTITY, { deviceId: '0x12', kind: 'telemetry', seq: 1 }, 'DeviceID'],
      [ENTITY, { deviceId: A, kind: 'Telemetry; DROP', seq: 1 }, 'kind'],
      [ENTITY, { deviceId: A, kind: 'telemetry', seq: -1 }, 'sequence number'],
    ] as const) {
      const error = await refusal(entity, claim);
      expect(error, words).to.be.instanceOf(StoreError);
      expect(`${error.message} ${(error as StoreError).details ?? ''}`).to.match(new RegExp(words, 'i'));
    }
  });

  it('chainEventTotals counts the logged events of the given contracts and their newest block', async function () {
    expect(await chainEventTotals(store)).to.deep.equal({ events: 0, lastBlock: 0 });
    const event = (block: number, contract: string) => ({
      block,
      logIndex: 0,
      blockHash: `0x${'ab'.repeat(32)}`,
      tx: `0x${'cd'.repeat(32)}`,
      contract,
      name: 'X',
      subject: A,
      payload: {},
    });
    await recordChainEvents(store, [event(3, 'TwinRegistry'), event(4, 'EntityRegistry'), event(9, 'SnapshotAnchor')]);
    expect(await chainEventTotals(store)).to.deep.equal({ events: 3, lastBlock: 9 });
    expect(await chainEventTotals(store, { contracts: ['TwinRegistry', 'EntityRegistry'] })).to.deep.equal({
      events: 2,
      lastBlock: 4,
    });
  });
});
