import { expect } from 'chai';
import {
  StoreError,
  deleteEntity,
  deleteTwinHistoryAfter,
  getEntity,
  listEntities,
  listStateChanges,
  listTwinUpdates,
  recordStateChange,
  recordTwinUpdate,
  upsertEntity,
  upsertTwin,
  type Store,
  type TwinInput,
} from '../../store/src';
import { createTestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const MAKER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const TX = `0x${'12'.repeat(32)}`;
const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as const;

function twin(n: number, fields: Partial<TwinInput> = {}): TwinInput {
  return {
    deviceId: deviceIdOf(n),
    owner: MAKER,
    manufacturer: MAKER,
    deviceSigner: MAKER,
    state: 'active',
    forSale: false,
    price: 0n,
    staticHash: `0x${'AB'.repeat(32)}`,
    staticCid: `bafkrei${n}`,
    updateCount: 0,
    reviewRequested: false,
    mintedBlock: 100 + n,
    updatedBlock: 100 + n,
    ...fields,
  };
}

describe('store: twin history and entities', function () {
  this.timeout(60_000);
  let store: Store;
  before(async function () {
    store = await (await createTestDatabase()).open();
  });

  describe('when twin history is recorded', function () {
    it('keeps updates and state changes idempotently and deletes what lies above a block', async function () {
      await upsertTwin(store, twin(20));
      const update = {
        deviceId: deviceIdOf(20),
        component: 'openssl',
        artifactHash: `0x${'00'.repeat(32)}`,
        artifactCid: '',
        tx: TX,
      };
      expect(await recordTwinUpdate(store, { ...update, index: 1, version: '3.0.14', block: 110 })).to.equal(true);
      expect(await recordTwinUpdate(store, { ...update, index: 1, version: '3.0.14', block: 110 })).to.equal(false);
      expect(await recordTwinUpdate(store, { ...update, index: 2, version: '3.0.15', block: 120 })).to.equal(true);
      expect((await listTwinUpdates(store, deviceIdOf(20))).map((row) => [row.index, row.version])).to.deep.equal([
        [1, '3.0.14'],
        [2, '3.0.15'],
      ]);

      const change = { deviceId: deviceIdOf(20), by: ALICE, reason: 'bafy-evidence', tx: TX };
      const suspended = { ...change, previous: 'active', new: 'suspended', block: 111, logIndex: 0 } as const;
      expect(await recordStateChange(store, suspended)).to.equal(true);
      expect(await recordStateChange(store, suspended)).to.equal(false);
      expect(
        await recordStateChange(store, { ...change, previous: 'suspended', new: 'active', block: 121, logIndex: 3 }),
      ).to.equal(true);
      const changes = await listStateChanges(store, deviceIdOf(20));
      expect(changes.map((row) => `${row.previous}->${row.new}@${row.block}`)).to.deep.equal([
        'active->suspended@111',
        'suspended->active@121',
      ]);
      expect(changes[0]).to.deep.equal({ ...suspended, tx: TX });

      expect(await deleteTwinHistoryAfter(store, 115)).to.equal(2);
      expect(await listTwinUpdates(store, deviceIdOf(20))).to.have.length(1);
      expect(await listStateChanges(store, deviceIdOf(20))).to.have.length(1);
    });

    it('records an event once when instances record it at the same moment', async function () {
      await upsertTwin(store, twin(21));
      const change = {
        deviceId: deviceIdOf(21),
        previous: 'active',
        new: 'suspended',
        by: ALICE,
        reason: 'x',
        block: 300,
        tx: TX,
        logIndex: 1,
      } as const;
      const added = await Promise.all([1, 2, 3, 4, 5].map(() => recordStateChange(store, change)));
      expect(added.filter(Boolean)).to.have.length(1);
      expect(await listStateChanges(store, deviceIdOf(21))).to.have.length(1);
    });

    it('refuses history of a twin the store does not have (the foreign key), naming the SQL state', async function () {
      const error = (await rejectionOf(
        recordTwinUpdate(store, {
          deviceId: deviceIdOf(29),
          index: 1,
          component: 'fw',
          version: '1',
          artifactHash: TX,
          artifactCid: '',
          block: 1,
          tx: TX,
        }),
      )) as StoreError;
      expect(error.sqlState).to.equal('23503');
    });
  });

  describe('when entities are stored', function () {
    it('finds them by account in any case, role and status, and deletes them', async function () {
      const base = {
        entityId: null,
        name: 'Alice',
        profileHash: `0x${'00'.repeat(32)}` as const,
        profileCid: '',
        registeredBlock: 3,
      };
      await upsertEntity(store, { ...base, account: ALICE, role: 'owner', status: 'pending', updatedBlock: 3 });
      await upsertEntity(store, {
        ...base,
        account: BOB,
        role: 'security',
        status: 'approved',
        entityId: 2,
        name: 'SOC',
        registeredBlock: 4,
        updatedBlock: 4,
      });
      await upsertEntity(store, {
        ...base,
        account: ALICE.toLowerCase(),
        role: 'owner',
        status: 'approved',
        entityId: 1,
        updatedBlock: 5,
      });
      expect(await getEntity(store, ALICE.toUpperCase().replace('0X', '0x'))).to.include({
        account: ALICE.toLowerCase(), // the last write's spelling
        status: 'approved',
        entityId: 1,
        updatedBlock: 5,
      });
      expect((await listEntities(store, { status: 'approved' })).map((entity) => entity.name)).to.deep.equal([
        'Alice',
        'SOC',
      ]);
      expect((await listEntities(store, { role: 'security' })).map((entity) => entity.account)).to.deep.equal([BOB]);
      expect(await listEntities(store, { role: 'owner', status: 'pending' })).to.deep.equal([]);
      expect((await listEntities(store, { status: 'approved', limit: 1 })).map((entity) => entity.name)).to.deep.equal([
        'Alice',
      ]);
      expect(await getEntity(store, 'not an address')).to.equal(undefined);
      const bad = (await rejectionOf(
        upsertEntity(store, { ...base, account: BOB, role: 'owner', status: 'banned' as 'revoked', updatedBlock: 6 }),
      )) as StoreError;
      expect(bad.shortMessage).to.equal('Invalid entity status.');
      expect(await deleteEntity(store, BOB.toLowerCase())).to.equal(true);
      expect(await deleteEntity(store, BOB)).to.equal(false);
      expect(await getEntity(store, BOB)).to.equal(undefined);
    });

    it('stores chain text holding U+0000 (which PostgreSQL text cannot) with U+FFFD in its place', async function () {
      // Anyone can register an entity: a NUL in its name must not stall the chain mirror on that block.
      const entity = {
        account: MAKER,
        entityId: null,
        role: 'manufacturer',
        status: 'pending',
        name: 'Evil\u0000Corp',
        profileHash: `0x${'00'.repeat(32)}`,
        profileCid: 'bafy\u0000',
        registeredBlock: 9,
        updatedBlock: 9,
      } as const;
      await upsertEntity(store, entity);
      expect(await getEntity(store, MAKER)).to.include({ name: 'Evil\uFFFDCorp', profileCid: 'bafy\uFFFD' });
      expect(await getEntity(store, 'x\u0000')).to.equal(undefined);
      await upsertTwin(store, twin(30));
      const change = {
        deviceId: deviceIdOf(30),
        previous: 'active',
        new: 'lost',
        by: ALICE,
        block: 9,
        tx: TX,
        logIndex: 9,
      } as const;
      expect(await recordStateChange(store, { ...change, reason: 'note\u0000' })).to.equal(true);
      expect((await listStateChanges(store, deviceIdOf(30)))[0]!.reason).to.equal('note\uFFFD');
    });
  });
});
