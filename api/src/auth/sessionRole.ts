import { ApiError } from '../errors';
import type { Session, SessionRole } from './types';

/** Every role a session can carry. */
export const sessionRoles = ['manufacturer', 'owner', 'security'] as const satisfies readonly SessionRole[];

/**
 * Whether `value` is a role a session can carry.
 *
 * @example
 * isSessionRole('owner') // true
 * isSessionRole('none') // false
 */
export function isSessionRole(value: unknown): value is SessionRole {
  return typeof value === 'string' && (sessionRoles as readonly string[]).includes(value);
}

/**
 * Whether the session carries one of `roles`.
 *
 * @example
 * if (hasSessionRole(session, ['owner', 'security'])) { ... }
 */
export function hasSessionRole(session: Session, roles: readonly SessionRole[]): boolean {
  return roles.includes(session.role);
}

/**
 * Throws 403 `role-not-allowed` unless the session carries one of `roles`. This checks the role only: which twin
 * the caller may command (the owner of that twin) is the route's check.
 *
 * @example
 * assertSessionRole(res.locals.session, ['owner', 'security'])
 */
export function assertSessionRole(session: Session, roles: readonly SessionRole[]): void {
  if (hasSessionRole(session, roles)) return;
  throw new ApiError('Role not allowed.', {
    status: 403,
    code: 'role-not-allowed',
    details: { role: session.role, allowed: [...roles] },
  });
}
