import { getBatch, getSnapshot, pageSnapshots } from '../../../store/src';
import { hashSnapshotLeaf } from '../../../twin-core/src/merkle/snapshotLeaf';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { deviceIdParams, errorSchema, snapshotParams } from '../schemas/common';
import { listSnapshotsQuery, proofSchema, snapshotDocumentSchema, snapshotPageSchema } from '../schemas/twins';
import { batchView, requireTwin, snapshotView } from '../views/twinView';
import { assertCanReadTwin, readerOf } from '../access/reader';

const badInput = { description: 'Invalid input; the message names each bad field', schema: errorSchema };
const notFound = { description: 'No such twin or snapshot', schema: errorSchema };

/**
 * The snapshot routes: a twin's history, one full snapshot from IPFS, and its Merkle proof checked live on chain.
 *
 * @example
 * mountRoutes(router, snapshotRoutes(context))
 */
export function snapshotRoutes(context: ApiContext) {
  const { index } = context;
  const requireSnapshot = async (deviceId: `0x${string}`, seq: number) => {
    await requireTwin(index, deviceId);
    const snapshot = await getSnapshot(index, deviceId, seq);
    if (snapshot === undefined) {
      throw new ApiError('Snapshot not found.', {
        status: 404,
        code: 'snapshot-not-found',
        details: { deviceId, seq },
      });
    }
    return snapshot;
  };
  return [
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/snapshots',
      operationId: 'listSnapshots',
      summary: "A twin's snapshots, newest first",
      description: 'Paginated; `from` and `to` bound the collection time, both included.',
      tag: 'snapshots',
      params: deviceIdParams,
      query: listSnapshotsQuery,
      responses: {
        200: { description: 'A page of snapshots', schema: snapshotPageSchema },
        400: badInput,
        404: notFound,
      },
      handler: async ({ params, query }) => {
        await requireTwin(index, params.deviceId);
        if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) > Date.parse(query.to)) {
          throw new ApiError('Invalid query parameter: from is after to.', {
            status: 400,
            code: 'invalid-input',
            details: [{ in: 'query parameter', field: 'from', message: 'must not be after to' }],
          });
        }
        const page = await pageSnapshots(index, params.deviceId, {
          page: query.page,
          pageSize: query.pageSize,
          ...(query.from === undefined ? {} : { fromTime: query.from }),
          ...(query.to === undefined ? {} : { toTime: query.to }),
        });
        return { ...page, items: await Promise.all(page.items.map((snapshot) => snapshotView(index, snapshot))) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/snapshots/:seq',
      operationId: 'getSnapshot',
      summary: 'One full snapshot, from IPFS',
      description:
        'The signed message as the device published it, read from IPFS and checked against its CID (its exact ' +
        "bytes: `snapshot.url`). Device internals: the twin's owner, its manufacturer and security entities only.",
      tag: 'snapshots',
      auth: 'bearer',
      params: snapshotParams,
      responses: {
        200: { description: 'The snapshot and its message', schema: snapshotDocumentSchema },
        400: badInput,
        401: { description: 'Not signed in (device internals are private)', schema: errorSchema },
        403: { description: "Neither the twin's owner, its manufacturer nor a security entity", schema: errorSchema },
        404: notFound,
        502: { description: 'IPFS did not return the snapshot', schema: errorSchema },
      },
      handler: async ({ params, req }) => {
        assertCanReadTwin(await readerOf(req, context), await requireTwin(index, params.deviceId));
        const snapshot = await requireSnapshot(params.deviceId, params.seq);
        const { value, error } = await context.documents.read(snapshot.cid, 5_000);
        if (value === null) {
          throw new ApiError('The snapshot could not be read from IPFS.', {
            status: 502,
            code: 'ipfs-unavailable',
            details: { cid: snapshot.cid, reason: error },
          });
        }
        return { snapshot: await snapshotView(index, snapshot), message: value };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/snapshots/:seq/proof',
      operationId: 'getSnapshotProof',
      summary: "A snapshot's Merkle proof, verified live against the contract",
      description:
        'The leaf, proof and batch root, the anchoring transaction, and `verified`: the result of ' +
        '`SnapshotAnchor.verifySnapshot` called now. Anyone can repeat the call with these values.',
      tag: 'snapshots',
      params: snapshotParams,
      responses: {
        200: { description: 'The proof and its on-chain result', schema: proofSchema },
        400: badInput,
        404: notFound,
        409: { description: 'The snapshot is not anchored yet', schema: errorSchema },
        502: { description: 'The chain did not answer', schema: errorSchema },
      },
      handler: async ({ params }) => {
        const snapshot = await requireSnapshot(params.deviceId, params.seq);
        const batch = snapshot.batchId === null ? undefined : await getBatch(index, snapshot.batchId);
        if (batch === undefined || batch.status !== 'confirmed' || batch.root === null || snapshot.proof === null) {
          throw new ApiError('The snapshot is not anchored yet.', {
            status: 409,
            code: 'snapshot-not-anchored',
            details: {
              deviceId: params.deviceId,
              seq: params.seq,
              batchId: snapshot.batchId,
              status: batch?.status ?? null,
            },
          });
        }
        const leaf = {
          deviceId: BigInt(snapshot.deviceId),
          sequence: BigInt(snapshot.seq),
          snapshotHash: snapshot.hash,
        };
        let verified: boolean;
        let block: number;
        try {
          block = await context.provider.getBlockNumber();
          verified = (await context.anchor
            .getFunction('verifySnapshot')
            .staticCall(batch.root, snapshot.proof, leaf.deviceId, leaf.sequence, leaf.snapshotHash, {
              blockTag: block,
            })) as boolean;
        } catch (error) {
          throw new ApiError('The chain did not answer the proof check.', {
            status: 502,
            code: 'chain-unavailable',
            details: { reason: (error as Error).message.split('\n')[0] },
            cause: error,
          });
        }
        return {
          deviceId: snapshot.deviceId,
          seq: snapshot.seq,
          snapshotHash: snapshot.hash,
          leaf: hashSnapshotLeaf(leaf),
          proof: snapshot.proof,
          root: batch.root,
          batch: batchView(batch),
          verified,
          verifiedAtBlock: block,
          contract: context.deployment.contracts.SnapshotAnchor,
        };
      },
    }),
  ];
}
