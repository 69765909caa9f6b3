import type { Hex } from '../../../twin-core/src/encoding/hex';
import { alertsOf } from '../../../oracle/src/index';
import { getBatch, type IndexedBatch } from '../../../oracle/src/index/batches';
import { getEntity } from '../../../oracle/src/index/entities';
import type { Index } from '../../../oracle/src/index/openIndex';
import { latestSnapshot, type IndexedSnapshot } from '../../../oracle/src/index/snapshots';
import { latestTelemetry } from '../../../oracle/src/index/telemetry';
import { listStateChanges, listTwinUpdates } from '../../../oracle/src/index/twinHistory';
import { getTwin, type IndexedTwin } from '../../../oracle/src/index/twins';
import { ApiError } from '../errors';
import type { DocumentCache } from './createDocumentCache';
import { canReadTwin, type Reader } from '../access/reader';
import { gatewayPath } from '../routes/ipfs';

/** What the views read: the oracle's index and the IPFS documents (through the cache). */
export type ViewSources = { index: Index; documents: DocumentCache; ipfsTimeoutMs?: number };

/** A batch as the API shows it. */
export function batchView(batch: IndexedBatch) {
  return {
    id: batch.id,
    chainBatchId: batch.chainBatchId,
    root: batch.root,
    manifestCid: batch.manifestCid,
    leafCount: batch.leafCount,
    status: batch.status,
    txHash: batch.txHash,
    block: batch.block,
    confirmedAt: batch.confirmedAt,
  };
}

/**
 * A snapshot as the API shows it: `anchored` once its batch's transaction is confirmed.
 *
 * @example
 * const view = snapshotView(index, getSnapshot(index, deviceId, 7)!)
 */
export function snapshotView(index: Index, snapshot: IndexedSnapshot) {
  const batch = snapshot.batchId === null ? undefined : getBatch(index, snapshot.batchId);
  return {
    deviceId: snapshot.deviceId,
    seq: snapshot.seq,
    collectedAt: snapshot.collectedAt,
    hash: snapshot.hash,
    cid: snapshot.cid,
    url: gatewayPath(snapshot.cid),
    receivedAt: snapshot.receivedAt,
    batchId: snapshot.batchId,
    anchored: batch?.status === 'confirmed',
    batch: batch === undefined ? null : batchView(batch),
  };
}

/**
 * A twin as listed: the mirrored chain record, its latest snapshot and, for a reader who sees the twin's internals,
 * the latest behaviour label (null for the public: it comes from the telemetry body).
 *
 * @example
 * const items = listTwins(index, query).items.map((twin) => twinSummary(index, twin, reader))
 */
export function twinSummary(index: Index, twin: IndexedTwin, reader: Reader) {
  const snapshot = latestSnapshot(index, twin.deviceId);
  const readable = canReadTwin(reader, twin);
  const telemetry = readable ? latestTelemetry(index, twin.deviceId) : undefined;
  const label = (telemetry?.body as { label?: { behaviour: string; anomalous: boolean } } | undefined)?.label;
  return {
    ...twin,
    price: twin.price.toString(),
    staticUrl: gatewayPath(twin.staticCid),
    access: readable ? ('full' as const) : ('public' as const),
    latestSnapshot:
      snapshot === undefined
        ? null
        : {
            seq: snapshot.seq,
            collectedAt: snapshot.collectedAt,
            anchored: snapshot.batchId !== null && getBatch(index, snapshot.batchId)?.status === 'confirmed',
          },
    behaviour: label?.behaviour ?? null,
    anomalous: label?.anomalous ?? null,
  };
}

/** The twin `deviceId` or a 404 `twin-not-found`. */
export function requireTwin(index: Index, deviceId: Hex): IndexedTwin {
  const twin = getTwin(index, deviceId);
  if (twin === undefined) {
    throw new ApiError('Twin not found.', { status: 404, code: 'twin-not-found', details: { deviceId } });
  }
  return twin;
}

/**
 * The merged view of one twin: the chain record (as mirrored), the static document from IPFS, the latest snapshot
 * and whether it is anchored, the update and state histories, the alerts and the two entities; the latest telemetry
 * only for a reader who sees the twin's internals (`twin.access` says which view this is).
 *
 * @example
 * res.json(await twinView({ index, documents }, deviceId, reader))
 */
export async function twinView(sources: ViewSources, deviceId: Hex, reader: Reader) {
  const { index, documents } = sources;
  const twin = requireTwin(index, deviceId);
  const staticDocument = await documents.read(twin.staticCid, sources.ipfsTimeoutMs ?? 2_000);
  const snapshot = latestSnapshot(index, deviceId);
  const telemetry = canReadTwin(reader, twin) ? latestTelemetry(index, deviceId) : undefined;
  return {
    twin: twinSummary(index, twin, reader),
    static: staticDocument.value,
    staticError: staticDocument.error,
    latestSnapshot: snapshot === undefined ? null : snapshotView(index, snapshot),
    latestTelemetry: telemetry === undefined ? null : { seq: telemetry.seq, ts: telemetry.ts, body: telemetry.body },
    updates: listTwinUpdates(index, deviceId),
    stateHistory: listStateChanges(index, deviceId),
    alerts: alertsOf(index, deviceId, 20),
    owner: getEntity(index, twin.owner) ?? null,
    manufacturer: getEntity(index, twin.manufacturer) ?? null,
  };
}
