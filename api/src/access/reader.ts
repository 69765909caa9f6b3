import type { Request } from 'express';
import { getEntity, type IndexedEntity, type IndexedTwin } from '../../../store/src';
import type { Session } from '../auth/createSiweAuth';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { errorSchema } from '../schemas/common';

/** The OpenAPI responses of a read of device internals refused by {@link assertCanReadTwin}. */
export const internalsRefusedResponses = {
  401: { description: 'Not signed in (device internals are private)', schema: errorSchema },
  403: { description: "Neither the twin's owner, its manufacturer nor a security entity", schema: errorSchema },
} as const;

/**
 * Who reads: anyone (no session), or a signed-in entity whose token was verified and whose registry record was
 * re-read in the chain mirror for this very request (so a revocation applies at once). `open` is the demo switch
 * (`API_OPEN_READS`): every reader sees device internals.
 */
export type Reader = {
  session: Session | undefined;
  /** The entity as the index mirrors it now (approved: `readerOf` refuses any other). */
  entity: IndexedEntity | undefined;
  open: boolean;
};

/** Parameters of {@link readerOf}. */
export type ReaderOfParameters = {
  /**
   * Also take the token from `?access_token=` (RFC 6750 §2.3): for `GET /events`, since a browser's `EventSource`
   * cannot send headers.
   */
  queryToken?: boolean;
};

/**
 * The reader of a request: anonymous without `Authorization`, else the session of its bearer token, checked now
 * against the index. A token sent but bad is refused (401 `token-invalid`, `token-expired`, 403
 * `entity-not-approved` once revoked), never silently read as anonymous.
 *
 * @example
 * const reader = await readerOf(req, context)
 * if (canReadTwin(reader, twin)) body.latestTelemetry = telemetry
 */
export async function readerOf(
  req: Request,
  context: ApiContext,
  parameters: ReaderOfParameters = {},
): Promise<Reader> {
  const open = context.config.openReads;
  const header = req.get('authorization');
  let token: string | undefined;
  if (header !== undefined && header !== '') {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    if (match === null) {
      throw new ApiError('Authorization must be "Bearer <token>".', { status: 401, code: 'token-invalid' });
    }
    token = match[1];
  } else if (parameters.queryToken && typeof req.query.access_token === 'string' && req.query.access_token !== '') {
    token = req.query.access_token;
  }
  if (token === undefined) return { session: undefined, entity: undefined, open };
  const session = await context.auth.authenticate(token);
  return { session, entity: await getEntity(context.index, session.address), open };
}

/**
 * Whether the reader sees a twin's device internals (snapshot and telemetry bodies, behaviour labels, alert evidence):
 * its current owner, its manufacturer, or an approved security entity, or anyone when reads are open.
 *
 * @example
 * canReadTwin(reader, await requireTwin(index, deviceId))
 */
export function canReadTwin(reader: Reader, twin: Pick<IndexedTwin, 'owner' | 'manufacturer'>): boolean {
  if (reader.open) return true;
  const { entity } = reader;
  if (entity === undefined || entity.status !== 'approved') return false;
  if (entity.role === 'security') return true;
  const address = entity.account.toLowerCase();
  return twin.owner.toLowerCase() === address || twin.manufacturer.toLowerCase() === address;
}

/**
 * Throws unless the reader sees the twin's internals: 401 `sign-in-required` for an anonymous reader, 403
 * `not-twin-reader` for a signed-in one who is neither its owner, its manufacturer nor a security entity.
 *
 * @example
 * assertCanReadTwin(await readerOf(req, context), await requireTwin(index, deviceId))
 */
export function assertCanReadTwin(reader: Reader, twin: IndexedTwin): void {
  if (canReadTwin(reader, twin)) return;
  if (reader.session === undefined) {
    throw new ApiError(
      "Device internals are private: sign in as the twin's owner, manufacturer or a security entity.",
      {
        status: 401,
        code: 'sign-in-required',
        details: { deviceId: twin.deviceId, signIn: '/api/v1/auth/nonce' },
      },
    );
  }
  throw new ApiError("Only the twin's owner, its manufacturer and security entities read its device internals.", {
    status: 403,
    code: 'not-twin-reader',
    details: { deviceId: twin.deviceId, caller: reader.session.address, role: reader.session.role },
  });
}
