import type { Index } from '../../../oracle/src/index/openIndex';
import type { IndexedTwin } from '../../../oracle/src/index/twins';
import { getTwin } from '../../../oracle/src/index/twins';
import { canReadTwin, type Reader } from './reader';

/**
 * What a blob the index knows is, and so who reads it: `public` (a static document, a batch manifest, an entity's
 * profile, an update's artifact), `device` (a snapshot or an alert's evidence: device internals, read like the
 * twin's), `security` (a telemetry batch: readings of many devices, for security entities), or undefined for a CID
 * the index does not know (never served: the store may hold others' data).
 */
export type BlobKind =
  | { visibility: 'public'; what: string }
  | { visibility: 'device'; what: string; deviceId: string }
  | { visibility: 'security'; what: string };

const PUBLIC_LOOKUPS: readonly [string, string][] = [
  ['static document', 'SELECT 1 FROM twins WHERE static_cid = ? LIMIT 1'],
  ['batch manifest', 'SELECT 1 FROM batches WHERE manifest_cid = ? LIMIT 1'],
  ['batch manifest', 'SELECT 1 FROM peer_batches WHERE manifest_cid = ? LIMIT 1'],
  ['entity profile', 'SELECT 1 FROM entities WHERE profile_cid = ? LIMIT 1'],
  ['update artifact', 'SELECT 1 FROM twin_updates WHERE artifact_cid = ? LIMIT 1'],
];

/**
 * Looks a CID up in the index: what it is and who may read it.
 *
 * @example
 * blobKind(index, twin.staticCid) // { visibility: 'public', what: 'static document' }
 */
export function blobKind(index: Index, cid: string): BlobKind | undefined {
  for (const [what, sql] of PUBLIC_LOOKUPS) {
    if (index.statement(sql).get(cid) !== undefined) return { visibility: 'public', what };
  }
  const snapshot = index.statement('SELECT device_id FROM snapshots WHERE cid = ? LIMIT 1').get(cid) as
    | { device_id: string }
    | undefined;
  if (snapshot !== undefined) return { visibility: 'device', what: 'snapshot', deviceId: snapshot.device_id };
  const alert = index.statement('SELECT device_id FROM alerts WHERE evidence_cid = ? LIMIT 1').get(cid) as
    | { device_id: string }
    | undefined;
  if (alert !== undefined) return { visibility: 'device', what: 'alert evidence', deviceId: alert.device_id };
  if (index.statement('SELECT 1 FROM telemetry_batches WHERE cid = ? LIMIT 1').get(cid) !== undefined) {
    return { visibility: 'security', what: 'telemetry batch' };
  }
  return undefined;
}

/**
 * Whether the reader may read a blob of this kind.
 *
 * @example
 * if (!canReadBlob(index, reader, kind)) throw forbidden
 */
export function canReadBlob(index: Index, reader: Reader, kind: BlobKind): boolean {
  if (kind.visibility === 'public' || reader.open) return true;
  if (kind.visibility === 'security') return reader.entity?.role === 'security' && reader.entity.status === 'approved';
  const twin: IndexedTwin | undefined = getTwin(index, kind.deviceId as `0x${string}`);
  return twin !== undefined && canReadTwin(reader, twin);
}
