import { EventEmitter } from 'node:events';
import { alertsUpdatedSince, type IndexedAlert } from '../../../oracle/src/index';
import type { Index } from '../../../oracle/src/index/openIndex';
import { commandsChangedSince, type IndexedCommand } from '../../../oracle/src/index/commands';
import { getTwinState, type IndexedTwinState } from '../../../oracle/src/index/twinStates';
import { stateDelta, type DesiredState } from '../../../twin-core/src/messages/stateDocument';

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

/** A typed emitter of {@link FeedEvents}. */
export type IndexFeed = {
  on<name extends FeedEventName>(event: name, listener: (data: FeedEvents[name]) => void): void;
  off<name extends FeedEventName>(event: name, listener: (data: FeedEvents[name]) => void): void;
  /** Reads what is new once (the timer calls it; tests may too). */
  poll(): void;
  /** Listeners currently attached, all events together. */
  listenerCount(): number;
  stop(): void;
};

/** Options of {@link createIndexFeed}. */
export type IndexFeedOptions = {
  index: Index;
  /** How often the index is read, ms (default 250). */
  intervalMs?: number;
  /** Largest rows read per table per poll (default 5,000): a burst is spread over polls, never lost. */
  maxRows?: number;
  onError?: (error: unknown) => void;
};

/**
 * Follows the oracle's index for what is new, so the API can stream it: snapshots by receive time, telemetry
 * readings and state changes by row id, anchored batches by confirmation time. It reads the same database whether
 * the oracle runs in this process or beside it, and starts at the present (no history replay).
 *
 * @example
 * const feed = createIndexFeed({ index })
 * feed.on('anchored', (batch) => console.log(batch.root))
 */
export function createIndexFeed(options: IndexFeedOptions): IndexFeed {
  const { index } = options;
  const maxRows = options.maxRows ?? 5_000;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const scalar = (sql: string) => Number((index.statement(sql).get() as { value: number | null }).value ?? 0);
  const cursor = {
    telemetry: scalar('SELECT max(id) AS value FROM telemetry_readings'),
    state: scalar('SELECT max(id) AS value FROM twin_state_changes'),
    snapshotAt: scalar('SELECT max(received_at) AS value FROM snapshots'),
    snapshotKeys: new Set<string>(),
    anchoredAt: scalar(`SELECT max(confirmed_at) AS value FROM batches WHERE status = 'confirmed'`),
    anchoredIds: new Set<number>(),
    alertAt: scalar('SELECT max(updated_at) AS value FROM alerts'),
    alertKeys: new Set<string>(),
    chain: (index.statement('SELECT block, log_index FROM chain_events ORDER BY block DESC, log_index DESC LIMIT 1').get() as
      | { block: number; log_index: number }
      | undefined) ?? { block: -1, log_index: -1 },
    commandSeq: scalar('SELECT max(update_seq) AS value FROM commands'),
    documentAt: scalar('SELECT max(updated_at) AS value FROM twin_states'),
    documentKeys: new Set<string>(),
  };
  for (const row of index
    .statement('SELECT device_id, seq FROM snapshots WHERE received_at = ?')
    .all(cursor.snapshotAt) as { device_id: string; seq: number }[])
    cursor.snapshotKeys.add(`${row.device_id}:${row.seq}`);
  for (const row of index
    .statement(`SELECT id FROM batches WHERE status = 'confirmed' AND confirmed_at = ?`)
    .all(cursor.anchoredAt) as { id: number }[])
    cursor.anchoredIds.add(Number(row.id));

  const poll = () => {
    if (!index.isOpen) return;
    for (const row of index
      .statement('SELECT id, device_id, seq, ts, body FROM telemetry_readings WHERE id > ? ORDER BY id LIMIT ?')
      .all(cursor.telemetry, maxRows) as { id: number; device_id: string; seq: number; ts: number; body: string }[]) {
      cursor.telemetry = Number(row.id);
      emitter.emit('telemetry', {
        deviceId: row.device_id,
        seq: Number(row.seq),
        ts: new Date(Number(row.ts)).toISOString(),
        body: JSON.parse(row.body),
      });
    }
    const snapshots = index
      .statement(
        'SELECT device_id, seq, collected_at, cid, received_at FROM snapshots WHERE received_at >= ? ORDER BY received_at LIMIT ?',
      )
      .all(cursor.snapshotAt, maxRows) as {
      device_id: string;
      seq: number;
      collected_at: number;
      cid: string;
      received_at: number;
    }[];
    for (const row of snapshots) {
      const at = Number(row.received_at);
      const key = `${row.device_id}:${row.seq}`;
      if (at === cursor.snapshotAt && cursor.snapshotKeys.has(key)) continue;
      if (at > cursor.snapshotAt) {
        cursor.snapshotAt = at;
        cursor.snapshotKeys.clear();
      }
      cursor.snapshotKeys.add(key);
      emitter.emit('snapshot', {
        deviceId: row.device_id,
        seq: Number(row.seq),
        collectedAt: new Date(Number(row.collected_at)).toISOString(),
        cid: row.cid,
      });
    }
    const batches = index
      .statement(
        `SELECT id, root, tx_hash, block, leaf_count, confirmed_at, gas_used,
           (SELECT min(received_at) FROM snapshots WHERE batch_id = batches.id) AS first_received FROM batches
         WHERE status = 'confirmed' AND confirmed_at >= ? ORDER BY confirmed_at, id LIMIT ?`,
      )
      .all(cursor.anchoredAt, maxRows) as {
      id: number;
      root: string;
      tx_hash: string | null;
      block: number | null;
      leaf_count: number;
      confirmed_at: number;
      gas_used: string | null;
      first_received: number | null;
    }[];
    for (const row of batches) {
      const at = Number(row.confirmed_at);
      if (at === cursor.anchoredAt && cursor.anchoredIds.has(Number(row.id))) continue;
      if (at > cursor.anchoredAt) {
        cursor.anchoredAt = at;
        cursor.anchoredIds.clear();
      }
      cursor.anchoredIds.add(Number(row.id));
      const devices = index.statement('SELECT DISTINCT device_id FROM snapshots WHERE batch_id = ?').all(row.id) as {
        device_id: string;
      }[];
      emitter.emit('anchored', {
        batchId: Number(row.id),
        root: row.root,
        txHash: row.tx_hash,
        block: row.block === null ? null : Number(row.block),
        leafCount: Number(row.leaf_count),
        deviceIds: devices.map((device) => device.device_id),
        gasUsed: row.gas_used,
        secondsToAnchor: row.first_received === null ? null : (at - Number(row.first_received)) / 1000,
      });
    }
    for (const row of index
      .statement(
        `SELECT id, device_id, previous, new, changed_by, reason, block, tx FROM twin_state_changes
         WHERE id > ? ORDER BY id LIMIT ?`,
      )
      .all(cursor.state, maxRows) as {
      id: number;
      device_id: string;
      previous: string;
      new: string;
      changed_by: string;
      reason: string;
      block: number;
      tx: string;
    }[]) {
      cursor.state = Number(row.id);
      emitter.emit('state', {
        deviceId: row.device_id,
        previous: row.previous,
        new: row.new,
        by: row.changed_by,
        reason: row.reason,
        block: Number(row.block),
        tx: row.tx,
      });
    }
  };
  const pollChain = () => {
    for (const row of index
      .statement(
        `SELECT block, log_index, tx, contract, name, subject FROM chain_events
         WHERE block > ?1 OR (block = ?1 AND log_index > ?2) ORDER BY block, log_index LIMIT ?3`,
      )
      .all(cursor.chain.block, cursor.chain.log_index, maxRows) as {
      block: number;
      log_index: number;
      tx: string;
      contract: string;
      name: string;
      subject: string;
    }[]) {
      cursor.chain = { block: Number(row.block), log_index: Number(row.log_index) };
      const subject = String(row.subject);
      emitter.emit('chain', {
        name: row.name,
        ...(row.contract === 'TwinRegistry' ? { deviceId: subject.toLowerCase() } : {}),
        subject,
        block: Number(row.block),
        logIndex: Number(row.log_index),
        tx: row.tx,
      });
    }
  };
  const pollAlerts = () => {
    for (const alert of alertsUpdatedSince(index, cursor.alertAt, maxRows)) {
      const at = Date.parse(alert.updatedAt);
      const key = `${alert.by}:${alert.alertId}:${at}`;
      if (at === cursor.alertAt && cursor.alertKeys.has(key)) continue;
      if (at > cursor.alertAt) {
        cursor.alertAt = at;
        cursor.alertKeys.clear();
      }
      cursor.alertKeys.add(key);
      emitter.emit('alert', alert);
    }
  };
  const pollCommands = () => {
    for (const command of commandsChangedSince(index, cursor.commandSeq, maxRows)) {
      cursor.commandSeq = command.updateSeq;
      emitter.emit('command', command);
    }
  };
  const pollDocuments = () => {
    const rows = index
      .statement('SELECT device_id, updated_at FROM twin_states WHERE updated_at >= ? ORDER BY updated_at LIMIT ?')
      .all(cursor.documentAt, maxRows) as { device_id: string; updated_at: number }[];
    for (const row of rows) {
      const at = Number(row.updated_at);
      const key = `${row.device_id}:${at}`;
      if (at === cursor.documentAt && cursor.documentKeys.has(key)) continue;
      if (at > cursor.documentAt) {
        cursor.documentAt = at;
        cursor.documentKeys.clear();
      }
      cursor.documentKeys.add(key);
      const state = getTwinState(index, row.device_id);
      emitter.emit('state-document', {
        deviceId: row.device_id,
        ...state,
        delta: stateDelta(state.desired, state.reported ?? undefined),
      });
    }
  };
  const safePoll = () => {
    try {
      poll();
      if (index.isOpen) pollAlerts();
      if (index.isOpen) pollChain();
      if (index.isOpen) pollCommands();
      if (index.isOpen) pollDocuments();
    } catch (error) {
      options.onError?.(error);
    }
  };
  const timer = setInterval(safePoll, options.intervalMs ?? 250);
  timer.unref();

  return {
    on: (event, listener) => void emitter.on(event, listener as (data: unknown) => void),
    off: (event, listener) => void emitter.off(event, listener as (data: unknown) => void),
    poll: safePoll,
    listenerCount: () => FEED_EVENT_NAMES.reduce((sum, name) => sum + emitter.listenerCount(name), 0),
    stop: () => clearInterval(timer),
  };
}
