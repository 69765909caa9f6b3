import { StoreError } from '../errors';
import type { Db } from '../pool/withTransaction';
import { deviceIdKey } from '../values';
import { MAX_EVENT_PAYLOAD_BYTES, type EventInput } from './types';

const INSERT = {
  name: 'store.events.insert',
  text: 'INSERT INTO events (kind, device_id, payload) VALUES ($1, $2, $3) RETURNING id',
};

/**
 * Records an event in the writer's transaction, so that it is published if and only if the change it announces
 * commits. It is numbered at commit (in commit order, under the events lock) and the commit notifies `store_events`:
 * every instance's feed ({@link createStoreFeed}) then reads it. With the store instead of a transaction it is a
 * transaction of its own.
 *
 * @example
 * await withTransaction(store, async (tx) => {
 *   await insertSnapshot(tx, snapshot)
 *   await recordEvent(tx, { kind: 'snapshot', deviceId: snapshot.deviceId, payload: { seq: snapshot.seq } })
 * })
 */
export async function recordEvent(db: Db, input: EventInput): Promise<void> {
  const { kind, deviceId, json } = checkEvent(input);
  await db.query(INSERT, [kind, deviceId, json]);
}

/**
 * An event's kind, DeviceID key and payload JSON, checked as {@link recordEvent} records them; a StoreError naming
 * what is wrong.
 *
 * @example
 * const { kind, deviceId, json } = checkEvent({ kind: 'snapshot', deviceId, payload: { seq } })
 */
export function checkEvent(input: EventInput): { kind: string; deviceId: string | null; json: string } {
  if (typeof input.kind !== 'string' || !/^[a-z][a-z0-9-]{0,63}$/.test(input.kind)) {
    throw new StoreError('Invalid event kind.', {
      details: `kind: expected lower-case letters, digits and "-" (at most 64), got ${JSON.stringify(input.kind)}`,
    });
  }
  const deviceId = input.deviceId === undefined || input.deviceId === null ? null : deviceIdKey(input.deviceId);
  let json: string | undefined;
  try {
    json = JSON.stringify(input.payload ?? {});
  } catch (error) {
    throw new StoreError('Invalid event payload.', { details: `payload: ${String(error)}`, cause: error });
  }
  if (json === undefined) throw new StoreError('Invalid event payload.', { details: 'payload: not JSON' });
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_EVENT_PAYLOAD_BYTES) {
    throw new StoreError('Event payload too large.', {
      details: `payload: ${bytes} bytes of JSON, at most ${MAX_EVENT_PAYLOAD_BYTES} (ids, not documents)`,
    });
  }
  return { kind: input.kind, deviceId, json };
}
