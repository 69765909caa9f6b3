import { ethers } from 'ethers';
import type { GasBenchDeployment } from './deployGasBench';
import { gasUsedBy } from './gasUsedBy';

/** What anchoring one snapshot costs when each snapshot is its own transaction. */
export type NaiveFigure = {
  /** Mean gas of one `NaiveSnapshotAnchor.anchor` transaction, rounded. */
  gasPerSnapshot: number;
  /** How many snapshots the mean is over. */
  anchors: number;
  /** Gas of all `anchors` transactions together. */
  totalGas: number;
};

/**
 * Anchors `anchors` snapshots with the naive baseline, one transaction and one storage slot each (from 4 devices,
 * consecutive sequence numbers), and returns the mean gas per snapshot.
 *
 * @example
 * const naive = await measureNaiveAnchoring(deployment, { anchors: 64 })
 */
export async function measureNaiveAnchoring(
  deployment: GasBenchDeployment,
  options: { anchors: number },
): Promise<NaiveFigure> {
  if (!(Number.isInteger(options.anchors) && options.anchors > 0)) throw new RangeError('anchors must be positive');
  const naive = deployment.naive.connect(deployment.oracle);
  let total = 0;
  for (let index = 0; index < options.anchors; index++) {
    const deviceId = BigInt(ethers.id(`gas bench device ${index % 4}`));
    const snapshotHash = ethers.id(`gas bench naive snapshot ${index}`);
    total += await gasUsedBy(naive.anchor(deviceId, BigInt(Math.floor(index / 4)), snapshotHash));
  }
  return { gasPerSnapshot: Math.round(total / options.anchors), anchors: options.anchors, totalGas: total };
}
