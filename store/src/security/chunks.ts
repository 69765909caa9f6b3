/**
 * `items` in slices of at most `size`, in order.
 *
 * @example
 * chunks([1, 2, 3], 2) // [[1, 2], [3]]
 */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const slices: T[][] = [];
  for (let start = 0; start < items.length; start += size) slices.push(items.slice(start, start + size));
  return slices;
}
