import { randomBytes } from 'node:crypto';
import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';

/**
 * The random key named `name` (32 bytes) every instance on the database shares: written by the first caller, read by
 * the others (of callers racing, all get the first committed). For keys instances must agree on without a
 * configured secret, e.g. the API's session-token key; anyone who can read the database can read it.
 *
 * @example
 * const secret = config.jwtSecret ?? (await sharedSecret(index, 'api-session'))
 */
export async function sharedSecret(db: Db, name: string): Promise<Uint8Array> {
  if (typeof name !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(name)) {
    throw new StoreError('Invalid secret name.', { details: `expected lower-case letters, digits and -, got ${name}` });
  }
  await db.query(
    {
      name: 'store.apiAuth.insertSecret',
      text: 'INSERT INTO shared_secrets (name, secret) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    },
    [name, randomBytes(32)],
  );
  // A new statement: it sees the row a racing caller committed (the insert waited for it and did nothing).
  const { rows } = await db.query<{ secret: Buffer }>(
    { name: 'store.apiAuth.readSecret', text: 'SELECT secret FROM shared_secrets WHERE name = $1' },
    [name],
  );
  return Uint8Array.from(rows[0]!.secret);
}
