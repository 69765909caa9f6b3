import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Index } from './openIndex';
import { deviceIdKey, hashKey, pageSize, toIso, toMillis, type Row, type TimeInput } from './values';

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
  /** The chain event it comes from: one notification per event, however often it is applied. */
  event?: { block: number; tx: string; logIndex: number };
};

/**
 * Adds a notification; returns its id, or undefined when the event it comes from already has one.
 *
 * @example
 * insertNotification(index, { owner, deviceId, kind: 'state-changed', payload: { newState: 'suspended' } })
 */
export function insertNotification(index: Index, notification: NotificationInput): number | undefined {
  const { changes, lastInsertRowid } = index
    .statement(
      `INSERT INTO notifications (owner, device_id, kind, payload, created_at, block, tx, log_index)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    .run(
      notification.owner,
      deviceIdKey(notification.deviceId),
      notification.kind,
      JSON.stringify(notification.payload),
      toMillis(notification.createdAt ?? Date.now(), 'creation time'),
      notification.event?.block ?? null,
      notification.event === undefined ? null : hashKey(notification.event.tx, 'transaction hash'),
      notification.event?.logIndex ?? null,
    );
  return Number(changes) === 1 ? Number(lastInsertRowid) : undefined;
}

/** Filters of {@link notificationsFor}. */
export type NotificationsQuery = {
  deviceId?: string | bigint;
  /** Only notifications with a larger id: page on with the last id seen. */
  afterId?: number;
  /** Only notifications with a smaller id: page back with the smallest id seen. */
  beforeId?: number;
  /** Newest first (default oldest first). */
  newestFirst?: boolean;
  /** Default 100, at most 1,000. */
  limit?: number;
};

/**
 * An owner's notifications, oldest first unless `newestFirst` (the owner's address in any case).
 *
 * @example
 * const unseen = notificationsFor(index, owner, { afterId: lastSeen })
 */
export function notificationsFor(index: Index, owner: string, query: NotificationsQuery = {}): IndexedNotification[] {
  const rows = index
    .statement(
      `SELECT * FROM notifications WHERE owner = ?1 AND id > ?2 AND id < ?5 AND (?3 IS NULL OR device_id = ?3)
       ORDER BY id ${query.newestFirst === true ? 'DESC' : 'ASC'} LIMIT ?4`,
    )
    .all(
      owner,
      query.afterId ?? 0,
      query.deviceId === undefined ? null : deviceIdKey(query.deviceId),
      pageSize(query.limit, 100, 1_000),
      query.beforeId ?? Number.MAX_SAFE_INTEGER,
    ) as Row[];
  return rows.map((row) => ({
    id: row.id as number,
    owner: row.owner as string,
    deviceId: row.device_id as Hex,
    kind: row.kind as string,
    payload: JSON.parse(row.payload as string) as unknown,
    createdAt: toIso(row.created_at as number),
    block: row.block as number | null,
    tx: row.tx as Hex | null,
    logIndex: row.log_index as number | null,
  }));
}

/**
 * Deletes the notifications of chain events in blocks above `block` (a reorganisation undid them).
 *
 * @example
 * deleteChainNotificationsAfter(index, forkBlock)
 */
export function deleteChainNotificationsAfter(index: Index, block: number): number {
  return Number(index.statement('DELETE FROM notifications WHERE block > ?').run(block).changes);
}
