import type { Request } from 'express';
import {
  messageRequestSchema,
  messageResponseSchema,
  nonceResponseSchema,
  sessionSchema,
  signInRequestSchema,
  signInResponseSchema,
} from '../auth/authSchemas';
import type { Session, SiweAuth } from '../auth/createSiweAuth';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { errorSchema } from '../schemas/common';

/**
 * The session of a request's `Authorization: Bearer <token>`, its entity re-read in the index now, or a 401
 * (`token-missing`, `token-invalid`, `token-expired`, `token-role-changed`) or 403 (`entity-not-approved` once
 * revoked, `entity-not-registered`).
 *
 * @example
 * const session = await sessionOf(req, context.auth)
 */
export async function sessionOf(req: Request, auth: SiweAuth): Promise<Session> {
  const header = req.get('authorization');
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  if (match === null) {
    throw new ApiError('Sign in first: send Authorization: Bearer <token>.', { status: 401, code: 'token-missing' });
  }
  return auth.authenticate(match[1]!);
}

/**
 * The sign-in routes (Sign-In with Ethereum, EIP-4361): a nonce, the message to sign, the sign-in that returns a
 * short-lived token bound to the registered address and role, and the current session.
 *
 * @example
 * mountRoutes(router, authRoutes(context))
 */
export function authRoutes(context: ApiContext) {
  const unauthorized = { description: 'Bad or expired signature, nonce or token', schema: errorSchema };
  return [
    defineRoute({
      method: 'post',
      path: '/auth/nonce',
      operationId: 'issueNonce',
      summary: 'A single-use sign-in nonce',
      tag: 'auth',
      responses: { 200: { description: 'The nonce and its expiry', schema: nonceResponseSchema } },
      handler: () => context.auth.issueNonce(),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/message',
      operationId: 'buildSignInMessage',
      summary: 'The EIP-4361 message to sign for an address and nonce',
      description: 'A convenience: clients may build the message themselves with this API as domain and URI.',
      tag: 'auth',
      body: messageRequestSchema,
      responses: {
        200: { description: 'The message', schema: messageResponseSchema },
        400: { description: 'Invalid input', schema: errorSchema },
      },
      handler: ({ body }) => ({ message: context.auth.messageFor(body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/auth/sign-in',
      operationId: 'signIn',
      summary: 'Sign in with a signed EIP-4361 message',
      description:
        'Returns a short-lived JWT bound to the signer\'s registered address and role (the "blockchain access ' +
        'token" of seed 001). Only approved entities sign in.',
      tag: 'auth',
      body: signInRequestSchema,
      responses: {
        200: { description: 'The session token', schema: signInResponseSchema },
        400: { description: 'Not an EIP-4361 message', schema: errorSchema },
        401: unauthorized,
        403: { description: 'Not a registered, approved entity', schema: errorSchema },
      },
      handler: ({ body }) => context.auth.signIn(body),
    }),
    defineRoute({
      method: 'get',
      path: '/auth/session',
      operationId: 'getSession',
      summary: 'The signed-in caller',
      description: 'Checked against the chain mirror now: a revoked entity gets 403 at once, its token unexpired.',
      tag: 'auth',
      auth: 'bearer',
      responses: {
        200: { description: 'The session', schema: sessionSchema },
        401: unauthorized,
        403: { description: 'The entity was revoked or is no longer registered', schema: errorSchema },
      },
      handler: ({ req }) => sessionOf(req, context.auth),
    }),
  ];
}
