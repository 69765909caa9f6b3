import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { addressText, deviceIdKey, sequenceNumber, toDate, type TimeInput } from '../values';
import { MAX_SECURITY_ROWS_PER_STATEMENT } from './types';
import { chunks } from './chunks';

/** A message's place in its device's numbering, as {@link claimSecuritySequences} takes it. */
export type SecuritySequenceClaim = { deviceId: string | bigint; kind: string; seq: number };

const CLAIM = {
  name: 'store.security.claimSequences',
  text: `INSERT INTO security_sequences (entity, device_id, kind, seq, previous_seq, updated_at)
         SELECT $1, device_id, kind, seq, NULL, $5 FROM unnest($2::text[], $3::text[], $4::bigint[]) AS t (device_id, kind, seq)
         ON CONFLICT (entity, device_id, kind) DO UPDATE
           SET seq = excluded.seq, previous_seq = security_sequences.seq, updated_at = excluded.updated_at
           WHERE security_sequences.seq < excluded.seq
         RETURNING device_id, kind, previous_seq`,
};
const READ = {
  name: 'store.security.readSequences',
  text: `SELECT device_id, kind, seq FROM security_sequences WHERE entity = $1 AND device_id = ANY ($2::text[])`,
};

/**
 * Claims messages for one security entity's replay ledger, in one statement per
 * {@link MAX_SECURITY_ROWS_PER_STATEMENT} (device, kind) pairs: a message is accepted (true, in the order given) when
 * its number is above the highest this entity accepted for its device and kind, from any instance or earlier run,
 * and the ledger moves to the highest accepted. The same number twice in `claims` is accepted once (the first).
 * Instances claiming one device at once are serialised by the row: of one number, one instance gets true.
 *
 * @example
 * const [fresh] = await claimSecuritySequences(store, wallet.address, [{ deviceId, kind: 'telemetry', seq: 42 }])
 * if (fresh) analyzer.analyze(message)
 */
export async function claimSecuritySequences(
  db: Db,
  entity: string,
  claims: readonly SecuritySequenceClaim[],
  now: TimeInput = Date.now(),
): Promise<boolean[]> {
  const account = addressText(entity, 'security entity');
  const at = toDate(now, 'update time');
  const keyed = claims.map((claim) => {
    if (typeof claim.kind !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(claim.kind)) {
      throw new StoreError('Invalid message kind.', { details: `kind: ${JSON.stringify(claim.kind)}` });
    }
    const deviceId = deviceIdKey(claim.deviceId);
    return { key: `${deviceId}:${claim.kind}`, deviceId, kind: claim.kind, seq: sequenceNumber(claim.seq) };
  });
  // One row a (device, kind) per statement (an upsert cannot move a row twice): its highest number.
  const highest = new Map<string, { deviceId: string; kind: string; seq: number }>();
  for (const claim of keyed) {
    const known = highest.get(claim.key);
    if (known === undefined || known.seq < claim.seq) highest.set(claim.key, claim);
  }
  // Per pair: the number the ledger held before this call moved it (null: it had none), or absent when it did not move.
  const moved = new Map<string, number | null>();
  for (const slice of chunks([...highest.values()], MAX_SECURITY_ROWS_PER_STATEMENT)) {
    const { rows } = await db.query<{ device_id: string; kind: string; previous_seq: string | null }>(CLAIM, [
      account,
      slice.map((claim) => claim.deviceId),
      slice.map((claim) => claim.kind),
      slice.map((claim) => claim.seq),
      at,
    ]);
    for (const row of rows) {
      moved.set(`${row.device_id}:${row.kind}`, row.previous_seq === null ? null : Number(row.previous_seq));
    }
  }
  const taken = new Set<string>();
  return keyed.map((claim) => {
    if (!moved.has(claim.key)) return false;
    const previous = moved.get(claim.key)!;
    const id = `${claim.key}:${claim.seq}`;
    if ((previous !== null && claim.seq <= previous) || taken.has(id)) return false;
    taken.add(id);
    return true;
  });
}

/**
 * The highest accepted number of each kind of `deviceIds` in one security entity's replay ledger, as
 * `Map<"<deviceId>:<kind>", seq>` (what a service warms its refusal cache with).
 *
 * @example
 * const last = await readSecuritySequences(store, wallet.address, [deviceId])
 * last.get(`${deviceId}:telemetry`) // 41
 */
export async function readSecuritySequences(
  db: Db,
  entity: string,
  deviceIds: readonly (string | bigint)[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ device_id: string; kind: string; seq: string }>(READ, [
    addressText(entity, 'security entity'),
    [...new Set(deviceIds.map(deviceIdKey))],
  ]);
  return new Map(rows.map((row) => [`${row.device_id}:${row.kind}`, Number(row.seq)]));
}
