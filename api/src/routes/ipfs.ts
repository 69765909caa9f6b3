import { z } from 'zod';
import { BlobIntegrityError, BlobNotFoundError, InvalidCidError, blockLinks, parseBlobCid } from '../../../blobs/src';
import { blobKind, canReadBlob, type BlobKind } from '../access/blobAccess';
import { readerOf } from '../access/reader';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { errorSchema } from '../schemas/common';

/** The media type of one raw block (IANA `application/vnd.ipld.raw`). */
export const RAW_BLOCK_TYPE = 'application/vnd.ipld.raw';
/** The trustless gateway's probe: the empty identity CID, answered 200 with an empty body. */
const PROBE_CID = 'bafkqaaa';
/** How long a block read may take before the gateway answers 504. */
const READ_TIMEOUT_MS = 5_000;
/** Leaf blocks remembered (from the dag-pb roots served) so a client can fetch them after the root. */
const MAX_REMEMBERED_LEAVES = 20_000;

/**
 * The blocks a served dag-pb root links to, each with the root's kind (who may read it): a trustless client walks a
 * blob from its root, so the leaves of a blob above 256 KiB are served to whoever may read the root. Bounded: the
 * oldest are forgotten first (a client then fetches the root again).
 */
function createLeafMemory() {
  const leaves = new Map<string, BlobKind>();
  return {
    kindOf: (cid: string) => leaves.get(cid),
    remember(root: string, block: Uint8Array, kind: BlobKind) {
      for (const leaf of blockLinks(parseBlobCid(root), block)) {
        leaves.delete(leaf);
        leaves.set(leaf, kind);
        if (leaves.size > MAX_REMEMBERED_LEAVES) leaves.delete(leaves.keys().next().value!);
      }
    },
  };
}

/**
 * Where the API serves a blob's exact bytes (the trustless gateway form): every snapshot and static document the API
 * shows links its CID there.
 *
 * @example
 * gatewayPath('bafkrei…') // '/ipfs/bafkrei…?format=raw'
 */
export function gatewayPath(cid: string): string {
  return `/ipfs/${cid}?format=raw`;
}

/** Whether an `Accept` header lists `application/vnd.ipld.raw` with a non-zero quality. */
function acceptsRaw(accept: string): boolean {
  return accept.split(',').some((item) => {
    const [type, ...parameters] = item.split(';').map((part) => part.trim().toLowerCase());
    if (type !== RAW_BLOCK_TYPE) return false;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** The response format asked for: `raw`, or the ApiError to answer (400 no format, 406 one this gateway lacks). */
function requestedFormat(format: string | undefined, accept: string | undefined): 'raw' {
  if (format !== undefined) {
    if (format === 'raw') return 'raw';
    throw new ApiError(`This gateway serves raw blocks only (format=raw), not format=${format}.`, {
      status: 406,
      code: 'not-acceptable',
      details: { supported: [RAW_BLOCK_TYPE], requested: format },
    });
  }
  if (accept === undefined || accept.trim() === '') {
    throw new ApiError(`A trustless gateway: send Accept: ${RAW_BLOCK_TYPE} (or ?format=raw).`, {
      status: 400,
      code: 'accept-required',
      details: { supported: [RAW_BLOCK_TYPE] },
    });
  }
  if (acceptsRaw(accept)) return 'raw';
  throw new ApiError(`This gateway serves raw blocks only: Accept: ${RAW_BLOCK_TYPE}.`, {
    status: 406,
    code: 'not-acceptable',
    details: { supported: [RAW_BLOCK_TYPE], requested: accept.slice(0, 200) },
  });
}

/**
 * `GET /ipfs/{cid}` (and `HEAD`): an IPFS trustless gateway (specs.ipfs.tech/http-gateways/trustless-gateway) for the
 * blobs the index knows, answering `application/vnd.ipld.raw` only: the block's exact bytes, verified against the CID
 * before sending, so anyone can hash them and compare with the CID, the snapshot hash and its Merkle proof. Public
 * blobs (static documents, batch manifests, profiles) for anyone; device internals (snapshots, alert evidence) for
 * the twin's owner, its manufacturer and security entities (telemetry batches: security entities), signed in.
 *
 * @example
 * mountRoutes(app, ipfsRoutes(context))
 */
export function ipfsRoutes(context: ApiContext) {
  const leaves = createLeafMemory();
  return [
    defineRoute({
      method: 'get',
      path: '/ipfs/:cid',
      absolutePath: true,
      operationId: 'getBlock',
      summary: 'One raw block by CID (IPFS trustless gateway, application/vnd.ipld.raw)',
      description:
        `Send \`Accept: ${RAW_BLOCK_TYPE}\` or \`?format=raw\`: the body is the block, whose sha2-256 is the CID's ` +
        'digest. A blob up to 256 KiB is one block; above, this is its dag-pb root, whose linked leaves are then ' +
        'served too, to whoever may read the root (fetch the root first, as a trustless client does). No Accept: 400; another format (CAR, deserialised): 406. Only CIDs the index knows are served: ' +
        "snapshots and alert evidence to the twin's owner, manufacturer and security entities (Bearer token), " +
        'static documents and manifests to anyone. `GET /ipfs/bafkqaaa` is the probe (200, empty). HEAD as well.',
      tag: 'ipfs',
      auth: 'bearer',
      params: z.object({ cid: z.string().min(1).max(200).meta({ description: 'CIDv1, raw or dag-pb, sha2-256' }) }),
      query: z.object({
        format: z.string().max(40).optional().meta({ description: '`raw` (wins over Accept)' }),
      }),
      responses: {
        200: { description: 'The raw block', contentType: RAW_BLOCK_TYPE },
        304: { description: 'Not modified (If-None-Match matched the Etag)' },
        400: { description: 'No Accept header, or not a CID this gateway can verify', schema: errorSchema },
        401: { description: 'A private blob: sign in', schema: errorSchema },
        403: { description: "Not the twin's owner, manufacturer or a security entity", schema: errorSchema },
        404: { description: 'No such block here', schema: errorSchema },
        406: { description: 'Only application/vnd.ipld.raw is served', schema: errorSchema },
        502: { description: 'The store returned bytes that do not match the CID', schema: errorSchema },
        504: { description: 'The store did not answer in time', schema: errorSchema },
      },
      handler: async ({ params, query, req, res }) => {
        requestedFormat(query.format, req.get('accept'));
        const etag = `"${params.cid}.raw"`;
        const send = (block: Uint8Array, cache: string) => {
          res.set({
            'Content-Type': RAW_BLOCK_TYPE,
            'Content-Disposition': `attachment; filename="${params.cid}.bin"`,
            'Content-Length': String(block.byteLength),
            'Cache-Control': cache,
            Etag: etag,
            'X-Ipfs-Path': `/ipfs/${params.cid}`,
            'X-Ipfs-Roots': params.cid,
            Vary: 'Accept, Authorization',
          });
          if (req.get('if-none-match') === etag) res.status(304).end();
          else res.status(200).end(Buffer.from(block.buffer, block.byteOffset, block.byteLength));
        };
        if (params.cid === PROBE_CID) {
          send(new Uint8Array(), 'public, max-age=29030400, immutable');
          return undefined;
        }
        try {
          parseBlobCid(params.cid);
        } catch (error) {
          throw new ApiError(`Not a CID this gateway serves: ${(error as Error).message}`, {
            status: 400,
            code: 'invalid-cid',
            details: { cid: params.cid.slice(0, 200) },
          });
        }
        const kind = (await blobKind(context.index, params.cid)) ?? leaves.kindOf(params.cid);
        const notHere = new ApiError('No such block here.', {
          status: 404,
          code: 'block-not-found',
          details: { cid: params.cid },
        });
        if (kind === undefined) throw notHere;
        const reader = await readerOf(req, context);
        if (!(await canReadBlob(context.index, reader, kind))) {
          const anonymous = reader.session === undefined;
          throw new ApiError(
            anonymous
              ? `This ${kind.what} is private: sign in as the twin's owner, manufacturer or a security entity.`
              : `This ${kind.what} is readable by the twin's owner, its manufacturer and security entities only.`,
            {
              status: anonymous ? 401 : 403,
              code: anonymous ? 'sign-in-required' : 'not-twin-reader',
              details: { cid: params.cid, what: kind.what },
            },
          );
        }
        let timer: NodeJS.Timeout | undefined;
        let block: Uint8Array;
        try {
          block = await Promise.race([
            context.store.getBlock(params.cid),
            new Promise<never>((_resolve, reject) => {
              timer = setTimeout(
                () =>
                  reject(
                    new ApiError('The IPFS store did not answer in time.', {
                      status: 504,
                      code: 'ipfs-timeout',
                      details: { cid: params.cid, timeoutMs: READ_TIMEOUT_MS },
                    }),
                  ),
                READ_TIMEOUT_MS,
              );
            }),
          ]);
        } catch (error) {
          if (error instanceof ApiError) throw error;
          if (error instanceof BlobNotFoundError) throw notHere;
          if (error instanceof InvalidCidError) {
            throw new ApiError(error.shortMessage, { status: 400, code: 'invalid-cid', details: { cid: params.cid } });
          }
          throw new ApiError('The IPFS store failed to return this block.', {
            status: 502,
            code: error instanceof BlobIntegrityError ? 'block-integrity' : 'ipfs-unavailable',
            details: { cid: params.cid, reason: (error as Error).message.split('\n')[0] },
            cause: error,
          });
        } finally {
          clearTimeout(timer);
        }
        try {
          leaves.remember(params.cid, block, kind);
        } catch {
          // A root the store verified but dag-pb cannot decode: served as is, its links unknown.
        }
        send(block, kind.visibility === 'public' ? 'public, max-age=29030400, immutable' : 'private, no-store');
        return undefined;
      },
    }),
  ];
}
