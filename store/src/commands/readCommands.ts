import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pageSize, type Row } from '../values';
import { commandFromRow, type IndexedCommand } from './types';

/**
 * One command of a device.
 *
 * @example
 * const command = await getCommand(store, deviceId, commandId)
 */
export async function getCommand(db: Db, deviceId: string, commandId: string): Promise<IndexedCommand | undefined> {
  const { rows } = await db.query<Row>(
    { name: 'store.commands.get', text: 'SELECT * FROM commands WHERE command_id = $1 AND device_id = $2' },
    [commandId.toLowerCase(), deviceIdKey(deviceId)],
  );
  return rows[0] === undefined ? undefined : commandFromRow(rows[0]);
}

/**
 * A device's commands, newest first (default 50, at most 200).
 *
 * @example
 * const recent = await listCommands(store, deviceId, 20)
 */
export async function listCommands(db: Db, deviceId: string, limit?: number): Promise<IndexedCommand[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.commands.list',
      text: 'SELECT * FROM commands WHERE device_id = $1 ORDER BY created_at DESC, update_seq DESC LIMIT $2',
    },
    [deviceIdKey(deviceId), pageSize(limit, 50, 200)],
  );
  return rows.map(commandFromRow);
}

/**
 * Commands changed after `afterSeq`, in change order (the event feed).
 *
 * @example
 * const changes = await commandsChangedSince(store, lastSeq, 100)
 */
export async function commandsChangedSince(db: Db, afterSeq: number, limit: number): Promise<IndexedCommand[]> {
  const { rows } = await db.query<Row>(
    {
      name: 'store.commands.changedSince',
      text: 'SELECT * FROM commands WHERE update_seq > $1 ORDER BY update_seq LIMIT $2',
    },
    [afterSeq, limit],
  );
  return rows.map(commandFromRow);
}
