import type { StoreEvent, TwinViewRows } from '../../../store/src';

/**
 * What a cached twin view depends on, as keys an outbox event can name: its device (`d:<DeviceID>`), its owner's and
 * manufacturer's entity records (`a:<address>`), and, while its latest snapshot is in transit, that snapshot's batch
 * (`b:<id>`, or `b:none` before it is batched). `settled`: nothing it shows changes without an outbox event. The
 * full variant also shows the device internals the public one leaves out (its latest telemetry and behaviour
 * label): key `i:<DeviceID>`, which a telemetry event names.
 */
export type ViewKeys = { all: string[]; settled: boolean };

/** Outbox kinds that change the view of the device they name. */
const DEVICE_KINDS = new Set(['snapshot', 'alert', 'state', 'chain', 'anchored']);
/** Outbox kinds no twin view shows. */
const UNSHOWN_KINDS = new Set(['command', 'state-document']);
/** Registry events about no twin that change no view (a batch's confirmation comes as its `anchored` event). */
const UNSHOWN_CHAIN_EVENTS = new Set(['BatchAnchored', 'BrandRegistered', 'BrandApproved', 'BrandRevoked']);
/** Registry events that change one entity's record, shown in the views of the twins it owns or made. */
const ENTITY_CHAIN_EVENTS = new Set(['EntityRegistered', 'EntityProfileUpdated', 'EntityApproved', 'EntityRevoked']);

/**
 * The keys of the view of `deviceKey` read as `rows` (undefined: no such twin).
 *
 * @example
 * viewKeysOf(deviceId, rows).all // ['d:0x…', 'a:0x…', 'a:0x…']
 */
export function viewKeysOf(deviceKey: string, rows: TwinViewRows | undefined): ViewKeys {
  const all = [`d:${deviceKey}`];
  if (rows === undefined) return { all, settled: true };
  all.push(`a:${rows.twin.owner.toLowerCase()}`, `a:${rows.twin.manufacturer.toLowerCase()}`);
  const latest = rows.latestSnapshot;
  const settled = latest === null || latest.batch?.status === 'confirmed';
  if (!settled) all.push(latest.batch === null ? 'b:none' : `b:${latest.batch.id}`);
  return { all, settled };
}

/**
 * Which cached views an outbox event changes: `none`, `all`, or those holding any of the keys returned
 * ({@link viewKeysOf}). A device's event: its view; a telemetry event only its full variant (`i:`, the public one
 * shows no telemetry). `anchored` `{ batchId }`: the views whose latest snapshot is in
 * that batch, or not yet in any (it may have joined it without an event). A registry event about no twin: an
 * entity's (`account` in its payload) the views of the twins it owns or made; a batch's or a brand's none; any
 * other, or one without the fields (an older writer), every view. A `rewind` or any kind not known here: every view.
 *
 * @example
 * invalidationOf({ kind: 'anchored', deviceId: null, payload: { batchId: 7 }, seq: 1, at }) // ['b:7', 'b:none']
 */
export function invalidationOf(event: StoreEvent): 'none' | 'all' | string[] {
  if (UNSHOWN_KINDS.has(event.kind)) return 'none';
  if (event.kind === 'telemetry' && event.deviceId !== null) return [`i:${event.deviceId.toLowerCase()}`];
  if (event.deviceId !== null && DEVICE_KINDS.has(event.kind)) return [`d:${event.deviceId.toLowerCase()}`];
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  if (event.kind === 'anchored' && Number.isSafeInteger(payload.batchId)) {
    return [`b:${payload.batchId as number}`, 'b:none'];
  }
  if (event.kind === 'chain' && typeof payload.name === 'string') {
    if (UNSHOWN_CHAIN_EVENTS.has(payload.name)) return 'none';
    if (ENTITY_CHAIN_EVENTS.has(payload.name) && typeof payload.account === 'string') {
      return [`a:${payload.account.toLowerCase()}`];
    }
  }
  return 'all';
}
