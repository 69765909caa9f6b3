import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { toDate, type TimeInput } from '../values';

/** Parameters of {@link consumeSignInNonce}. */
export type ConsumeSignInNonceParameters = {
  /** The nonce of a sign-in message (letters and digits, 8 to 200). */
  nonce: string;
  /** When the nonce expires: kept until then (a later use is refused by its expiry). */
  expiresAt: TimeInput;
};

/**
 * Records a sign-in nonce as used: true the first time, false when any instance used it before (a replayed sign-in
 * message). Of instances consuming one nonce at once, one gets true.
 *
 * @example
 * if (!(await consumeSignInNonce(index, { nonce, expiresAt }))) throw nonceInvalid()
 */
export async function consumeSignInNonce(db: Db, parameters: ConsumeSignInNonceParameters): Promise<boolean> {
  const { nonce } = parameters;
  if (typeof nonce !== 'string' || !/^[0-9A-Za-z]{8,200}$/.test(nonce)) {
    throw new StoreError('Invalid nonce.', { details: 'expected 8 to 200 letters and digits' });
  }
  const { rowCount } = await db.query(
    {
      name: 'store.apiAuth.consumeNonce',
      text: 'INSERT INTO used_sign_in_nonces (nonce, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    },
    [nonce, toDate(parameters.expiresAt, 'expiresAt')],
  );
  return rowCount === 1;
}
