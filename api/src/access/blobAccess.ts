import { blobKindOf, getTwin, type IndexedBlobKind, type Store } from '../../../store/src';
import { canReadTwin, type Reader } from './reader';

/**
 * What a blob the index knows is, and so who reads it: `public` (a static document, a batch manifest, an entity's
 * profile, an update's artifact), `device` (a snapshot or an alert's evidence: device internals, read like the
 * twin's), `security` (a telemetry batch: readings of many devices, for security entities), or undefined for a CID
 * the index does not know (never served: the store may hold others' data).
 */
export type BlobKind = IndexedBlobKind;

/**
 * Looks a CID up in the index (one statement): what it is and who may read it.
 *
 * @example
 * await blobKind(index, twin.staticCid) // { visibility: 'public', what: 'static document' }
 */
export function blobKind(index: Store, cid: string): Promise<BlobKind | undefined> {
  return blobKindOf(index, cid);
}

/**
 * Whether the reader may read a blob of this kind.
 *
 * @example
 * if (!(await canReadBlob(index, reader, kind))) throw forbidden
 */
export async function canReadBlob(index: Store, reader: Reader, kind: BlobKind): Promise<boolean> {
  if (kind.visibility === 'public' || reader.open) return true;
  if (kind.visibility === 'security') return reader.entity?.role === 'security' && reader.entity.status === 'approved';
  const twin = await getTwin(index, kind.deviceId);
  return twin !== undefined && canReadTwin(reader, twin);
}
