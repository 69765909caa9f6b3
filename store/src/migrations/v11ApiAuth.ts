/**
 * Migration 11: the API's sign-in state shared by every API instance (issue 15: no instance-dependent data), so a
 * client may take its nonce from one instance, sign in on another and use its session on a third.
 *
 * - `shared_secrets`: named random keys written once by the first instance that needs one (`sharedSecret`): the
 *   session-token key when `API_JWT_SECRET` is not set.
 * - `used_sign_in_nonces`: the sign-in nonces used (`consumeSignInNonce`), each until it expires: a signed message is
 *   accepted once whichever instance receives it. The nonces themselves are not stored: they carry their expiry and a
 *   MAC under the shared key, so any instance checks them.
 */
export const V11_API_AUTH = `
CREATE TABLE shared_secrets (
  name       text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{0,63}$'),
  secret     bytea NOT NULL CHECK (octet_length(secret) BETWEEN 32 AND 1024),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE used_sign_in_nonces (
  nonce      text PRIMARY KEY CHECK (nonce ~ '^[0-9A-Za-z]{8,200}$'),
  expires_at timestamptz NOT NULL
);
CREATE INDEX used_sign_in_nonces_expiry ON used_sign_in_nonces (expires_at);
`;
