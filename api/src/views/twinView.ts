import type { Hex } from '../../../twin-core/src/encoding/hex';
import {
  getBatch,
  getTwin,
  latestSnapshotsOf,
  latestTelemetryOf,
  readTwinView,
  type LatestSnapshotSummary,
  type IndexedBatch,
  type IndexedSnapshot,
  type IndexedTwin,
  type LatestTelemetry,
  type Store,
  type TwinViewRows,
} from '../../../store/src';
import { jsonBody, type JsonBody } from '../http/jsonBody';
import { ApiError } from '../errors';
import type { DocumentCache } from './createDocumentCache';
import type { TwinViewCache, TwinViewVariant } from './createTwinViewCache';
import { canReadTwin, type Reader } from '../access/reader';
import { gatewayPath } from '../routes/ipfs';

/** What the views read: the index and the IPFS documents (through the cache). */
export type ViewSources = {
  index: Store;
  documents: DocumentCache;
  /** The cached bodies (invalidated by the feed); without it each view is read from the index. */
  views?: TwinViewCache;
  ipfsTimeoutMs?: number;
};

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
 * const view = await snapshotView(index, (await getSnapshot(index, deviceId, 7))!)
 */
export async function snapshotView(index: Store, snapshot: IndexedSnapshot) {
  const batch = snapshot.batchId === null ? undefined : await getBatch(index, snapshot.batchId);
  return snapshotViewOf(snapshot, batch);
}

/** {@link snapshotView} with its batch already read (undefined: none). */
export function snapshotViewOf(snapshot: IndexedSnapshot, batch: IndexedBatch | undefined) {
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
 * Twins as listed: the mirrored chain record, its latest snapshot and, for a reader who sees the twin's internals,
 * the latest behaviour label (null for the public: it comes from the telemetry body). Two statements for the list.
 *
 * @example
 * const items = await twinSummaries(index, (await listTwins(index, query)).items, reader)
 */
export async function twinSummaries(index: Store, twins: readonly IndexedTwin[], reader: Reader) {
  const readable = twins.filter((twin) => canReadTwin(reader, twin)).map((twin) => twin.deviceId);
  const [snapshots, telemetry] = await Promise.all([
    latestSnapshotsOf(
      index,
      twins.map((twin) => twin.deviceId),
    ),
    latestTelemetryOf(index, readable),
  ]);
  return twins.map((twin) => {
    const key = twin.deviceId.toLowerCase() as Hex;
    return twinSummaryOf(twin, reader, snapshots.get(key), telemetry.get(key));
  });
}

/** One twin's {@link twinSummaries} entry, from rows already read. */
export function twinSummaryOf(
  twin: IndexedTwin,
  reader: Reader,
  snapshot: LatestSnapshotSummary | undefined,
  telemetry: LatestTelemetry | undefined,
) {
  return summaryOf(twin, canReadTwin(reader, twin), snapshot, telemetry);
}

/** {@link twinSummaryOf} for a reader who sees the twin's internals (`readable`) or not. */
function summaryOf(
  twin: IndexedTwin,
  readable: boolean,
  snapshot: LatestSnapshotSummary | undefined,
  telemetry: LatestTelemetry | undefined,
) {
  const label = readable
    ? (telemetry?.body as { label?: { behaviour: string; anomalous: boolean } } | undefined)?.label
    : undefined;
  return {
    ...twin,
    price: twin.price.toString(),
    staticUrl: gatewayPath(twin.staticCid),
    access: readable ? ('full' as const) : ('public' as const),
    latestSnapshot:
      snapshot === undefined
        ? null
        : { seq: snapshot.seq, collectedAt: snapshot.collectedAt, anchored: snapshot.anchored },
    behaviour: label?.behaviour ?? null,
    anomalous: label?.anomalous ?? null,
  };
}

/** The twin `deviceId` or a 404 `twin-not-found`. */
export async function requireTwin(index: Store, deviceId: Hex): Promise<IndexedTwin> {
  const twin = await getTwin(index, deviceId);
  if (twin === undefined) throw twinNotFound(deviceId);
  return twin;
}

const twinNotFound = (deviceId: Hex) =>
  new ApiError('Twin not found.', { status: 404, code: 'twin-not-found', details: { deviceId } });

/**
 * The merged view of one twin: the chain record (as mirrored), the static document from IPFS, the latest snapshot
 * and whether it is anchored, the update and state histories, the alerts and the two entities; the latest telemetry
 * only for a reader who sees the twin's internals (`twin.access` says which view this is). The index is read in one
 * statement (`readTwinView`), the static document through the cache.
 *
 * @example
 * res.json(await twinView({ index, documents }, deviceId, reader))
 */
export async function twinView(sources: ViewSources, deviceId: Hex, reader: Reader) {
  const rows = await readTwinView(sources.index, deviceId, { alertLimit: 20 });
  if (rows === undefined) throw twinNotFound(deviceId);
  return twinViewOf(sources, rows, canReadTwin(reader, rows.twin));
}

/** The variant of a twin's view `reader` gets: with the device internals, or the public one. */
export const variantFor =
  (reader: Reader) =>
  (twin: IndexedTwin): TwinViewVariant =>
    canReadTwin(reader, twin) ? 'full' : 'public';

/**
 * {@link twinView} serialised: from the view cache when there is one (its body for this reader's variant, the public
 * view or the full one: nothing else in it depends on the reader), else read and rendered now.
 *
 * @example
 * return twinViewBody({ index, documents, views }, deviceId, reader) // a JsonBody: mountRoutes sends its bytes
 */
export async function twinViewBody(sources: ViewSources, deviceId: Hex, reader: Reader): Promise<JsonBody> {
  if (sources.views !== undefined) {
    const body = await sources.views.body(deviceId, variantFor(reader));
    if (body === undefined) throw twinNotFound(deviceId);
    return body;
  }
  const rows = await readTwinView(sources.index, deviceId, { alertLimit: 20 });
  if (rows === undefined) throw twinNotFound(deviceId);
  return (await renderTwinView(sources, rows, variantFor(reader)(rows.twin))).body;
}

/**
 * Renders one variant of a twin's view from its rows (the static document read through the document cache), with
 * whether the body may be served again: not when the static document could not be read (the next request retries).
 * What the view cache renders with.
 *
 * @example
 * const views = createTwinViewCache({ index, feed, render: (rows, variant) => renderTwinView({ index, documents }, rows, variant) })
 */
export async function renderTwinView(
  sources: Pick<ViewSources, 'documents' | 'ipfsTimeoutMs'>,
  rows: TwinViewRows,
  variant: TwinViewVariant,
): Promise<{ body: JsonBody; keep: boolean }> {
  const view = await twinViewOf(sources, rows, variant === 'full');
  return { body: jsonBody(view), keep: view.staticError === null };
}

/** The twin view from its rows (the static document read through the cache). */
async function twinViewOf(
  sources: Pick<ViewSources, 'documents' | 'ipfsTimeoutMs'>,
  rows: TwinViewRows,
  readable: boolean,
) {
  const { twin } = rows;
  const staticDocument = await sources.documents.read(twin.staticCid, sources.ipfsTimeoutMs ?? 2_000);
  const snapshot = rows.latestSnapshot?.snapshot;
  const batch = rows.latestSnapshot?.batch ?? undefined;
  const telemetry = readable ? rows.latestTelemetry ?? undefined : undefined;
  return {
    twin: summaryOf(
      twin,
      readable,
      snapshot === undefined
        ? undefined
        : { seq: snapshot.seq, collectedAt: snapshot.collectedAt, anchored: batch?.status === 'confirmed' },
      telemetry,
    ),
    static: staticDocument.value,
    staticError: staticDocument.error,
    latestSnapshot: snapshot === undefined ? null : snapshotViewOf(snapshot, batch),
    latestTelemetry: telemetry === undefined ? null : { seq: telemetry.seq, ts: telemetry.ts, body: telemetry.body },
    updates: rows.updates,
    stateHistory: rows.stateHistory,
    alerts: rows.alerts,
    owner: rows.owner,
    manufacturer: rows.manufacturer,
  };
}
