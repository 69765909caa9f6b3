import type { RequestHandler, Response } from 'express';
import { ApiError } from '../errors';
import { assertSessionRole } from './sessionRole';
import type { Session, SessionRole } from './types';

/** Parameters of the middleware factory `requireSession()`. */
export type RequireSessionParameters = {
  /** Only these roles pass (403 `role-not-allowed` otherwise); every session role when absent. */
  roles?: readonly SessionRole[] | undefined;
  /**
   * Re-reads the entity index on every request, so a revoked or re-roled entity is shut out before its token
   * expires (403 `entity-not-registered` / `entity-not-approved`, 401 `token-role-changed`). Default `true`.
   */
  recheckEntity?: boolean | undefined;
};

/** Parameters of {@link createRequireSession}: what the middleware needs from the auth instance. */
export type CreateRequireSessionParameters = {
  /** The `realm` of the `WWW-Authenticate` challenge (the API domain). */
  realm: string;
  verifyToken: (token: string) => Promise<Session>;
  /** Throws the ApiError to answer when the session's entity is no longer registered, approved or in that role. */
  recheckEntity: (session: Session) => Promise<void>;
};

/**
 * Builds `requireSession()`: an Express 5 middleware that reads `Authorization: Bearer <token>`, verifies it, puts
 * the {@link Session} on `res.locals.session` and passes every ApiError (401 `token-missing`, `token-invalid`,
 * `token-expired`, 403 …) to `next(error)`, with a `WWW-Authenticate` challenge on 401s.
 *
 * @example
 * const requireSession = createRequireSession({ realm: domain, verifyToken, recheckEntity })
 * app.post('/twins/:deviceId/commands', requireSession({ roles: ['owner', 'security'] }), handler)
 */
export function createRequireSession(
  dependencies: CreateRequireSessionParameters,
): (parameters?: RequireSessionParameters) => RequestHandler {
  const { realm, verifyToken, recheckEntity } = dependencies;
  const challenge = `Bearer realm="${realm.replace(/["\\]/g, '')}"`;

  return function requireSession(parameters: RequireSessionParameters = {}): RequestHandler {
    const { roles, recheckEntity: recheck = true } = parameters;
    return async (req, res, next) => {
      const match = /^Bearer +(\S+) *$/i.exec(req.get('authorization') ?? '');
      if (!match) {
        res.set('WWW-Authenticate', challenge);
        next(new ApiError('Missing bearer token.', { status: 401, code: 'token-missing' }));
        return;
      }
      let session: Session;
      try {
        session = await verifyToken(match[1]!);
        if (recheck) await recheckEntity(session);
        if (roles) assertSessionRole(session, roles);
      } catch (error) {
        if (error instanceof ApiError && error.status === 401) {
          res.set('WWW-Authenticate', `${challenge}, error="invalid_token"`);
        }
        next(error);
        return;
      }
      res.locals.session = session;
      next();
    };
  };
}

/**
 * The session `requireSession()` put on `res.locals`; throws 401 `token-missing` when there is none (the route was
 * mounted without the middleware), so a forgotten middleware denies rather than allows.
 *
 * @example
 * const { address, role } = getSession(res)
 */
export function getSession(res: Response): Session {
  const session = res.locals.session as Session | undefined;
  if (session === undefined) throw new ApiError('Missing bearer token.', { status: 401, code: 'token-missing' });
  return session;
}
