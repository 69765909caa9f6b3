import { ethers } from 'ethers';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import type { Hex } from '../../twin-core/src/encoding/hex';
import type { SnapshotLeaf } from '../../twin-core/src/merkle/snapshotLeaf';
import { buildSnapshotTree } from '../../twin-core/src/merkle/snapshotTree';
import type { GasBenchDeployment } from './deployGasBench';
import { gasUsedBy } from './gasUsedBy';
import { GAS_TARGETS, meetsTarget } from './targets';

/** What anchoring one batch of `batchSize` snapshots costs. */
export type AnchoringFigure = {
  batchSize: number;
  /** Gas of the one `SnapshotAnchor.anchor` transaction (mean over the batches measured). */
  gasPerBatch: number;
  /** `gasPerBatch / batchSize`, rounded up. */
  gasPerSnapshot: number;
  /** The maximum gas per snapshot issue 7 allows (at 1,024 snapshots only). */
  target?: number;
  /** Whether `gasPerSnapshot` is within `target` (absent without a target). */
  met?: boolean;
};

/** How many devices the benchmark's snapshots come from. */
const DEVICES = 64;

/** `count` snapshot leaves of batch `batch`, from {@link DEVICES} devices, each sequence number used once. */
function benchLeaves(batch: string, count: number, firstSequence: number): SnapshotLeaf[] {
  return Array.from({ length: count }, (_, index) => ({
    deviceId: BigInt(ethers.id(`gas bench device ${index % DEVICES}`)),
    sequence: BigInt(firstSequence + index),
    snapshotHash: ethers.id(`gas bench ${batch} snapshot ${index}`) as Hex,
  }));
}

/**
 * Anchors `batchesPerSize` real batches (Merkle trees of distinct snapshot leaves, built as the oracle builds them) of
 * each size with one `SnapshotAnchor.anchor` each, checks a proof of every batch on chain, and returns the gas per
 * batch and per snapshot. The manifest CID has the same length (59 characters) for every batch, so only the leaf
 * count's calldata differs between sizes.
 *
 * @example
 * const anchoring = await measureBatchedAnchoring(deployment, { batchSizes: [1, 1024], batchesPerSize: 2 })
 */
export async function measureBatchedAnchoring(
  deployment: GasBenchDeployment,
  options: { batchSizes: readonly number[]; batchesPerSize: number },
): Promise<AnchoringFigure[]> {
  const anchor = deployment.anchor.connect(deployment.oracle);
  const figures: AnchoringFigure[] = [];
  let sequence = 0;
  for (const batchSize of options.batchSizes) {
    let total = 0;
    for (let batch = 0; batch < options.batchesPerSize; batch++) {
      const label = `${batchSize}/${batch}`;
      const leaves = benchLeaves(label, batchSize, sequence);
      sequence += batchSize;
      const tree = buildSnapshotTree(leaves);
      const manifestCid = rawCidV1(new TextEncoder().encode(`gas bench manifest ${label} ${tree.root}`));
      total += await gasUsedBy(anchor.anchor(tree.root, tree.leafCount, manifestCid));
      const last = leaves.length - 1;
      const { deviceId, sequence: leafSequence, snapshotHash } = leaves[last]!;
      if (!(await anchor.verifySnapshot(tree.root, tree.proof(last), deviceId, leafSequence, snapshotHash))) {
        throw new Error(`the anchored batch ${label} does not verify its own snapshot`);
      }
    }
    const gasPerBatch = Math.round(total / options.batchesPerSize);
    const gasPerSnapshot = Math.ceil(gasPerBatch / batchSize);
    const figure: AnchoringFigure = { batchSize, gasPerBatch, gasPerSnapshot };
    if (batchSize === 1024) {
      figure.target = GAS_TARGETS.anchorPerSnapshotAt1024;
      figure.met = meetsTarget(gasPerSnapshot, figure.target);
    }
    figures.push(figure);
  }
  return figures;
}
