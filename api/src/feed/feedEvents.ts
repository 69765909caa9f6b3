import type { IndexedAlert, IndexedCommand, IndexedTwin, IndexedTwinState, StoreEvent } from '../../../store/src';
import type { DesiredState } from '../../../twin-core/src/messages/stateDocument';

/** The events the API streams (`GET /events`), each about one device or one batch. */
export type FeedEvents = {
  snapshot: { deviceId: string; seq: number; collectedAt: string; cid: string };
  telemetry: { deviceId: string; seq: number; ts: string; body: unknown };
  anchored: {
    batchId: number;
    root: string;
    txHash: string | null;
    block: number | null;
    leafCount: number;
    deviceIds: string[];
    /** Gas the anchoring transaction used (decimal), when known. */
    gasUsed: string | null;
    /** Seconds from the batch's first snapshot arriving to its confirmation. */
    secondsToAnchor: number | null;
  };
  state: { deviceId: string; previous: string; new: string; by: string; reason: string; block: number; tx: string };
  /** A security alert opened, changed or closed (its latest state). */
  alert: IndexedAlert;
  /**
   * A registry event the chain mirror applied (`Listed`, `TwinSold`, `UpdateRecorded`, `ReviewRequested`, …): what a
   * page acting on the chain waits for. `deviceId` is set when the event is about a twin.
   */
  chain: { name: string; deviceId?: string; subject: string; block: number; logIndex: number; tx: string };
  /** A command relayed to a device, or its status changed (pending, delivered, succeeded, failed, expired). */
  command: IndexedCommand;
  /** A twin's state document changed: a desired-state write, or what the device reports. */
  'state-document': IndexedTwinState & { deviceId: string; delta: DesiredState };
};
export type FeedEventName = keyof FeedEvents;
export const FEED_EVENT_NAMES: readonly FeedEventName[] = [
  'snapshot',
  'telemetry',
  'anchored',
  'state',
  'alert',
  'chain',
  'command',
  'state-document',
];

/** One event as the feed emits it: its name and data, its outbox number, and the twins it is about (as read now). */
export type FeedItem<name extends FeedEventName = FeedEventName> = {
  name: name;
  data: FeedEvents[name];
  /** The outbox `seq` of the event it came from (the SSE `id`); several items of one event share it. */
  seq: number;
  /** The twins the item is about, by DeviceID, read with it (for the owner and reader filters); absent: unknown. */
  twins: ReadonlyMap<string, IndexedTwin>;
};

/** A live feed of {@link FeedEvents}. */
export type ApiFeed = {
  on<name extends FeedEventName>(event: name, listener: (data: FeedEvents[name], item: FeedItem<name>) => void): void;
  off<name extends FeedEventName>(event: name, listener: (data: FeedEvents[name], item: FeedItem<name>) => void): void;
  /** Listeners currently attached, all events together. */
  listenerCount(): number;
  /**
   * Follows the outbox itself: `event` for each outbox event as it is read, before its rows are (in commit order,
   * nothing read: what a cache invalidates by), `reset` when events may have been missed (the outbox was pruned past
   * the feed, events were dropped, or the feed's connection failed: everything may be stale). Returns a function
   * removing the listener.
   */
  onOutbox(listener: { event(event: StoreEvent): void; reset(reason: string): void }): () => void;
  /** Whether the feed follows the outbox now (connected, nothing missed since): a cache may trust invalidations. */
  readonly following: boolean;
  /**
   * The items of the events numbered above `after`, read now (at most `limit` events, default 1,000): what an SSE
   * client resuming with `Last-Event-ID` missed. `through` is the last event number read; `skipped` is true when
   * events after `after` were pruned from the outbox before this read.
   */
  replay(after: number, limit?: number): Promise<{ items: FeedItem[]; through: number; skipped: boolean }>;
  /** The number of the last event the feed handled (undefined before it first connected). */
  readonly cursor: number | undefined;
  /** Resolves once the feed follows the outbox. */
  readonly ready: Promise<void>;
  /** Counters: events read, items emitted, events dropped while the feed was too far behind, read errors. */
  stats(): { events: number; emitted: number; dropped: number; errors: number };
  stop(): Promise<void>;
};
