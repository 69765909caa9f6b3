import { expect } from 'chai';
import {
  StoreError,
  deleteTwin,
  getTwin,
  getTwins,
  listStateChanges,
  listTwinUpdates,
  listTwins,
  recordStateChange,
  recordTwinUpdate,
  updateTwin,
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

describe('store: twins', function () {
  this.timeout(60_000);
  let store: Store;
  // Each test uses its own range of DeviceIDs in the file's one database.
  before(async function () {
    store = await (await createTestDatabase()).open();
  });

  describe('when a twin is stored', function () {
    it('round-trips it exactly, with a price above 2^53 and any DeviceID notation', async function () {
      const price = 2n ** 96n - 1n;
      await upsertTwin(store, twin(1, { price, forSale: true, deviceId: BigInt(deviceIdOf(1)) }));
      const stored = await getTwin(store, deviceIdOf(1).toUpperCase().replace('0X', '0x'));
      expect(stored).to.deep.equal({ ...twin(1, { price, forSale: true }), staticHash: `0x${'ab'.repeat(32)}` });
      expect(stored!.price).to.equal(price);
      expect((await getTwin(store, '1'))?.deviceId).to.equal(deviceIdOf(1)); // decimal DeviceID
      expect(await getTwin(store, deviceIdOf(2))).to.equal(undefined);
      const many = await getTwins(store, [deviceIdOf(1), 1n, deviceIdOf(2)]);
      expect([...many.keys()]).to.deep.equal([deviceIdOf(1)]);
      expect(many.get(deviceIdOf(1))).to.deep.equal(stored);
      expect((await getTwins(store, [])).size).to.equal(0);
    });

    it('replaces every field on a second upsert, also when instances upsert at once', async function () {
      await Promise.all(
        [1, 2, 3, 4, 5, 6].map((n) => upsertTwin(store, twin(3, { updateCount: n, owner: n % 2 ? ALICE : BOB }))),
      );
      const stored = (await getTwin(store, deviceIdOf(3)))!;
      expect(stored.owner).to.equal(stored.updateCount % 2 ? ALICE : BOB); // one write's fields, not a mix
      await upsertTwin(store, twin(3, { state: 'lost', mintedBlock: 7, updatedBlock: 9 }));
      expect(await getTwin(store, deviceIdOf(3))).to.include({ state: 'lost', updateCount: 0, owner: MAKER });
    });

    it('updateTwin changes only the given fields and the block; false for an unknown twin', async function () {
      await upsertTwin(store, twin(10));
      expect(
        await updateTwin(store, deviceIdOf(10), { owner: ALICE, forSale: true, price: '5000000000000000000' }, 150),
      ).to.equal(true);
      const stored = (await getTwin(store, deviceIdOf(10)))!;
      expect(stored).to.include({
        owner: ALICE,
        forSale: true,
        updatedBlock: 150,
        manufacturer: MAKER,
        state: 'active',
      });
      expect(stored.price).to.equal(5n * 10n ** 18n);
      expect(await updateTwin(store, deviceIdOf(10), { reviewRequested: true, updateCount: 2 }, 151)).to.equal(true);
      expect(await getTwin(store, deviceIdOf(10))).to.include({ reviewRequested: true, updateCount: 2, owner: ALICE });
      expect(await updateTwin(store, deviceIdOf(19), { state: 'lost' }, 151)).to.equal(false);
      const negative = (await rejectionOf(updateTwin(store, deviceIdOf(10), { price: -1n }, 152))) as StoreError;
      expect(negative).to.be.instanceOf(StoreError);
      expect(negative.shortMessage).to.equal('Invalid price.');
      const state = (await rejectionOf(
        updateTwin(store, deviceIdOf(10), { state: 'gone' as 'lost' }, 152),
      )) as StoreError;
      expect(state.shortMessage).to.equal('Invalid twin state.');
      expect((await getTwin(store, deviceIdOf(10)))!.updatedBlock).to.equal(151);
    });

    it('refuses bad fields by name and stores nothing', async function () {
      const owner = (await rejectionOf(upsertTwin(store, twin(11, { owner: 'alice' })))) as StoreError;
      expect(owner.shortMessage).to.equal('Invalid owner.');
      const hash = (await rejectionOf(upsertTwin(store, twin(11, { staticHash: 'zz' })))) as StoreError;
      expect(hash.shortMessage).to.equal('Invalid static hash.');
      const id = (await rejectionOf(upsertTwin(store, twin(11, { deviceId: 'nope' })))) as StoreError;
      expect(id.shortMessage).to.equal('Invalid DeviceID.');
      expect(await getTwin(store, deviceIdOf(11))).to.equal(undefined);
    });

    it('deleteTwin removes the twin with its update and state histories, in one statement', async function () {
      await upsertTwin(store, twin(12));
      await recordTwinUpdate(store, {
        deviceId: deviceIdOf(12),
        index: 1,
        component: 'fw',
        version: '1',
        artifactHash: TX,
        artifactCid: '',
        block: 120,
        tx: TX,
      });
      await recordStateChange(store, {
        deviceId: deviceIdOf(12),
        previous: 'active',
        new: 'lost',
        by: ALICE,
        reason: 'gone',
        block: 121,
        tx: TX,
        logIndex: 7,
      });
      expect(await deleteTwin(store, deviceIdOf(12))).to.equal(true);
      expect(await getTwin(store, deviceIdOf(12))).to.equal(undefined);
      expect(await listTwinUpdates(store, deviceIdOf(12))).to.deep.equal([]);
      expect(await listStateChanges(store, deviceIdOf(12))).to.deep.equal([]);
      expect(await deleteTwin(store, deviceIdOf(12))).to.equal(false);
    });
  });

  describe('when twins are listed', function () {
    let listed: Store;
    before(async function () {
      listed = await (await createTestDatabase()).open();
      for (let n = 1; n <= 7; n++) {
        await upsertTwin(
          listed,
          twin(n, {
            owner: n % 2 === 0 ? ALICE : BOB,
            forSale: n <= 3,
            price: n <= 3 ? BigInt(n) : 0n,
            state: n === 7 ? 'suspended' : 'active',
          }),
        );
      }
    });

    it('filters by owner (any case), manufacturer, state and sale, and pages in mint order', async function () {
      const alice = await listTwins(listed, { owner: ALICE.toLowerCase() });
      expect(alice.total).to.equal(3);
      expect(alice.items.map((item) => item.deviceId)).to.deep.equal([2, 4, 6].map(deviceIdOf));
      expect((await listTwins(listed, { forSale: true })).items.map((item) => item.price)).to.deep.equal([1n, 2n, 3n]);
      expect((await listTwins(listed, { forSale: false })).total).to.equal(4);
      expect((await listTwins(listed, { state: 'suspended' })).items.map((item) => item.deviceId)).to.deep.equal([
        deviceIdOf(7),
      ]);
      expect((await listTwins(listed, { owner: BOB, forSale: true })).total).to.equal(2);
      expect((await listTwins(listed, { manufacturer: MAKER.toUpperCase().replace('0X', '0x') })).total).to.equal(7);
      expect((await listTwins(listed, { manufacturer: ALICE })).total).to.equal(0);
      expect((await listTwins(listed, { owner: 'not an address' })).total).to.equal(0);

      const pages = await Promise.all([1, 2, 3].map((page) => listTwins(listed, { page, pageSize: 3 })));
      expect(pages.map((page) => page.items.length)).to.deep.equal([3, 3, 1]);
      expect(pages.flatMap((page) => page.items.map((item) => item.mintedBlock))).to.deep.equal([
        101, 102, 103, 104, 105, 106, 107,
      ]);
      expect(pages[2]).to.include({ total: 7, page: 3, pageSize: 3 });
      expect(await listTwins(listed, { page: 4, pageSize: 3 })).to.deep.include({ items: [], total: 7 });
      expect((await listTwins(listed, { pageSize: 10_000 })).pageSize).to.equal(500);
      expect(((await rejectionOf(listTwins(listed, { page: 0 }))) as StoreError).shortMessage).to.equal(
        'Invalid page.',
      );
    });

    it('pages all twins in mint order through an index, without sorting every twin per page', async function () {
      const many = await (await createTestDatabase()).open();
      await many.query(
        `INSERT INTO twins (device_id, owner, manufacturer, device_signer, state, for_sale, price, static_hash,
           static_cid, minted_block, updated_block)
         SELECT '0x' || lpad(to_hex(n), 64, '0'), $1, $1, $1, 'active', false, 0, '0x', '', n, n
         FROM generate_series(1, 20000) n`,
        [MAKER],
      );
      await many.query('ANALYZE twins');
      const { rows } = await many.query<{ 'QUERY PLAN': string }>(
        'EXPLAIN SELECT * FROM twins ORDER BY minted_block, device_id LIMIT 20 OFFSET 40',
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).to.include('twins_mint_order');
      expect(plan).to.not.match(/\bSort\b/);
      await many.query('UPDATE twins SET for_sale = true, price = minted_block WHERE minted_block % 1000 = 0');
      const forSale = await listTwins(many, { forSale: true, page: 2, pageSize: 5 });
      expect(forSale.total).to.equal(20);
      expect(forSale.items.map((item) => item.price)).to.deep.equal([6_000n, 7_000n, 8_000n, 9_000n, 10_000n]);
      expect((await listTwins(many, { forSale: false })).total).to.equal(19_980);
      const page = await listTwins(many, { page: 3, pageSize: 20 });
      expect(page.total).to.equal(20_000);
      expect(page.items.map((item) => item.mintedBlock)).to.deep.equal(Array.from({ length: 20 }, (_, n) => 41 + n));
    });
  });
});
