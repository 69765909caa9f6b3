import {
  recordEvents,
  recordTelemetryBatch,
  sequenceStatuses,
  storedReadings,
  withTransaction,
  type Store,
} from '../../../store/src';

/** One accepted telemetry message, as the batch records it. */
export type TelemetryReading = { deviceId: string; seq: number; ts: string; body: unknown };

/**
 * Records a telemetry batch stored on IPFS as `cid`, in one transaction: the devices' head rows locked (DeviceID
 * order), each reading judged by the store: one it holds already (same device and seq, whichever instance stored it)
 * is a replay, as is, when no history is kept (`keepReadings` 0), a number at or below the ledger in no gap; a late
 * number (filling a gap, or sent before the first one the store saw) is kept; the rest recorded (`recordTelemetryBatch`: readings,
 * latest readings, ledger and gaps) with one outbox event per device (`telemetry`, `{ seq }`: its highest number of
 * the batch, one multi-row insert). Resolves to the positions in `readings` refused as replays.
 *
 * @example
 * const { replays } = await commitTelemetry(index, { cid, readings })
 * for (const position of replays) refuse(replayOf(readings[position]))
 */
export function commitTelemetry(
  index: Store,
  batch: { cid: string; readings: readonly TelemetryReading[]; keepReadings?: number | undefined },
): Promise<{ replays: number[]; recorded: number }> {
  const { readings } = batch;
  return withTransaction(index, async (tx) => {
    const statuses = await sequenceStatuses(
      tx,
      'telemetry',
      readings.map((reading) => reading.deviceId),
      readings.map((reading) => reading.seq),
    );
    const stored = await storedReadings(
      tx,
      readings.map((reading) => reading.deviceId),
      readings.map((reading) => reading.seq),
    );
    const replays: number[] = [];
    const kept: TelemetryReading[] = [];
    const inBatch = new Set<string>();
    statuses.forEach((status, position) => {
      const reading = readings[position]!;
      const key = `${reading.deviceId.toLowerCase()}:${reading.seq}`;
      const replayed = stored[position] || inBatch.has(key) || (batch.keepReadings === 0 && status.status === 'replay');
      inBatch.add(key);
      if (replayed) replays.push(position);
      else kept.push(reading);
    });
    if (kept.length === 0) return { replays, recorded: 0 };
    await recordTelemetryBatch(tx, {
      cid: batch.cid,
      messages: kept,
      ...(batch.keepReadings !== undefined ? { keepReadings: batch.keepReadings } : {}),
    });
    const highest = new Map<string, number>();
    for (const reading of kept) {
      const key = reading.deviceId.toLowerCase();
      highest.set(key, Math.max(reading.seq, highest.get(key) ?? -1));
    }
    await recordEvents(
      tx,
      [...highest].map(([deviceId, seq]) => ({ kind: 'telemetry', deviceId, payload: { seq } })),
    );
    return { replays, recorded: kept.length };
  });
}
