import { expect } from 'chai';
import { hexlify, parseEther, randomBytes } from 'ethers';
import {
  createBatch,
  getBatch,
  getBatchByRoot,
  getCursor,
  getEntity,
  getTwin,
  listBatches,
  listEntities,
  listStateChanges,
  listTwinUpdates,
  listTwins,
  markBatchSubmitted,
  notificationsFor,
} from '../../../store/src';
import { State } from '../../fixtures';
import { CAST, mined, mintOnNode } from './deployOnNode';
import {
  CONFIRMATIONS,
  counts,
  dump,
  NOW,
  outbox,
  startMirrorHarness,
  TABLES,
  type MirrorHarness,
} from './mirrorHarness';

describe('oracle chain mirror: following the registry (a real Hardhat node over JSON-RPC)', function () {
  this.timeout(60_000);
  let h: MirrorHarness;
  const as = (account: number) => h.node.wallet(account);

  before(async function () {
    h = await startMirrorHarness();
  });
  after(async function () {
    await h?.close();
  });

  it('mirrors the entities and the example twins once their blocks are confirmed', async function () {
    const receipts = await h.mintExamples(parseEther('1'));
    const result = await h.settle();
    expect(result.rewind).to.equal(undefined);
    expect(result.fromBlock).to.equal(h.registry.deployment.deploymentBlock);
    expect(result.toBlock).to.equal(receipts.at(-1)!.blockNumber);
    expect((await listTwins(h.index)).total).to.equal(3);
    for (const [i, deviceId] of h.ids.entries()) {
      await h.expectMirrors(h.index, deviceId);
      expect(await getTwin(h.index, deviceId)).to.include({
        staticCid: h.minted[i]!.staticCid,
        mintedBlock: receipts[i]!.blockNumber,
      });
    }
    expect((await listTwins(h.index, { forSale: true })).items.map((twin) => twin.deviceId)).to.deep.equal([h.ids[1]]);
    const approved = await listEntities(h.index, { status: 'approved' });
    expect(approved.map((entity) => [entity.name, entity.role, entity.entityId])).to.deep.equal([
      ['Raspberry Pi Ltd', 'manufacturer', 1],
      ['Alice', 'owner', 2],
      ['Bob', 'owner', 3],
      ['Twin SOC', 'security', 4],
    ]);
    expect((await getEntity(h.index, as(CAST.alice).address))?.profileCid).to.equal(`bafy-profile-${CAST.alice}`);
    expect((await getCursor(h.index, h.mirror.cursorName))?.lastProcessedBlock).to.equal(result.toBlock);
  });

  it('applies an event only once its block has the configured confirmations', async function () {
    const receipt = await mined(h.registry.twins.connect(as(CAST.manufacturer)).list(h.ids[0]!, parseEther('2')));
    const block = receipt.blockNumber;
    let result = await h.mirror.syncOnce();
    expect(result.safeBlock).to.equal(block - CONFIRMATIONS + 1);
    expect((await getTwin(h.index, h.ids[0]!))!.forSale).to.equal(false);
    await h.node.mine(CONFIRMATIONS - 2);
    result = await h.mirror.syncOnce();
    expect(result.toBlock).to.equal(block - 1);
    expect((await getTwin(h.index, h.ids[0]!))!.forSale).to.equal(false);
    await h.node.mine(1);
    result = await h.mirror.syncOnce();
    expect(result).to.include({ toBlock: block, events: 1 });
    expect(await getTwin(h.index, h.ids[0]!)).to.include({
      forSale: true,
      price: parseEther('2'),
      updatedBlock: block,
    });
  });

  it('follows the market: purchase, listing, delisting and plain transfer', async function () {
    const { twins } = h.registry;
    const [alice, bob] = [as(CAST.alice), as(CAST.bob)];
    const ids = h.ids;
    await mined(twins.connect(alice).buy(ids[1]!, { value: parseEther('1') }));
    await mined(twins.connect(bob).buy(ids[0]!, { value: parseEther('2') }));
    await mined(twins.connect(alice).list(ids[1]!, 3n));
    await mined(twins.connect(alice).list(ids[1]!, 2n ** 95n + 1n)); // a new price, far above 2^53
    await h.settle();
    expect(await getTwin(h.index, ids[1]!)).to.include({ owner: alice.address, forSale: true, price: 2n ** 95n + 1n });
    await h.expectMirrors(h.index, ids[1]!);

    await mined(twins.connect(alice).delist(ids[1]!));
    await mined(twins.connect(alice).transferFrom(alice.address, bob.address, ids[1]!));
    await h.settle();
    for (const deviceId of ids) await h.expectMirrors(h.index, deviceId);
    expect(await getTwin(h.index, ids[1]!)).to.include({ owner: bob.address, forSale: false, price: 0n });
    expect((await listTwins(h.index, { owner: bob.address.toLowerCase() })).total).to.equal(2);
    expect((await listTwins(h.index, { forSale: true })).total).to.equal(0);
  });

  it('records updates, signer changes and state changes, with owner notifications and onStateChange calls', async function () {
    const twins = h.registry.twins;
    const [bob, soc, maker] = [as(CAST.bob), as(CAST.security), as(CAST.manufacturer)];
    const [first, , third] = h.ids;
    const artifact = hexlify(randomBytes(32));
    await mined(twins.connect(bob).recordUpdate(first!, 'openssl', '3.0.15', artifact, 'bafy-openssl'));
    await mined(twins.connect(bob).setDeviceSigner(first!, as(CAST.newSigner).address));
    await mined(twins.connect(soc).setState(first!, State.Suspended, 'bafy-evidence'));
    await mined(twins.connect(bob).recordUpdate(first!, 'kernel', '6.6.51', hexlify(randomBytes(32)), ''));
    await mined(twins.connect(bob).requestReview(first!, 'patched'));
    await mined(twins.connect(soc).setState(first!, State.Active, 'bafy-clean'));
    await mined(twins.connect(bob).reportLost(first!, 'stolen'));
    await mined(twins.connect(maker).deactivate(third!, 'end of life'));
    h.published.length = 0;
    const result = await h.settle();
    expect(result.stateChanges).to.equal(4);
    for (const deviceId of h.ids) await h.expectMirrors(h.index, deviceId);

    const updates = await listTwinUpdates(h.index, first!);
    expect(updates.map((update) => [update.index, update.component, update.version])).to.deep.equal([
      [1, 'openssl', '3.0.15'],
      [2, 'kernel', '6.6.51'],
    ]);
    expect(updates[0]).to.include({ artifactHash: artifact, artifactCid: 'bafy-openssl' });
    expect((await getTwin(h.index, first!))!.deviceSigner).to.equal(as(CAST.newSigner).address);
    const changes = (await listStateChanges(h.index, first!)).map((change) => [
      change.previous,
      change.new,
      change.by,
      change.reason,
    ]);
    expect(changes).to.deep.equal([
      ['active', 'suspended', soc.address, 'bafy-evidence'],
      ['suspended', 'active', soc.address, 'bafy-clean'],
      ['active', 'lost', bob.address, 'stolen'],
    ]);

    const bobs = await notificationsFor(h.index, bob.address);
    expect(bobs.map((row) => row.kind)).to.deep.equal([
      'state-changed',
      'review-requested',
      'state-changed',
      'state-changed',
    ]);
    expect(bobs[0]!.payload).to.deep.include({
      deviceId: first,
      previousState: 'active',
      newState: 'suspended',
      reason: 'bafy-evidence',
    });
    expect(bobs[1]!.payload).to.deep.include({ updateCount: 2, note: 'patched' });
    expect(bobs.every((row) => row.createdAt === new Date(NOW).toISOString())).to.equal(true);
    const makers = await notificationsFor(h.index, maker.address);
    expect(makers.map((row) => [row.deviceId, (row.payload as { newState: string }).newState])).to.deep.equal([
      [third, 'deactivated'],
    ]);

    expect(h.published.map((event) => [event.deviceId, event.newState])).to.deep.equal([
      [first, 'suspended'],
      [first, 'active'],
      [first, 'lost'],
      [third, 'deactivated'],
    ]);
    const notificationIds = [...bobs.filter((row) => row.kind === 'state-changed'), ...makers].map((row) => row.id);
    expect(h.published.map((event) => event.notificationId)).to.deep.equal(notificationIds);
    expect(h.published[0]).to.include({ owner: bob.address, by: soc.address, reason: 'bafy-evidence' });
    // The live feed: a state event per state change, after its chain event, with the twin's DeviceID.
    const events = await outbox(h.index);
    const states = events.filter((event) => event.kind === 'state');
    expect(states.map((event) => [event.deviceId, event.payload])).to.deep.equal(
      h.published.map((event) => [event.deviceId, { block: event.block, logIndex: event.logIndex }]),
    );
    for (const state of states) {
      const at = events.indexOf(state);
      expect(events[at - 1]).to.deep.equal({ ...state, kind: 'chain' });
    }
    const chain = events.filter((event) => event.kind === 'chain');
    expect(chain).to.have.length(Number((await counts(h.index)).chain_events));
  });

  it('marks a batch it knows confirmed when its root is anchored, and ignores roots it never batched', async function () {
    const [known, unknown] = [hexlify(randomBytes(32)), hexlify(randomBytes(32))];
    const batch = await createBatch(h.index);
    await markBatchSubmitted(h.index, batch.id, {
      root: known,
      manifestCid: 'bafy-manifest',
      leafCount: 3,
      txHash: `0x${'00'.repeat(32)}`,
    });
    const anchor = h.registry.anchor.connect(as(CAST.oracle));
    const receipt = await mined(anchor.anchor(known, 3, 'bafy-manifest'));
    await mined(anchor.anchor(unknown, 1, 'bafy-other'));
    await h.settle();
    expect(await getBatch(h.index, batch.id)).to.include({
      status: 'confirmed',
      chainBatchId: 1,
      block: receipt.blockNumber,
      txHash: receipt.hash,
      confirmedAt: new Date(NOW).toISOString(),
    });
    expect(await getBatchByRoot(h.index, unknown)).to.equal(undefined);
    expect(await listBatches(h.index)).to.have.length(1);
    // The live feed: one chain event per anchoring, one anchored event for the batch this store knows.
    const events = (await outbox(h.index)).slice(-3);
    expect(events).to.deep.equal([
      { kind: 'chain', deviceId: null, payload: { block: receipt.blockNumber, logIndex: 0, name: 'BatchAnchored' } },
      { kind: 'anchored', deviceId: null, payload: { batchId: batch.id } },
      {
        kind: 'chain',
        deviceId: null,
        payload: { block: receipt.blockNumber + 1, logIndex: 0, name: 'BatchAnchored' },
      },
    ]);
  });

  it('resumes from its cursor after a restart: nothing applied twice, new events applied', async function () {
    const before = await dump(h.index);
    const cursor = (await getCursor(h.index, h.mirror.cursorName))!;
    await h.restart();
    const idle = await h.mirror.syncOnce();
    expect(idle).to.include({ fromBlock: cursor.lastProcessedBlock + 1, events: 0 });
    expect(await dump(h.index)).to.deep.equal(before);

    const update = h.registry.twins
      .connect(as(CAST.bob))
      .recordUpdate(h.ids[0]!, 'firmware', '2', hexlify(randomBytes(32)), '');
    const receipt = await mined(update);
    const result = await h.settle();
    expect(result).to.include({ fromBlock: cursor.lastProcessedBlock + 1, events: 1 });
    const expected = Object.fromEntries(Object.entries(before).map(([table, rows]) => [table, rows.length]));
    expected.twin_updates! += 1;
    expected.chain_events! += 1;
    expect(await counts(h.index)).to.deep.equal(expected);
    expect((await listTwinUpdates(h.index, h.ids[0]!)).at(-1)).to.include({
      index: 3,
      component: 'firmware',
      block: receipt.blockNumber,
    });
    await h.expectMirrors(h.index, h.ids[0]!);
  });

  it('drops a disputed twin with its history, mints it afresh, and logs brand events without changing records', async function () {
    const { twins, entities } = h.registry;
    const [first] = h.ids;
    const maker = as(CAST.manufacturer);
    const entityBefore = await getEntity(h.index, maker.address);
    expect((await listTwinUpdates(h.index, first!)).length).to.be.greaterThan(0);
    await mined(entities.connect(maker).registerBrand('Mirror Boards'));
    await mined(entities.connect(as(CAST.admin)).approveBrand(maker.address, 'Mirror Boards'));
    await mined(twins.connect(as(CAST.admin)).dispute(first!, 'minted in error'));
    await h.settle();
    expect(await getTwin(h.index, first!)).to.equal(undefined);
    expect(await listTwinUpdates(h.index, first!)).to.deep.equal([]);
    expect(await listStateChanges(h.index, first!)).to.deep.equal([]);
    expect(await getEntity(h.index, maker.address)).to.deep.equal(entityBefore);
    const logged = ((await dump(h.index)).chain_events as { name: string }[]).map((event) => event.name);
    expect(logged.slice(-4)).to.deep.equal(['BrandRegistered', 'BrandApproved', 'TwinDisputed', 'Transfer']);

    await mintOnNode(h.node, h.registry, h.minted[0]!, as(CAST.deviceSigner).privateKey);
    await h.settle();
    await h.expectMirrors(h.index, first!);
    expect(await getTwin(h.index, first!)).to.include({ owner: maker.address, updateCount: 0, state: 'active' });
  });

  it('a fresh database synced in small ranges ends identical, outbox included; a failing onStateChange stops nothing', async function () {
    const failures: unknown[] = [];
    const { index: other, mirror: replay } = await h.fresh({
      batchBlocks: 2,
      onStateChange: () => {
        throw new Error('broker down');
      },
      onError: (error) => void failures.push(error),
    });
    const known = (await listBatches(h.index))[0]!;
    const batch = await createBatch(other);
    await markBatchSubmitted(other, batch.id, {
      root: known.root!,
      manifestCid: 'bafy-manifest',
      leafCount: 3,
      txHash: known.txHash!,
    });
    const result = await replay.syncOnce();
    expect(result.toBlock).to.equal((await getCursor(h.index, h.mirror.cursorName))!.lastProcessedBlock);
    expect(failures).to.have.length(4);
    expect(String(failures[0])).to.include('broker down');
    const [mine, theirs] = [await dump(h.index), await dump(other)];
    for (const table of TABLES.filter((name) => name !== 'batches'))
      expect(theirs[table], table).to.deep.equal(mine[table]);
    expect(await getBatch(other, batch.id)).to.include({ status: 'confirmed', chainBatchId: 1 });
    expect(await outbox(other)).to.deep.equal(await outbox(h.index));
    expect(h.errors).to.deep.equal([]);
  });
});
