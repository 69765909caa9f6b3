import { BaseError } from '../../../twin-core/src/errors/BaseError';
import { ApiError } from '../errors';
import { isSessionRole } from './sessionRole';
import type { LookupEntity, SessionRole } from './types';

/** Parameters of {@link checkEntity}. */
export type CheckEntityParameters = {
  /** EIP-55 checksummed. */
  address: `0x${string}`;
  lookupEntity: LookupEntity;
};

/**
 * Looks the address up in the entity index and returns its role when it is a registered, approved entity. Throws
 * 403 `entity-not-registered` (unknown, or role `none`), 403 `entity-not-approved` (pending or revoked), or 503
 * `entity-lookup-failed` when the lookup itself fails (a BaseError it throws passes through as is).
 *
 * @example
 * const role = await checkEntity({ address, lookupEntity: (address) => index.entity(address) })
 */
export async function checkEntity(parameters: CheckEntityParameters): Promise<SessionRole> {
  const { address, lookupEntity } = parameters;
  let entity;
  try {
    entity = await lookupEntity(address);
  } catch (error) {
    if (error instanceof BaseError) throw error;
    throw new ApiError('Entity lookup failed.', { status: 503, code: 'entity-lookup-failed', cause: error });
  }
  if (entity === undefined || !isSessionRole(entity.role)) {
    throw new ApiError('Address is not a registered entity.', {
      status: 403,
      code: 'entity-not-registered',
      details: { address },
    });
  }
  if (entity.status !== 'approved') {
    throw new ApiError('Entity is not approved.', {
      status: 403,
      code: 'entity-not-approved',
      details: { address, status: entity.status },
    });
  }
  return entity.role;
}
