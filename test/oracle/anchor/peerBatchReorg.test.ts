import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utf8ToBytes } from '@noble/hashes/utils';
import { expect } from 'chai';
import { keccak256 } from 'ethers';
import { buildBatchManifest, type ManifestSnapshot } from '../../../oracle/src/anchor/batchManifest';
import { importPeerBatches } from '../../../oracle/src/anchor/importPeerBatches';
import { createChainMirror, type ChainMirror } from '../../../oracle/src/chain/createChainMirror';
import { getBatchByRoot } from '../../../oracle/src/index/batches';
import { openIndex, type Index } from '../../../oracle/src/index/openIndex';
import { getPeerBatch } from '../../../oracle/src/index/peerBatches';
import { getSnapshot } from '../../../oracle/src/index/snapshots';
import { HeliaBlobStore } from '../../../blobs/src';
import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { CAST, deployOnNode, mined, type NodeRegistry } from '../chain/deployOnNode';
import { startHardhatNode, type HardhatNode } from '../chain/hardhatNode';
import { tempDirectory } from '../index/tempIndex';

describe('oracle anchoring: a peer batch through a chain reorganisation (a real Hardhat node, mirror and Helia store)', function () {
  this.timeout(120_000);
  let node: HardhatNode;
  let registry: NodeRegistry;
  let dataDir: string;
  let store: HeliaBlobStore;
  let temp: ReturnType<typeof tempDirectory>;
  let index: Index;
  let mirror: ChainMirror;

  before(async function () {
    node = await startHardhatNode();
    registry = await deployOnNode(node);
    dataDir = await mkdtemp(join(tmpdir(), 'peer-reorg-'));
    store = await HeliaBlobStore.open({ dataDir });
    temp = tempDirectory('peer-reorg-index-');
    index = openIndex(temp.file);
    // Follows the head (1 confirmation): a reorganisation of a few blocks undoes what it applied.
    mirror = createChainMirror({
      provider: node.provider,
      deployment: registry.deployment,
      index,
      confirmations: 1,
      onError: () => undefined,
    });
  });
  after(async function () {
    await mirror?.stop();
    index?.close();
    temp?.remove();
    await store?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await node?.stop();
  });

  const importNow = () =>
    importPeerBatches({
      index,
      store,
      blockTime: async (block) => (await node.provider.getBlock(block))!.timestamp * 1000,
    });

  it('is imported, undone with the block that anchored it, and imported again when the anchoring comes back', async function () {
    const snapshots: ManifestSnapshot[] = [];
    for (let i = 0; i < 5; i++) {
      const bytes = utf8ToBytes(canonicalJson({ device: i, seq: 40 + i }));
      snapshots.push({
        deviceId: 0xd0000n + BigInt(i),
        sequence: BigInt(40 + i),
        snapshotHash: keccak256(bytes) as Hex,
        cid: await store.add(bytes),
        receivedAt: Date.now(),
        collectedAt: Date.now() - 1_000,
      });
    }
    const { tree, manifest } = buildBatchManifest(snapshots, Date.now());
    const manifestCid = await store.add(utf8ToBytes(canonicalJson(manifest)));
    // Another instance (same oracle role, another index) anchors the batch.
    const peer = registry.anchor.connect(node.wallet(CAST.oracle));
    const verified = async () => {
      const results: boolean[] = [];
      for (const snapshot of snapshots) {
        const row = getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence));
        results.push(
          row?.proof != null &&
            (await registry.anchor.verifySnapshot(
              tree.root,
              row.proof,
              snapshot.deviceId,
              snapshot.sequence,
              row.hash,
            )),
        );
      }
      return results;
    };

    await mirror.syncOnce();
    const beforeAnchoring = (await node.provider.send('evm_snapshot', [])) as string;
    const first = await mined(peer.anchor(tree.root, tree.leafCount, manifestCid));
    await node.mine(1);
    await mirror.syncOnce();
    expect(getPeerBatch(index, tree.root)).to.deep.include({ status: 'pending', block: first.blockNumber });
    expect(await importNow()).to.include({ imported: 1, importedSnapshots: 5 });
    expect(getBatchByRoot(index, tree.root)).to.deep.include({ status: 'confirmed', block: first.blockNumber });
    expect(await verified()).to.deep.equal([true, true, true, true, true]);

    // The block that anchored it is replaced by a longer chain without it.
    expect(await node.provider.send('evm_revert', [beforeAnchoring])).to.equal(true);
    await node.mine(4);
    const rewound = await mirror.syncOnce();
    expect(rewound.rewind, 'rewind').to.not.equal(undefined);
    expect(rewound.rewind!.undonePeerBatches).to.equal(1);
    expect(getPeerBatch(index, tree.root)).to.equal(undefined);
    expect(getBatchByRoot(index, tree.root)).to.equal(undefined);
    expect(snapshots.map((snapshot) => getSnapshot(index, snapshot.deviceId, Number(snapshot.sequence)))).to.deep.equal(
      [undefined, undefined, undefined, undefined, undefined],
    );
    expect(await importNow()).to.include({ imported: 0, deferred: 0, failed: 0 });

    // The anchoring transaction comes back in a later block of the new chain.
    const again = await mined(peer.anchor(tree.root, tree.leafCount, manifestCid));
    expect(again.blockNumber).to.not.equal(first.blockNumber);
    await mirror.syncOnce();
    expect(getPeerBatch(index, tree.root)).to.deep.include({ status: 'pending', block: again.blockNumber });
    expect(await importNow()).to.include({ imported: 1, importedSnapshots: 5 });
    expect(getBatchByRoot(index, tree.root)).to.deep.include({
      status: 'confirmed',
      block: again.blockNumber,
      txHash: again.hash,
    });
    expect(await verified()).to.deep.equal([true, true, true, true, true]);
  });
});
