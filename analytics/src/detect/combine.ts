/**
 * Mean of the finite values (NaN when none): detectors average corroborating z-scores, so one noisy metric alone
 * carries half the weight.
 *
 * @example
 * meanOf([6, Number.NaN, 2]) // 4
 */
export function meanOf(values: readonly number[]): number {
  let sum = 0;
  let count = 0;
  for (const value of values) {
    if (Number.isNaN(value)) continue;
    sum += value;
    count++;
  }
  return count === 0 ? Number.NaN : sum / count;
}

/**
 * Minimum of the values, NaN if any is NaN: detectors that need every listed metric abnormal at once.
 *
 * @example
 * minOf([40, 12]) // 12
 */
export function minOf(values: readonly number[]): number {
  let minimum = Number.POSITIVE_INFINITY;
  for (const value of values) {
    if (Number.isNaN(value)) return Number.NaN;
    minimum = Math.min(minimum, value);
  }
  return minimum;
}
