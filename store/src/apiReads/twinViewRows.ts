import type { Hex } from '../../../twin-core/src/encoding/hex';
import { alertFromRow, type IndexedAlert } from '../alerts/recordAlert';
import { batchFromRow, type IndexedBatch } from '../batches/types';
import { entityFromRow, type IndexedEntity } from '../entities/types';
import type { Db } from '../pool/withTransaction';
import { SNAPSHOT_COLUMNS, SNAPSHOT_FROM, snapshotFromRow, type IndexedSnapshot } from '../snapshots/types';
import type { LatestTelemetry } from '../telemetry/types';
import type { TwinStateChange, TwinUpdate } from '../twinHistory/types';
import type { TwinStateName } from '../twins/types';
import { twinFromRow, type IndexedTwin } from '../twins/types';
import { deviceIdKey, pageSize, toIso, type Row } from '../values';

/** Everything the twin view shows, read in one statement. */
export type TwinViewRows = {
  twin: IndexedTwin;
  /** The latest snapshot and its batch (null when not batched). */
  latestSnapshot: { snapshot: IndexedSnapshot; batch: IndexedBatch | null } | null;
  /** The latest telemetry (device internals: the caller decides who sees it). */
  latestTelemetry: LatestTelemetry | null;
  updates: TwinUpdate[];
  stateHistory: TwinStateChange[];
  /** Newest first, at most `alertLimit`. */
  alerts: IndexedAlert[];
  owner: IndexedEntity | null;
  manufacturer: IndexedEntity | null;
};

// Numerics (wei) as text inside JSON, so that no digit is lost; timestamps come back as ISO text.
const COLUMNS = `to_jsonb(t) || jsonb_build_object('price', t.price::text) AS twin,
           (SELECT jsonb_build_object('snapshot', to_jsonb(ls), 'batch',
                     CASE WHEN b.id IS NULL THEN NULL
                          ELSE to_jsonb(b) || jsonb_build_object('gas_used', b.gas_used::text) END)
              FROM (SELECT ${SNAPSHOT_COLUMNS} FROM ${SNAPSHOT_FROM} WHERE s.device_id = t.device_id
                    ORDER BY s.seq DESC LIMIT 1) ls
              LEFT JOIN batches b ON b.id = ls.batch_id) AS latest,
           (SELECT to_jsonb(lt) FROM latest_telemetry lt WHERE lt.device_id = t.device_id) AS telemetry,
           (SELECT coalesce(jsonb_agg(to_jsonb(u) ORDER BY u.update_index), '[]'::jsonb)
              FROM twin_updates u WHERE u.device_id = t.device_id) AS updates,
           (SELECT coalesce(jsonb_agg(to_jsonb(c) ORDER BY c.block, c.log_index), '[]'::jsonb)
              FROM twin_state_changes c WHERE c.device_id = t.device_id) AS changes,
           (SELECT coalesce(jsonb_agg(to_jsonb(a) ORDER BY a.id DESC), '[]'::jsonb)
              FROM (SELECT * FROM alerts WHERE device_id = t.device_id ORDER BY id DESC LIMIT $2) a) AS alerts,
           (SELECT to_jsonb(e) FROM entities e WHERE e.account = t.owner) AS owner,
           (SELECT to_jsonb(e) FROM entities e WHERE e.account = t.manufacturer) AS manufacturer`;
const VIEW = {
  name: 'store.apiReads.twinView',
  text: `SELECT ${COLUMNS} FROM twins t WHERE t.device_id = $1`,
};
// The same columns for a page of twins in DeviceID order (keyset: after the last one of the page before).
const PAGE = {
  name: 'store.apiReads.twinViewPage',
  text: `SELECT ${COLUMNS} FROM twins t WHERE t.device_id > $1::text ORDER BY t.device_id LIMIT $3`,
};

/**
 * The twin view's data in one statement (one consistent snapshot of the database): the twin, its latest snapshot
 * with its batch, its latest telemetry, its update and state histories, its newest alerts and its two entities.
 * Undefined when there is no such twin.
 *
 * @example
 * const rows = await readTwinView(store, deviceId, { alertLimit: 20 })
 * rows?.latestSnapshot?.batch?.status === 'confirmed'
 */
export async function readTwinView(
  db: Db,
  deviceId: string | bigint,
  options: { alertLimit?: number } = {},
): Promise<TwinViewRows | undefined> {
  const { rows } = await db.query<Record<string, unknown>>(VIEW, [
    deviceIdKey(deviceId),
    pageSize(options.alertLimit, 20, 1_000),
  ]);
  const row = rows[0];
  return row === undefined ? undefined : twinViewOfRow(row);
}

/** Parameters of {@link readTwinViewPage}. */
export type ReadTwinViewPageParameters = {
  /** Start after this DeviceID (any notation); undefined: at the first. */
  after?: string | bigint | undefined;
  /** Twins in the page (default 500, at most 1,000). */
  limit?: number;
  alertLimit?: number;
};

/**
 * {@link readTwinView} for a page of twins in one statement, in DeviceID order: each twin's rows exactly as
 * `readTwinView` returns them, keyed by its DeviceID (lower-case hex), and the key to pass as `after` for the next
 * page (undefined after the last). What a cache warms from.
 *
 * @example
 * let page = await readTwinViewPage(store, { limit: 500 })
 * while (page.next !== undefined) page = await readTwinViewPage(store, { after: page.next, limit: 500 })
 */
export async function readTwinViewPage(
  db: Db,
  parameters: ReadTwinViewPageParameters = {},
): Promise<{ views: Map<Hex, TwinViewRows>; next: Hex | undefined }> {
  const limit = pageSize(parameters.limit, 500, 1_000);
  const { rows } = await db.query<Record<string, unknown>>(PAGE, [
    parameters.after === undefined ? '' : deviceIdKey(parameters.after),
    pageSize(parameters.alertLimit, 20, 1_000),
    limit,
  ]);
  const views = new Map<Hex, TwinViewRows>();
  for (const row of rows) {
    const view = twinViewOfRow(row);
    views.set(view.twin.deviceId.toLowerCase() as Hex, view);
  }
  const last = rows.length === limit ? [...views.keys()].at(-1) : undefined;
  return { views, next: last };
}

/** One row of the twin view's statement, converted. */
function twinViewOfRow(row: Record<string, unknown>): TwinViewRows {
  const latest = row.latest as { snapshot: Row; batch: Row | null } | null;
  const telemetry = row.telemetry as Row | null;
  return {
    twin: twinFromRow(row.twin as Row),
    latestSnapshot:
      latest === null
        ? null
        : {
            snapshot: snapshotFromRow(latest.snapshot),
            batch: latest.batch === null ? null : batchFromRow(latest.batch),
          },
    latestTelemetry:
      telemetry === null
        ? null
        : {
            deviceId: telemetry.device_id as string,
            seq: telemetry.seq as number,
            ts: toIso(telemetry.ts as string),
            body: telemetry.body,
            batchCid: telemetry.batch_cid as string | null,
          },
    updates: (row.updates as Row[]).map((update) => ({
      deviceId: update.device_id as Hex,
      index: update.update_index as number,
      component: update.component as string,
      version: update.version as string,
      artifactHash: update.artifact_hash as Hex,
      artifactCid: update.artifact_cid as string,
      block: update.block as number,
      tx: update.tx as Hex,
    })),
    stateHistory: (row.changes as Row[]).map((change) => ({
      deviceId: change.device_id as Hex,
      previous: change.previous as TwinStateName,
      new: change.new as TwinStateName,
      by: change.changed_by as string,
      reason: change.reason as string,
      block: change.block as number,
      tx: change.tx as Hex,
      logIndex: change.log_index as number,
    })),
    alerts: (row.alerts as Row[]).map(alertFromRow),
    owner: row.owner === null ? null : entityFromRow(row.owner as Row),
    manufacturer: row.manufacturer === null ? null : entityFromRow(row.manufacturer as Row),
  };
}
