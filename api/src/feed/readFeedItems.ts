import {
  getAlert,
  getAnchoredBatch,
  getChainEventSummary,
  getCommand,
  getSnapshot,
  getStateChange,
  getTwinState,
  getTwins,
  telemetryReadingsThrough,
  type StoreEvent,
  type Store,
} from '../../../store/src';
import { stateDelta } from '../../../twin-core/src/messages/stateDocument';
import type { FeedEventName, FeedEvents, FeedItem } from './feedEvents';

/** Readings one telemetry event brings at most (the newest kept). */
const MAX_READINGS_PER_EVENT = 100;
/** Devices whose last announced reading a feed remembers (then it forgets all and starts again). */
const MAX_REMEMBERED_DEVICES = 100_000;

/** The feed's memory of each device's last reading announced, so that a telemetry event brings the readings since. */
export type TelemetryMemory = Map<string, number>;

type Payload = Record<string, unknown>;
const int = (value: unknown) => (Number.isSafeInteger(value) ? (value as number) : undefined);
const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/** The event names an outbox event kind becomes (a kind the API does not stream: none). */
export function feedNamesOf(kind: string): readonly FeedEventName[] {
  return (
    (
      {
        snapshot: ['snapshot'],
        telemetry: ['telemetry'],
        anchored: ['anchored'],
        alert: ['alert'],
        state: ['state'],
        chain: ['chain'],
        command: ['command'],
        'state-document': ['state-document'],
      } as Record<string, FeedEventName[]>
    )[kind] ?? []
  );
}

/**
 * Remembers a telemetry event's highest seq without reading it (no one listens): the next one read brings what came
 * after it.
 */
export function noteTelemetry(memory: TelemetryMemory, event: StoreEvent): void {
  const seq = int((event.payload as Payload | null)?.seq);
  if (event.deviceId === null || seq === undefined) return;
  if (memory.size >= MAX_REMEMBERED_DEVICES && !memory.has(event.deviceId)) memory.clear();
  memory.set(event.deviceId, Math.max(seq, memory.get(event.deviceId) ?? -1));
}

/**
 * Reads what an outbox event announces, by the ids it carries, as the feed's items (none when the row is gone: a
 * rewind, a prune, or a kind the API does not stream), with the twins they are about.
 *
 * @example
 * const items = await readFeedItems(index, event, new Map())
 */
export async function readFeedItems(index: Store, event: StoreEvent, memory: TelemetryMemory): Promise<FeedItem[]> {
  const data = await readData(index, event, memory);
  if (data.length === 0) return [];
  const deviceIds = data.flatMap(([name, value]) => deviceIdsOf(name, value));
  const twins = await getTwins(index, deviceIds);
  return data.map(([name, value]) => ({ name, data: value, seq: event.seq, twins } as FeedItem));
}

/** The DeviceIDs an item is about. */
export function deviceIdsOf(name: FeedEventName, data: FeedEvents[FeedEventName]): string[] {
  if (name === 'anchored') return (data as FeedEvents['anchored']).deviceIds;
  const { deviceId } = data as { deviceId?: string };
  return deviceId === undefined ? [] : [deviceId.toLowerCase()];
}

type Entry = [FeedEventName, FeedEvents[FeedEventName]];

async function readData(index: Store, event: StoreEvent, memory: TelemetryMemory): Promise<Entry[]> {
  const payload = (event.payload ?? {}) as Payload;
  const deviceId = event.deviceId;
  switch (event.kind) {
    case 'snapshot': {
      const seq = int(payload.seq);
      if (deviceId === null || seq === undefined) return [];
      const snapshot = await getSnapshot(index, deviceId, seq);
      if (snapshot === undefined) return [];
      const value: FeedEvents['snapshot'] = {
        deviceId: snapshot.deviceId,
        seq: snapshot.seq,
        collectedAt: snapshot.collectedAt,
        cid: snapshot.cid,
      };
      return [['snapshot', value]];
    }
    case 'telemetry': {
      const seq = int(payload.seq);
      if (deviceId === null || seq === undefined) return [];
      const after = memory.get(deviceId) ?? seq - 1;
      noteTelemetry(memory, event);
      if (seq <= after) return [];
      const readings = await telemetryReadingsThrough(index, deviceId, {
        afterSeq: after,
        throughSeq: seq,
        limit: MAX_READINGS_PER_EVENT,
      });
      return readings.map((reading) => [
        'telemetry',
        { deviceId, seq: reading.seq, ts: reading.ts, body: reading.body },
      ]);
    }
    case 'anchored': {
      const batchId = int(payload.batchId);
      if (batchId === undefined) return [];
      const batch = await getAnchoredBatch(index, batchId);
      if (batch === undefined || batch.status !== 'confirmed' || batch.root === null) return [];
      const confirmed = batch.confirmedAt === null ? undefined : Date.parse(batch.confirmedAt);
      const value: FeedEvents['anchored'] = {
        batchId: batch.id,
        root: batch.root,
        txHash: batch.txHash,
        block: batch.block,
        leafCount: batch.leafCount,
        deviceIds: batch.deviceIds,
        gasUsed: batch.gasUsed === null ? null : batch.gasUsed.toString(),
        secondsToAnchor:
          confirmed === undefined || batch.firstReceivedAt === null
            ? null
            : (confirmed - Date.parse(batch.firstReceivedAt)) / 1000,
      };
      return [['anchored', value]];
    }
    case 'alert': {
      const by = text(payload.by);
      const alertId = text(payload.alertId);
      if (by === undefined || alertId === undefined) return [];
      const alert = await getAlert(index, by, alertId);
      return alert === undefined ? [] : [['alert', alert]];
    }
    case 'state': {
      const block = int(payload.block);
      const logIndex = int(payload.logIndex);
      if (block === undefined || logIndex === undefined) return [];
      const change = await getStateChange(index, block, logIndex);
      if (change === undefined) return [];
      const value: FeedEvents['state'] = {
        deviceId: change.deviceId,
        previous: change.previous,
        new: change.new,
        by: change.by,
        reason: change.reason,
        block: change.block,
        tx: change.tx,
      };
      return [['state', value]];
    }
    case 'chain': {
      const block = int(payload.block);
      const logIndex = int(payload.logIndex);
      if (block === undefined || logIndex === undefined) return [];
      const chainEvent = await getChainEventSummary(index, block, logIndex);
      if (chainEvent === undefined) return [];
      const value: FeedEvents['chain'] = {
        name: chainEvent.name,
        ...(chainEvent.contract === 'TwinRegistry' ? { deviceId: chainEvent.subject.toLowerCase() } : {}),
        subject: chainEvent.subject,
        block: chainEvent.block,
        logIndex: chainEvent.logIndex,
        tx: chainEvent.tx,
      };
      return [['chain', value]];
    }
    case 'command': {
      const commandId = text(payload.commandId);
      if (deviceId === null || commandId === undefined) return [];
      const command = await getCommand(index, deviceId, commandId);
      return command === undefined ? [] : [['command', command]];
    }
    case 'state-document': {
      if (deviceId === null) return [];
      const state = await getTwinState(index, deviceId);
      return [
        ['state-document', { deviceId, ...state, delta: stateDelta(state.desired, state.reported ?? undefined) }],
      ];
    }
    default:
      return [];
  }
}
