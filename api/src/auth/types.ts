/** A role in the entity registry; `none` is an address the registry knows nothing about. */
export type EntityRole = 'manufacturer' | 'owner' | 'security' | 'none';

/** The approval status of an entity in the registry. */
export type EntityStatus = 'pending' | 'approved' | 'revoked';

/** What the entity index knows about one address. */
export type EntityRecord = { role: EntityRole; status: EntityStatus };

/**
 * Looks up an address (checksummed) in the entity index (the SQLite mirror of the registry); `undefined` when
 * the address was never registered.
 */
export type LookupEntity = (address: string) => Promise<EntityRecord | undefined> | EntityRecord | undefined;

/** The roles a session can carry: every registered role. */
export type SessionRole = Exclude<EntityRole, 'none'>;

/** A signed-in caller, as read from a verified token (`res.locals.session` after `requireSession()`). */
export type Session = {
  /** The EIP-55 checksummed address that signed in (the token's `sub`). */
  address: `0x${string}`;
  /** The registry role the address had when it signed in. */
  role: SessionRole;
  /** When the token expires (ISO 8601). */
  expiresAt: string;
  /** The token's `jti`, for logs and revocation lists. */
  tokenId: string;
};
