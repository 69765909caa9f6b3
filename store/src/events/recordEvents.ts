import type { Db } from '../pool/withTransaction';
import { checkEvent } from './recordEvent';
import type { EventInput } from './types';

const INSERT_MANY = {
  name: 'store.events.insertMany',
  text: `INSERT INTO events (kind, device_id, payload)
         SELECT kind, device_id, payload FROM unnest($1::text[], $2::text[], $3::jsonb[]) AS e(kind, device_id, payload)`,
};

/**
 * Records many events in the writer's transaction, in one statement (see {@link recordEvent}: each is checked the
 * same way, all are published if and only if the transaction commits, numbered at commit in the order given).
 * Nothing for an empty list.
 *
 * @example
 * await recordEvents(tx, devices.map(([deviceId, seq]) => ({ kind: 'telemetry', deviceId, payload: { seq } })))
 */
export async function recordEvents(db: Db, inputs: readonly EventInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const checked = inputs.map(checkEvent);
  await db.query(INSERT_MANY, [
    checked.map((event) => event.kind),
    checked.map((event) => event.deviceId),
    checked.map((event) => event.json),
  ]);
}
