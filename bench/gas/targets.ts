/**
 * The gas targets of issue 7, for a single-registry design. Every figure is a maximum except `ratioAt1024`, the
 * minimum saving of batched anchoring over one transaction per snapshot.
 *
 * @example
 * meetsTarget(gasUsed, GAS_TARGETS.buy) // true when gasUsed <= 90,000
 */
export const GAS_TARGETS = {
  /** `TwinRegistry.mint`, listed or not. */
  mint: 150_000,
  /** `TwinRegistry.buy` and `buyWithBalance`. */
  buy: 90_000,
  /** `TwinRegistry.setState`. */
  setState: 35_000,
  /** `TwinRegistry.recordUpdate`. */
  recordUpdate: 50_000,
  /** One `SnapshotAnchor.anchor` transaction, whatever the batch size. */
  anchorBatch: 66_000,
  /** Gas per snapshot of a 1,024-snapshot batch. */
  anchorPerSnapshotAt1024: 64,
  /** Naive per-snapshot gas over batched per-snapshot gas at 1,024 snapshots: at least this. */
  ratioAt1024: 700,
} as const;

/** Whether `gasUsed` is within the maximum `target`. */
export function meetsTarget(gasUsed: number, target: number): boolean {
  return gasUsed <= target;
}
