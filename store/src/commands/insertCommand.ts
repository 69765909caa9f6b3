import { inTransaction, type Db } from '../pool/withTransaction';
import { deviceIdKey, hashKey, pgJson, pgText, toDate } from '../values';
import { nextUpdateSeq, type CommandInput } from './types';

const INSERT = {
  name: 'store.commands.insert',
  text: `INSERT INTO commands (command_id, device_id, command, args, nonce, expiry, signer, sig, status, created_at,
           updated_at, update_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9, $10)
         ON CONFLICT DO NOTHING`,
};
const PRUNE = {
  name: 'store.commands.prune',
  text: `DELETE FROM commands WHERE device_id = $1 AND command_id NOT IN
           (SELECT command_id FROM commands WHERE device_id = $1 ORDER BY created_at DESC, update_seq DESC LIMIT $2)`,
};

/**
 * Records an owner-signed command as `pending` (U+0000 in its text or args stored as U+FFFD); returns false when its ID or its nonce (for that device) is already
 * known, whichever instance recorded it. Keeps only the newest `keepPerDevice` commands of the device.
 *
 * @example
 * if (!(await insertCommand(store, { commandId, deviceId, command: 'ping', args: {}, nonce, expiry, signer, sig, createdAt: Date.now() }))) conflict()
 */
export async function insertCommand(db: Db, input: CommandInput): Promise<boolean> {
  const deviceId = deviceIdKey(input.deviceId);
  // Lower-case, as getCommand and updateCommandStatus look it up.
  const commandId = hashKey(input.commandId, 'command ID');
  const createdAt = toDate(input.createdAt, 'creation time');
  return inTransaction(db, async (tx) => {
    const { rowCount } = await tx.query(INSERT, [
      commandId,
      deviceId,
      pgText(input.command),
      pgJson(input.args),
      pgText(input.nonce),
      input.expiry,
      pgText(input.signer),
      pgText(input.sig),
      createdAt,
      await nextUpdateSeq(tx),
    ]);
    if (rowCount !== 1) return false;
    await tx.query(PRUNE, [deviceId, input.keepPerDevice ?? 200]);
    return true;
  });
}
