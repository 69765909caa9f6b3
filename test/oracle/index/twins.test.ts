import { expect } from 'chai';
import { getEntity, listEntities, upsertEntity } from '../../../oracle/src/index/entities';
import { IndexError } from '../../../oracle/src/index/errors';
import type { Index } from '../../../oracle/src/index/openIndex';
import {
  deleteTwinHistoryAfter,
  listStateChanges,
  listTwinUpdates,
  recordStateChange,
  recordTwinUpdate,
} from '../../../oracle/src/index/twinHistory';
import { getTwin, listTwins, updateTwin, upsertTwin, type TwinInput } from '../../../oracle/src/index/twins';
import { thrownBy } from '../../helpers/thrownBy';
import { deviceIdOf, tempIndex } from './tempIndex';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const BOB = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const MAKER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const TX = `0x${'12'.repeat(32)}`;

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

describe('oracle index: twins, their history and entities', function () {
  let temp: ReturnType<typeof tempIndex>;
  let index: Index;
  beforeEach(function () {
    temp = tempIndex();
    index = temp.index;
  });
  afterEach(function () {
    temp.close();
  });

  it('round-trips a twin exactly, with a price above 2^53 and any DeviceID notation', function () {
    const price = 2n ** 96n - 1n;
    upsertTwin(index, twin(1, { price, forSale: true, deviceId: BigInt(deviceIdOf(1)) }));
    const stored = getTwin(index, deviceIdOf(1).toUpperCase().replace('0X', '0x'));
    expect(stored).to.deep.equal({
      ...twin(1, { price, forSale: true }),
      staticHash: `0x${'ab'.repeat(32)}`,
    });
    expect(stored!.price).to.equal(price);
    expect(getTwin(index, '1')?.deviceId).to.equal(deviceIdOf(1)); // decimal DeviceID
    expect(getTwin(index, deviceIdOf(2))).to.equal(undefined);
  });

  it('updateTwin changes only the given fields and the block; false for an unknown twin', function () {
    upsertTwin(index, twin(1));
    expect(
      updateTwin(index, deviceIdOf(1), { owner: ALICE, forSale: true, price: '5000000000000000000' }, 150),
    ).to.equal(true);
    const stored = getTwin(index, deviceIdOf(1))!;
    expect(stored).to.include({ owner: ALICE, forSale: true, updatedBlock: 150, manufacturer: MAKER, state: 'active' });
    expect(stored.price).to.equal(5n * 10n ** 18n);
    expect(updateTwin(index, deviceIdOf(9), { state: 'lost' }, 151)).to.equal(false);
    expect(thrownBy(() => updateTwin(index, deviceIdOf(1), { price: -1n }, 152))).to.be.instanceOf(IndexError);
    expect(thrownBy(() => updateTwin(index, deviceIdOf(1), { state: 'gone' as 'lost' }, 152))).to.be.instanceOf(
      IndexError,
    );
    expect(getTwin(index, deviceIdOf(1))!.updatedBlock).to.equal(150);
  });

  it('listTwins filters by owner (any case), manufacturer, state and sale, and pages in mint order', function () {
    for (let n = 1; n <= 7; n++) {
      upsertTwin(
        index,
        twin(n, {
          owner: n % 2 === 0 ? ALICE : BOB,
          forSale: n <= 3,
          price: n <= 3 ? BigInt(n) : 0n,
          state: n === 7 ? 'suspended' : 'active',
        }),
      );
    }
    const alice = listTwins(index, { owner: ALICE.toLowerCase() });
    expect(alice.total).to.equal(3);
    expect(alice.items.map((item) => item.deviceId)).to.deep.equal([2, 4, 6].map(deviceIdOf));
    expect(listTwins(index, { forSale: true }).items.map((item) => item.price)).to.deep.equal([1n, 2n, 3n]);
    expect(listTwins(index, { forSale: false }).total).to.equal(4);
    expect(listTwins(index, { state: 'suspended' }).items.map((item) => item.deviceId)).to.deep.equal([deviceIdOf(7)]);
    expect(listTwins(index, { owner: BOB, forSale: true }).total).to.equal(2);
    expect(listTwins(index, { manufacturer: MAKER }).total).to.equal(7);
    expect(listTwins(index, { manufacturer: ALICE }).total).to.equal(0);

    const pages = [1, 2, 3].map((page) => listTwins(index, { page, pageSize: 3 }));
    expect(pages.map((page) => page.items.length)).to.deep.equal([3, 3, 1]);
    expect(pages.flatMap((page) => page.items.map((item) => item.mintedBlock))).to.deep.equal([
      101, 102, 103, 104, 105, 106, 107,
    ]);
    expect(pages[2]).to.include({ total: 7, page: 3, pageSize: 3 });
    expect(listTwins(index, { pageSize: 10_000 }).pageSize).to.equal(500);
    expect(thrownBy(() => listTwins(index, { page: 0 }))).to.be.instanceOf(IndexError);
  });

  it('pages all twins in mint order through an index, without sorting every twin per page', function () {
    const plan = index.db
      .prepare('EXPLAIN QUERY PLAN SELECT * FROM twins ORDER BY minted_block, device_id LIMIT 20 OFFSET 40')
      .all()
      .map((row) => String((row as { detail: string }).detail));
    expect(plan.join('; ')).to.include('twins_mint_order');
    expect(plan.join('; ')).to.not.include('TEMP B-TREE');
  });

  it('keeps update and state-change history, idempotently, and deletes what lies above a block', function () {
    upsertTwin(index, twin(1));
    const update = {
      deviceId: deviceIdOf(1),
      component: 'openssl',
      artifactHash: `0x${'00'.repeat(32)}`,
      artifactCid: '',
      tx: TX,
    };
    expect(recordTwinUpdate(index, { ...update, index: 1, version: '3.0.14', block: 110 })).to.equal(true);
    expect(recordTwinUpdate(index, { ...update, index: 1, version: '3.0.14', block: 110 })).to.equal(false);
    expect(recordTwinUpdate(index, { ...update, index: 2, version: '3.0.15', block: 120 })).to.equal(true);
    expect(listTwinUpdates(index, deviceIdOf(1)).map((row) => [row.index, row.version])).to.deep.equal([
      [1, '3.0.14'],
      [2, '3.0.15'],
    ]);

    const change = { deviceId: deviceIdOf(1), by: ALICE, reason: 'bafy-evidence', tx: TX };
    expect(
      recordStateChange(index, { ...change, previous: 'active', new: 'suspended', block: 111, logIndex: 0 }),
    ).to.equal(true);
    expect(
      recordStateChange(index, { ...change, previous: 'active', new: 'suspended', block: 111, logIndex: 0 }),
    ).to.equal(false);
    expect(
      recordStateChange(index, { ...change, previous: 'suspended', new: 'active', block: 121, logIndex: 3 }),
    ).to.equal(true);
    expect(
      listStateChanges(index, deviceIdOf(1)).map((row) => `${row.previous}->${row.new}@${row.block}`),
    ).to.deep.equal(['active->suspended@111', 'suspended->active@121']);

    expect(deleteTwinHistoryAfter(index, 115)).to.equal(2);
    expect(listTwinUpdates(index, deviceIdOf(1))).to.have.length(1);
    expect(listStateChanges(index, deviceIdOf(1))).to.have.length(1);
  });

  it('stores entities and finds them by account in any case, role and status', function () {
    const base = {
      entityId: null,
      name: 'Alice',
      profileHash: `0x${'00'.repeat(32)}` as const,
      profileCid: '',
      registeredBlock: 3,
    };
    upsertEntity(index, { ...base, account: ALICE, role: 'owner', status: 'pending', updatedBlock: 3 });
    upsertEntity(index, {
      ...base,
      account: BOB,
      role: 'security',
      status: 'approved',
      entityId: 2,
      name: 'SOC',
      registeredBlock: 4,
      updatedBlock: 4,
    });
    upsertEntity(index, { ...base, account: ALICE, role: 'owner', status: 'approved', entityId: 1, updatedBlock: 5 });
    expect(getEntity(index, ALICE.toLowerCase())).to.include({ status: 'approved', entityId: 1, updatedBlock: 5 });
    expect(listEntities(index, { status: 'approved' }).map((entity) => entity.name)).to.deep.equal(['Alice', 'SOC']);
    expect(listEntities(index, { role: 'security' }).map((entity) => entity.account)).to.deep.equal([BOB]);
  });
});
