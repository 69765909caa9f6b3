import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Db } from '../pool/withTransaction';
import { pgText } from '../values';

/**
 * What a blob the index knows is, and so who reads it: `public` (a static document, a batch manifest, an entity's
 * profile, an update's artifact), `device` (a snapshot or an alert's evidence: device internals), `security` (a
 * telemetry batch: readings of many devices).
 */
export type IndexedBlobKind =
  | { visibility: 'public'; what: string }
  | { visibility: 'device'; what: string; deviceId: Hex }
  | { visibility: 'security'; what: string };

// One statement: the first kind (in this order) that names the CID.
const KIND = {
  name: 'store.apiReads.blobKind',
  text: `SELECT what, visibility, device_id FROM (
           (SELECT 1 AS p, 'static document' AS what, 'public' AS visibility, NULL::text AS device_id
              FROM twins WHERE static_cid = $1 LIMIT 1)
           UNION ALL (SELECT 2, 'batch manifest', 'public', NULL FROM batches WHERE manifest_cid = $1 LIMIT 1)
           UNION ALL (SELECT 3, 'entity profile', 'public', NULL FROM entities WHERE profile_cid = $1 LIMIT 1)
           UNION ALL (SELECT 4, 'update artifact', 'public', NULL FROM twin_updates WHERE artifact_cid = $1 LIMIT 1)
           UNION ALL (SELECT 5, 'snapshot', 'device', device_id::text FROM snapshots WHERE cid = $1 LIMIT 1)
           UNION ALL (SELECT 6, 'alert evidence', 'device', device_id::text FROM alerts WHERE evidence_cid = $1 LIMIT 1)
           UNION ALL (SELECT 7, 'telemetry batch', 'security', NULL FROM telemetry_batches WHERE cid = $1 LIMIT 1)
         ) kinds ORDER BY p LIMIT 1`,
};

/**
 * Looks a CID up in the index, in one statement: what it is and who may read it; undefined for a CID the index does
 * not know (the API never serves those: the blob store may hold others' data).
 *
 * @example
 * await blobKindOf(store, twin.staticCid) // { visibility: 'public', what: 'static document' }
 */
export async function blobKindOf(db: Db, cid: string): Promise<IndexedBlobKind | undefined> {
  const { rows } = await db.query<{ what: string; visibility: IndexedBlobKind['visibility']; device_id: Hex | null }>(
    KIND,
    [pgText(cid)],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  if (row.visibility === 'device') return { visibility: 'device', what: row.what, deviceId: row.device_id! };
  return { visibility: row.visibility, what: row.what };
}
