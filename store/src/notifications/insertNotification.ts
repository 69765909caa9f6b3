import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, hashKey, pgJson, pgText, toDate, type TimeInput } from '../values';

/** A message for a twin's owner, e.g. that its state changed. */
export type IndexedNotification = {
  id: number;
  owner: string;
  deviceId: Hex;
  /** What happened, e.g. `state-changed`, `review-requested`. */
  kind: string;
  payload: unknown;
  createdAt: string;
  /** The chain event it comes from, when it does. */
  block: number | null;
  tx: Hex | null;
  logIndex: number | null;
};

/** What {@link insertNotification} takes. */
export type NotificationInput = {
  owner: string;
  deviceId: string | bigint;
  kind: string;
  payload: unknown;
  createdAt?: TimeInput;
  /** The chain event it comes from: one notification per event, however often (and by whichever instance) applied. */
  event?: { block: number; tx: string; logIndex: number };
};

const INSERT = {
  name: 'store.notifications.insert',
  text: `INSERT INTO notifications (owner, device_id, kind, payload, created_at, block, tx, log_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING RETURNING id`,
};

/**
 * Adds a notification (U+0000 in its text or payload stored as U+FFFD); returns its id, or undefined when the event
 * it comes from already has one.
 *
 * @example
 * await insertNotification(store, { owner, deviceId, kind: 'state-changed', payload: { newState: 'suspended' } })
 */
export async function insertNotification(db: Db, notification: NotificationInput): Promise<number | undefined> {
  const { rows } = await db.query<{ id: number }>(INSERT, [
    pgText(notification.owner),
    deviceIdKey(notification.deviceId),
    pgText(notification.kind),
    pgJson(notification.payload ?? null),
    toDate(notification.createdAt ?? Date.now(), 'creation time'),
    notification.event?.block ?? null,
    notification.event === undefined ? null : hashKey(notification.event.tx, 'transaction hash'),
    notification.event?.logIndex ?? null,
  ]);
  return rows[0]?.id;
}

/**
 * Deletes the notifications of chain events in blocks above `block` (a reorganisation undid them).
 *
 * @example
 * await deleteChainNotificationsAfter(store, forkBlock)
 */
export async function deleteChainNotificationsAfter(db: Db, block: number): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM notifications WHERE block > $1', [block]);
  return rowCount ?? 0;
}
