import hre from 'hardhat';
import { deployGasBench } from './deployGasBench';
import { measureActions, type GasAction } from './measureActions';
import { measureBatchedAnchoring, type AnchoringFigure } from './measureBatchedAnchoring';
import { measureNaiveAnchoring, type NaiveFigure } from './measureNaiveAnchoring';
import { GAS_TARGETS } from './targets';

export type { GasAction } from './measureActions';
export type { AnchoringFigure } from './measureBatchedAnchoring';
export type { NaiveFigure } from './measureNaiveAnchoring';

/** How thoroughly to measure. */
export type GasBenchOptions = {
  /** Fewer repetitions (1 batch per size, 16 naive anchors instead of 4 and 64); the same sizes and actions. */
  quick: boolean;
};

/** Every figure of the gas benchmark, with issue 7's targets. */
export type GasBenchResult = {
  /** Gas per user action, from its receipt. */
  actions: GasAction[];
  /** Gas of one batch and per snapshot, at each batch size of {@link ANCHORING_BATCH_SIZES}. */
  anchoring: AnchoringFigure[];
  /** Gas per snapshot anchored in its own transaction. */
  naive: NaiveFigure;
  /** Naive gas per snapshot over batched gas per snapshot at 1,024 snapshots, to one decimal. */
  ratioAt1024: number;
  /** The minimum ratio issue 7 asks for. */
  ratioTarget: number;
  /** Whether `ratioAt1024` reaches `ratioTarget`. */
  ratioMet: boolean;
};

/** The batch sizes anchoring is measured at. */
export const ANCHORING_BATCH_SIZES = [1, 16, 256, 1024] as const;

/** The benchmark runs only on Hardhat's in-process network: it deploys and spends freely. */
export class GasBenchNetworkError extends Error {
  override name = 'GasBenchNetworkError';
}

/**
 * Measures the gas of every user action of the registry and of snapshot anchoring, batched at 1, 16, 256 and 1,024
 * snapshots per Merkle root and naive (one transaction per snapshot), on Hardhat's in-process network. Deploys its
 * own contracts and reverts the chain to where it found it afterwards, so it can run inside a test suite. Figures
 * are gas from receipts: deterministic for a given compiler and contract code, whatever the machine.
 *
 * @example
 * const result = await runGasBench({ quick: true })
 * result.actions.find((action) => action.name === 'buy') // { name: 'buy', gasUsed: 7…, target: 90000, met: true }
 */
export async function runGasBench(options: GasBenchOptions): Promise<GasBenchResult> {
  if (hre.network.name !== 'hardhat') {
    throw new GasBenchNetworkError(`the gas benchmark runs on the in-process hardhat network, not ${hre.network.name}`);
  }
  const snapshot = (await hre.network.provider.send('evm_snapshot')) as string;
  try {
    const deployment = await deployGasBench(hre);
    const actions = await measureActions(deployment);
    const anchoring = await measureBatchedAnchoring(deployment, {
      batchSizes: ANCHORING_BATCH_SIZES,
      batchesPerSize: options.quick ? 1 : 4,
    });
    const naive = await measureNaiveAnchoring(deployment, { anchors: options.quick ? 16 : 64 });
    const at1024 = anchoring.find((figure) => figure.batchSize === 1024)!;
    const ratioAt1024 = Math.round((naive.totalGas / naive.anchors / (at1024.gasPerBatch / 1024)) * 10) / 10;
    return {
      actions,
      anchoring,
      naive,
      ratioAt1024,
      ratioTarget: GAS_TARGETS.ratioAt1024,
      ratioMet: ratioAt1024 >= GAS_TARGETS.ratioAt1024,
    };
  } finally {
    await hre.network.provider.send('evm_revert', [snapshot]);
  }
}
