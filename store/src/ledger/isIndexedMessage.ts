import { canonicalJson } from '../../../twin-core/src/encoding/canonicalJson';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey, pgJson } from '../values';
import { readSequenceLedger } from './sequenceLedger';

const SNAPSHOT_HASH = {
  name: 'store.indexed.snapshotHash',
  text: 'SELECT hash FROM snapshots WHERE device_id = $1 AND seq = $2',
};
const LEDGER_HASH = {
  name: 'store.indexed.ledgerHash',
  text: `SELECT seq, last_hash FROM sequence_ledger
         WHERE device_id = $1 AND (kind = $2 OR ($2 = 'status' AND kind = 'will'))`,
};
const TELEMETRY_BODIES = {
  name: 'store.indexed.telemetryBodies',
  text: `SELECT body FROM telemetry_readings WHERE device_id = $1 AND seq = $2
         UNION ALL SELECT body FROM latest_telemetry WHERE device_id = $1 AND seq = $2`,
};

/** Options of {@link isIndexedMessage}. */
export type IsIndexedMessageOptions = {
  /**
   * For the kinds indexed by their ledger row only (status, static): true asks for this very message, the one the
   * row last accepted (same number and hash, `recordLedgerHash`); false (default) for any at or below the row's
   * number, which is all a row written before migration 8 can say.
   */
  exact?: boolean;
};

/**
 * Whether the store already holds this very message (any instance wrote it): a snapshot with the same hash, a
 * telemetry reading with the same body (compared as canonical JSON: `jsonb` keeps no member order), or, for kinds
 * indexed by their ledger row only (status, static), a ledger row at or above its number (`exact`: the row's last
 * message, same number and hash). What the oracle asks of a message its journal replays at start (one processed
 * before a crash is completed, not judged a replay of itself) and of a copy another instance indexed (`exact`).
 *
 * @example
 * if (replayed && (await isIndexedMessage(store, checked.message, checked.hash))) journal.complete(offset)
 */
export async function isIndexedMessage(
  db: Db,
  message: { deviceId: string; kind: string; seq: number; body?: unknown },
  hash: string,
  options: IsIndexedMessageOptions = {},
): Promise<boolean> {
  const deviceId = deviceIdKey(message.deviceId);
  if (options.exact === true && message.kind !== 'snapshot' && message.kind !== 'telemetry') {
    const { rows } = await db.query<{ seq: string | number; last_hash: string | null }>(LEDGER_HASH, [
      deviceId,
      message.kind,
    ]);
    // A status may be the row's last one or the announced last will (the `will` row's).
    return rows.some((row) => Number(row.seq) === message.seq && row.last_hash === hash.toLowerCase());
  }
  const last = await readSequenceLedger(db).last(deviceId, message.kind);
  if (last === undefined || message.seq > last) return false;
  if (message.kind === 'snapshot') {
    const { rows } = await db.query<{ hash: string }>(SNAPSHOT_HASH, [deviceId, message.seq]);
    return rows[0] !== undefined && rows[0].hash.toLowerCase() === hash.toLowerCase();
  }
  if (message.kind === 'telemetry') {
    const body = canonicalJson(JSON.parse(pgJson(message.body)) as never);
    const { rows } = await db.query<{ body: unknown }>(TELEMETRY_BODIES, [deviceId, message.seq]);
    return rows.some((row) => canonicalJson(row.body as never) === body);
  }
  return true;
}
