/** One event of the outbox, as the feed emits it. */
export type StoreEvent = {
  /** Its number: events are numbered in commit order, every instance reads the same numbers (a cursor). */
  seq: number;
  /** What changed: `snapshot`, `telemetry`, `anchored`, `state`, `alert`, `chain`, `command`, `state-document`, … */
  kind: string;
  /** The device it is about, when it is about one. */
  deviceId: string | null;
  /** Small: the ids to read the change by, never the document itself. */
  payload: unknown;
  /** When the event was recorded (inside its transaction), ISO 8601. */
  at: string;
};

/** What {@link recordEvent} takes. */
export type EventInput = {
  /** Lower-case letters, digits and `-`, starting with a letter, at most 64 characters. */
  kind: string;
  deviceId?: string | bigint | null | undefined;
  /** JSON, at most {@link MAX_EVENT_PAYLOAD_BYTES} bytes as text: ids, not documents. */
  payload?: unknown;
};

/** The largest payload {@link recordEvent} accepts, bytes of JSON text. */
export const MAX_EVENT_PAYLOAD_BYTES = 1_024;

/** The channel the commit of events notifies (its payload: the highest number the transaction drew). */
export const EVENTS_CHANNEL = 'store_events';
