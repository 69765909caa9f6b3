import { inTransaction, type Db } from '../pool/withTransaction';
import { StoreError } from '../errors';
import { deviceIdKey, pgText, toDate, type TimeInput } from '../values';

/** A message the oracle refused. */
export type IndexedRejection = {
  id: number;
  at: string;
  /** The device, when the message let the oracle tell it. */
  deviceId: string | null;
  reason: string;
  detail: string;
};

/** What {@link recordRejection} takes. */
export type RejectionInput = {
  reason: string;
  detail: string;
  deviceId?: string | bigint | undefined;
  at?: TimeInput;
};

/**
 * Rejection rows kept by default: the newest 100,000 (about 25 MB); older ones are deleted as new ones arrive, the
 * counts per reason are kept apart and never pruned.
 */
export const DEFAULT_REJECTIONS_KEPT = 100_000;
/** A detail is cut to this many characters: a stranger's message cannot make a row any larger. */
export const MAX_REJECTION_DETAIL = 500;

/*
 * One statement: the row, one more in its reason's count (a row lock: concurrent instances each add theirs), and the
 * rows `kept` or more ids below it deleted. Ids come from an identity, growing in every instance.
 */
const RECORD = {
  name: 'store.rejections.record',
  text: `WITH inserted AS (
           INSERT INTO rejections (at, device_id, reason, detail) VALUES ($1, $2, $3, $4) RETURNING id
         ),
         counted AS (
           INSERT INTO rejection_counts (reason, count) VALUES ($3, 1)
           ON CONFLICT (reason) DO UPDATE SET count = rejection_counts.count + 1
         ),
         pruned AS (
           DELETE FROM rejections WHERE id <= (SELECT id FROM inserted) - $5
         )
         SELECT id FROM inserted`,
};
const COUNT_ONLY = {
  name: 'store.rejections.countOnly',
  text: `INSERT INTO rejection_counts (reason, count) VALUES ($1, 1)
         ON CONFLICT (reason) DO UPDATE SET count = rejection_counts.count + 1`,
};

/**
 * Records a refused message: one row (its detail cut to {@link MAX_REJECTION_DETAIL} characters), one more in its
 * reason's count, and the oldest rows beyond `kept` deleted (U+0000 in the reason or detail stored as U+FFFD), so what a stranger sending garbage makes the index
 * store is bounded while the counts keep every refusal, exact whatever number of instances record at once. In one
 * statement (the caller's transaction when `db` is one). Returns the row's id (0 with `kept: 0`: no row is kept).
 *
 * @example
 * await recordRejection(store, { reason: 'replay', detail: 'seq 4 ≤ 9', deviceId }, { kept: 10_000 })
 */
export async function recordRejection(
  db: Db,
  rejection: RejectionInput,
  options: { kept?: number } = {},
): Promise<number> {
  const kept = options.kept ?? DEFAULT_REJECTIONS_KEPT;
  if (!Number.isSafeInteger(kept) || kept < 0) {
    throw new StoreError('Invalid kept.', { details: `expected an integer ≥ 0, got ${String(kept)}` });
  }
  const at = toDate(rejection.at ?? Date.now(), 'rejection time');
  const deviceId = rejection.deviceId === undefined ? null : deviceIdKey(rejection.deviceId);
  // Stranger-controlled text: U+0000 (no text column can hold it) is stored as U+FFFD, the rejection still counted.
  const reason = pgText(rejection.reason);
  const detail = pgText(
    rejection.detail.length > MAX_REJECTION_DETAIL
      ? `${rejection.detail.slice(0, MAX_REJECTION_DETAIL - 1)}…`
      : rejection.detail,
  );
  if (kept === 0) {
    await db.query(COUNT_ONLY, [reason]);
    return 0;
  }
  // In a transaction of its own when given the store: a deadlock between two instances' prunes is retried.
  const { rows } = await inTransaction(db, (tx) =>
    tx.query<{ id: number }>(RECORD, [at, deviceId, reason, detail, kept]),
  );
  return rows[0]!.id;
}
