import type { Db } from '../pool/withTransaction';
import { toDate, type TimeInput } from '../values';

/**
 * Deletes the used nonces that expired (their messages are refused by their expiry anyway): the upkeep's part.
 * Returns how many went.
 *
 * @example
 * await pruneSignInNonces(store)
 */
export async function pruneSignInNonces(db: Db, parameters: { now?: TimeInput } = {}): Promise<number> {
  const { rowCount } = await db.query(
    {
      name: 'store.apiAuth.pruneNonces',
      text: 'DELETE FROM used_sign_in_nonces WHERE expires_at <= coalesce($1::timestamptz, statement_timestamp())',
    },
    [parameters.now === undefined ? null : toDate(parameters.now, 'now')],
  );
  return rowCount ?? 0;
}
