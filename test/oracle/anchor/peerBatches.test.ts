import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { utf8ToBytes } from '@noble/hashes/utils';
import { expect } from 'chai';
import { keccak256 } from 'ethers';
import {
  buildBatchManifest,
  type BatchManifest,
  type ManifestSnapshot,
} from '../../../oracle/src/anchor/batchManifest';
import { importPeerBatches, type ImportPeerBatchesParameters } from '../../../oracle/src/anchor/importPeerBatches';
import { applyEvents } from '../../../oracle/src/chain/applyEvents';
import type { AnchorEvent, EventLocation, MirrorEvent } from '../../../oracle/src/chain/events';
import { rewindTo } from '../../../oracle/src/chain/reorg';
import {
  createBatch,
  getBatch,
  getBatchByRoot,
  listBatches,
  markBatchSubmitted,
} from '../../../oracle/src/index/batches';
import type { Index } from '../../../oracle/src/index/openIndex';
import { getPeerBatch, listPeerBatches, recordPeerBatch } from '../../../oracle/src/index/peerBatches';
import { getSnapshot, insertSnapshot, listBatchSnapshots } from '../../../oracle/src/index/snapshots';
import { type BlobStore, HeliaBlobStore } from '../../../blobs/src';
import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { rawCidV1 } from '../../../twin-core/src/encoding/rawCid';
import { formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { SNAPSHOT_LEAF_TYPES } from '../../../twin-core/src/merkle/snapshotLeaf';
import { tempIndex } from '../index/tempIndex';

const NOW = Date.parse('2026-05-01T10:00:00.000Z');
const BLOCK_TIME = Date.parse('2026-05-01T09:59:00.000Z');
const PEER = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const CURSOR = 'chain-mirror:31337:0x0000000000000000000000000000000000000001';
const hash32 = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;

/** A BlobStore that counts reads and can hang them (a manifest fetch that never answers). */
function watched(store: BlobStore): BlobStore & { gets: string[]; hang: boolean } {
  const wrapper = Object.create(store) as BlobStore & { gets: string[]; hang: boolean };
  wrapper.gets = [];
  wrapper.hang = false;
  wrapper.get = (cid: string) => {
    wrapper.gets.push(cid);
    return wrapper.hang ? new Promise<Uint8Array>(() => undefined) : store.get(cid);
  };
  return wrapper;
}

describe('oracle anchoring: importing batches anchored by other instances (real SQLite index, real Helia store)', function () {
  this.timeout(60_000);
  let dataDir: string;
  let helia: HeliaBlobStore;
  let store: ReturnType<typeof watched>;
  let temp: ReturnType<typeof tempIndex>;
  let index: Index;
  let nextDevice = 1;
  let nextEvent = 0;
  const blockTimes: number[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'peer-batches-'));
    helia = await HeliaBlobStore.open({ dataDir });
    store = watched(helia);
  });
  after(async () => {
    await helia?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    temp = tempIndex();
    index = temp.index;
    store.gets.length = 0;
    store.hang = false;
    blockTimes.length = 0;
  });
  afterEach(() => temp.close());

  /** `count` snapshots of fresh devices, each stored on IPFS, as the anchoring instance batched them. */
  async function peerSnapshots(count: number): Promise<Required<ManifestSnapshot>[]> {
    const snapshots: Required<ManifestSnapshot>[] = [];
    for (let i = 0; i < count; i++) {
      const deviceId = BigInt(nextDevice++) * 1_000_003n;
      const bytes = utf8ToBytes(canonicalJson({ deviceId: formatDeviceId(deviceId), seq: i + 3, cpu: i / 10 }));
      snapshots.push({
        deviceId,
        sequence: BigInt(i + 3),
        snapshotHash: keccak256(bytes) as Hex,
        cid: await helia.add(bytes),
        collectedAt: NOW - 60_000 + i * 1_000,
        receivedAt: NOW - 30_000 + i * 1_000,
      });
    }
    return snapshots;
  }

  /** Stores a manifest (optionally altered after it was built) and returns the event fields of anchoring it. */
  async function publish(
    snapshots: ManifestSnapshot[],
    alter: (manifest: BatchManifest) => unknown = (manifest) => manifest,
    add = true,
  ) {
    const { tree, manifest } = buildBatchManifest(snapshots, NOW - 10_000);
    const bytes = utf8ToBytes(canonicalJson(alter(structuredClone(manifest))));
    const manifestCid = add ? await helia.add(bytes) : rawCidV1(bytes);
    return { root: tree.root, leafCount: tree.leafCount, manifestCid, bytes };
  }

  /** Applies a `BatchAnchored` event through the chain mirror's own code, in block `block`. */
  function anchored(
    batch: { root: string; leafCount: number; manifestCid: string },
    block: number,
  ): AnchorEvent & EventLocation {
    nextEvent++;
    const event: AnchorEvent & EventLocation & { contract: 'SnapshotAnchor' } = {
      name: 'BatchAnchored',
      contract: 'SnapshotAnchor',
      block,
      blockHash: hash32(block * 1_000 + nextEvent),
      tx: hash32(0xabc000 + nextEvent),
      logIndex: 0,
      batchId: nextEvent,
      root: batch.root.toLowerCase(),
      oracle: PEER,
      leafCount: batch.leafCount,
      manifestCid: batch.manifestCid,
    };
    index.transaction(() => applyEvents(index, [event satisfies MirrorEvent], NOW));
    return event;
  }

  function pass(at = NOW, overrides: Partial<ImportPeerBatchesParameters> = {}) {
    return importPeerBatches({
      index,
      store,
      now: () => at,
      backoff: { baseMs: 1_000, maxMs: 60_000 },
      blockTime: async (block) => {
        blockTimes.push(block);
        return BLOCK_TIME;
      },
      ...overrides,
    });
  }

  /** Every leaf of the batch (in leaf order) but `skip` has its leaf index and a proof that verifies against `root`. */
  function expectProofsVerify(root: string, snapshots: ManifestSnapshot[], skip?: ManifestSnapshot) {
    for (const [leafIndex, snapshot] of snapshots.entries()) {
      if (snapshot === skip) continue;
      const row = getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence))!;
      expect(row.leafIndex, 'leaf index').to.equal(leafIndex);
      const values = [snapshot.deviceId.toString(), snapshot.sequence.toString(), row.hash];
      expect(StandardMerkleTree.verify(root, [...SNAPSHOT_LEAF_TYPES], values, row.proof!), 'proof').to.equal(true);
    }
  }

  it('the mirror confirms a root this index batched and records any other root as a pending peer batch', async function () {
    const own = await publish(await peerSnapshots(2));
    const ours = createBatch(index);
    markBatchSubmitted(index, ours.id, { ...own, txHash: hash32(1) });
    const peer = await publish(await peerSnapshots(2));
    anchored(own, 10);
    const event = anchored(peer, 11);

    expect(getBatch(index, ours.id)).to.include({ status: 'confirmed', block: 10 });
    expect(listPeerBatches(index)).to.have.length(1);
    expect(getPeerBatch(index, peer.root)).to.deep.include({
      manifestCid: peer.manifestCid,
      leafCount: 2,
      chainBatchId: event.batchId,
      oracle: PEER,
      tx: event.tx,
      block: 11,
      status: 'pending',
      attempts: 0,
      batchId: null,
    });
    index.transaction(() => applyEvents(index, [{ ...event, contract: 'SnapshotAnchor' }], NOW)); // already logged
    expect(recordPeerBatch(index, { ...event, chainBatchId: event.batchId }, NOW)).to.equal(false);
    expect(listPeerBatches(index)).to.have.length(1);
  });

  it('imports a valid peer manifest with verifying proofs; a snapshot held already keeps its row; a re-run does nothing', async function () {
    const snapshots = await peerSnapshots(5);
    const held = snapshots[2]!;
    insertSnapshot(index, {
      deviceId: held.deviceId,
      seq: Number(held.sequence),
      collectedAt: held.collectedAt,
      hash: held.snapshotHash,
      cid: held.cid,
      receivedAt: NOW - 1,
    });
    const peer = await publish(snapshots);
    const event = anchored(peer, 12);

    const result = await pass();
    expect(result).to.include({ imported: 1, importedSnapshots: 4, failed: 0, deferred: 0 });
    const batch = getBatchByRoot(index, peer.root)!;
    expect(batch).to.deep.include({
      status: 'confirmed',
      manifestCid: peer.manifestCid,
      leafCount: 5,
      txHash: event.tx,
      block: 12,
      chainBatchId: event.batchId,
      confirmedAt: new Date(NOW).toISOString(),
    });
    expect(getPeerBatch(index, peer.root)).to.deep.include({ status: 'imported', batchId: batch.id, attempts: 1 });
    expect(listBatchSnapshots(index, batch.id)).to.have.length(4);
    const others = snapshots.filter((snapshot) => snapshot !== held);
    for (const snapshot of others) {
      expect(getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence))).to.deep.include({
        hash: snapshot.snapshotHash,
        cid: snapshot.cid,
        batchId: batch.id,
        collectedAt: new Date(snapshot.collectedAt).toISOString(),
        receivedAt: new Date(snapshot.receivedAt).toISOString(),
      });
    }
    expectProofsVerify(peer.root, snapshots, held);
    expect(getSnapshot(index, held.deviceId, Number(held.sequence))).to.deep.include({
      batchId: null,
      receivedAt: new Date(NOW - 1).toISOString(),
    });
    expect(blockTimes).to.deep.equal([]); // the manifest carries every time

    const rows = index.db.prepare('SELECT * FROM snapshots ORDER BY device_id, seq').all();
    const again = await pass(NOW + 3_600_000);
    expect(again.results).to.deep.equal([]);
    expect(index.db.prepare('SELECT * FROM snapshots ORDER BY device_id, seq').all()).to.deep.equal(rows);
    expect(listBatches(index)).to.have.length(1);
    expect(store.gets).to.deep.equal([peer.manifestCid]);
  });

  it('refuses, records and never fetches again a manifest that lies about the root, the leaf count or its form', async function () {
    const lying = await publish(await peerSnapshots(3), (manifest) => {
      manifest.leaves[1]!.snapshotHash = hash32(0xbad); // the root it states stays the anchored one
      return manifest;
    });
    const short = await publish(await peerSnapshots(3), (manifest) => ({
      ...manifest,
      leaves: manifest.leaves.slice(1),
    }));
    const malformed = await publish(await peerSnapshots(1), (manifest) => ({ ...manifest, leafEncoding: ['string'] }));
    const notJson = { root: hash32(0x5eed), leafCount: 1, manifestCid: await helia.add(utf8ToBytes('{"v":1,')) };
    anchored(lying, 13);
    anchored({ ...short, leafCount: 3 }, 14);
    anchored(malformed, 15);
    anchored(notJson, 16);

    const result = await pass();
    expect(result).to.include({ imported: 0, failed: 4, deferred: 0 });
    const failures = listPeerBatches(index).map((batch) => [batch.status, batch.failure]);
    expect(failures[0]).to.deep.equal(['failed', failures[0]![1]]);
    expect(failures[0]![1]).to.include('does not rebuild the anchored root').and.include(lying.root.toLowerCase());
    expect(failures[1]![1]).to.include('another leaf count').and.include('2 leaves, the chain anchored 3');
    expect(failures[2]![1]).to.include('schema').and.include('leafEncoding');
    expect(failures[3]![1]).to.include('not JSON');
    expect(listPeerBatches(index, { status: 'failed' })).to.have.length(4);
    expect(listBatches(index)).to.deep.equal([]);
    expect(index.db.prepare('SELECT count(*) AS n FROM snapshots').get()).to.deep.equal({ n: 0 });

    const fetched = store.gets.length;
    expect((await pass(NOW + 86_400_000)).results).to.deep.equal([]);
    expect(store.gets).to.have.length(fetched);
  });

  it('refuses a batch whose leaf contradicts a snapshot the index holds, writing nothing of it', async function () {
    const snapshots = await peerSnapshots(3);
    const contradicted = snapshots[1]!;
    insertSnapshot(index, {
      deviceId: contradicted.deviceId,
      seq: Number(contradicted.sequence),
      collectedAt: NOW,
      hash: hash32(0xd1ff),
      cid: contradicted.cid,
    });
    const peer = await publish(snapshots);
    anchored(peer, 17);
    expect(await pass()).to.include({ failed: 1 });
    expect(getPeerBatch(index, peer.root)!.failure).to.include('contradicts a snapshot the index holds');
    expect(getBatchByRoot(index, peer.root)).to.equal(undefined);
    expect(getSnapshot(index, snapshots[0]!.deviceId, Number(snapshots[0]!.sequence))).to.equal(undefined);
  });

  it('retries a manifest not available yet (or not answered in time) with backoff, and imports it once it is', async function () {
    const snapshots = await peerSnapshots(4);
    const later = await publish(snapshots, undefined, false);
    anchored(later, 18);

    const first = await pass();
    expect(first).to.include({ imported: 0, failed: 0, deferred: 1 });
    expect(getPeerBatch(index, later.root)).to.deep.include({
      status: 'pending',
      attempts: 1,
      nextAttemptAt: new Date(NOW + 1_000).toISOString(),
    });
    expect(getPeerBatch(index, later.root)!.failure).to.include('not in the store');
    expect((await pass(NOW + 999)).results).to.deep.equal([]); // not due yet

    store.hang = true;
    const hung = await pass(NOW + 1_000, { timeoutMs: 50 });
    expect(hung).to.include({ deferred: 1 });
    expect(getPeerBatch(index, later.root)).to.deep.include({
      attempts: 2,
      nextAttemptAt: new Date(NOW + 1_000 + 2_000).toISOString(),
    });
    expect(getPeerBatch(index, later.root)!.failure).to.include('not fetched within 50 ms');

    store.hang = false;
    expect(await helia.add(later.bytes)).to.equal(later.manifestCid); // the other instance's store catches up
    expect(await pass(NOW + 3_000)).to.include({ imported: 1, importedSnapshots: 4 });
    expect(getPeerBatch(index, later.root)).to.deep.include({ status: 'imported', attempts: 3, failure: null });
    expectProofsVerify(later.root, snapshots);
  });

  it('takes the block time for the leaves of a manifest written before leaves carried times', async function () {
    const snapshots = await peerSnapshots(2);
    const old = await publish(snapshots, (manifest) => ({
      ...manifest,
      leaves: manifest.leaves.map(({ collectedAt: _c, receivedAt: _r, ...leaf }) => leaf),
    }));
    anchored(old, 19);
    expect(await pass()).to.include({ imported: 1 });
    expect(blockTimes).to.deep.equal([19]);
    for (const snapshot of snapshots) {
      expect(getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence))).to.deep.include({
        collectedAt: new Date(BLOCK_TIME).toISOString(),
        receivedAt: new Date(BLOCK_TIME).toISOString(),
      });
    }
    expectProofsVerify(old.root, snapshots);
  });

  it('a reorganisation deletes what an import wrote (held snapshots stay); the returning event imports it again', async function () {
    const snapshots = await peerSnapshots(3);
    const held = snapshots[0]!;
    insertSnapshot(index, {
      deviceId: held.deviceId,
      seq: Number(held.sequence),
      collectedAt: held.collectedAt,
      hash: held.snapshotHash,
      cid: held.cid,
    });
    const kept = await publish(await peerSnapshots(1));
    const peer = await publish(snapshots);
    const pendingOnly = await publish(await peerSnapshots(1), undefined, false);
    anchored(kept, 20);
    anchored(peer, 21);
    anchored(pendingOnly, 22);
    expect(await pass()).to.include({ imported: 2, deferred: 1 });
    const before = getBatchByRoot(index, peer.root)!;

    const rewind = rewindTo(index, { block: 20, hash: hash32(20_000) }, CURSOR, NOW);
    expect(rewind).to.include({ undonePeerBatches: 2, unconfirmedBatches: 0 });
    expect(getPeerBatch(index, peer.root)).to.equal(undefined);
    expect(getPeerBatch(index, pendingOnly.root)).to.equal(undefined);
    expect(getBatch(index, before.id)).to.equal(undefined);
    for (const snapshot of snapshots.slice(1)) {
      expect(getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence))).to.equal(undefined);
    }
    expect(getSnapshot(index, held.deviceId, Number(held.sequence))).to.deep.include({ batchId: null });
    expect(getPeerBatch(index, kept.root)).to.deep.include({ status: 'imported', block: 20 });
    expect(listBatches(index).map((batch) => batch.root)).to.deep.equal([kept.root.toLowerCase()]);
    expect(index.db.prepare('SELECT count(*) AS n FROM chain_events').get()).to.deep.equal({ n: 1 });

    const returned = anchored(peer, 24); // the anchoring transaction mined again in the new chain
    expect(await pass(NOW + 10)).to.include({ imported: 1, importedSnapshots: 2 });
    expect(getBatchByRoot(index, peer.root)).to.deep.include({ status: 'confirmed', block: 24, txHash: returned.tx });
    expectProofsVerify(peer.root, snapshots, held);
    expect(getSnapshot(index, held.deviceId, Number(held.sequence))).to.deep.include({ batchId: null });
  });
});
