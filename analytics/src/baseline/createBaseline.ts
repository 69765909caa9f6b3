import { createNameSet, type NameSet } from './nameSet';
import { BASELINE_NUMBERS, FAST, FIRST_MS, LAST_MS, LOCATION, PEAK_IN, PEAK_OUT, WARMED_AT_MS } from './layout';
import { FEATURE_COUNT } from '../features/features';

/**
 * What the analyzer has learned about one device: a fixed-size numeric state (see `layout.ts`) and two bounded name
 * sets from its snapshots. Its size does not depend on how long the device has been observed.
 */
export type Baseline = {
  readonly numbers: Float64Array;
  /**
   * Both bounded name sets in one array: listening sockets (`protocol/port`) in the first half, process names
   * (normalised) in the second; see {@link nameSetOf}.
   */
  readonly names: NameSet;
  /** Snapshots counted during the warm-up (the sets are meaningless before the first). */
  snapshotsLearned: number;
  /** Whether the warm-up counts were turned into learned names (`settleNames`). */
  namesSettled: boolean;
};

/**
 * One of a baseline's name sets (a view, no copy).
 *
 * @example
 * observeNames(nameSetOf(baseline, 'ports'), { names: ['tcp/22'], … })
 */
export function nameSetOf(baseline: Baseline, set: 'ports' | 'processes'): NameSet {
  const half = baseline.names.length / 2;
  return set === 'ports' ? baseline.names.subarray(0, half) : baseline.names.subarray(half);
}

/**
 * An empty baseline: `BASELINE_BYTES + 2 × setCapacity × 8` bytes of typed arrays.
 *
 * @example
 * const baseline = createBaseline(64) // 816 + 1,024 bytes of typed arrays
 */
export function createBaseline(setCapacity: number): Baseline {
  const numbers = new Float64Array(BASELINE_NUMBERS);
  numbers.fill(Number.NaN, FAST, FAST + FEATURE_COUNT);
  numbers.fill(Number.NaN, LOCATION, LOCATION + 2 * FEATURE_COUNT);
  numbers[PEAK_IN] = Number.NaN;
  numbers[PEAK_OUT] = Number.NaN;
  numbers[FIRST_MS] = Number.NaN;
  numbers[LAST_MS] = Number.NaN;
  numbers[WARMED_AT_MS] = Number.NaN;
  return { numbers, names: createNameSet(2 * setCapacity), snapshotsLearned: 0, namesSettled: false };
}
