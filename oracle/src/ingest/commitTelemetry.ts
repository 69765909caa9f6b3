import { recordEvents, recordTelemetryBatch, sequenceStatuses, withTransaction, type Store } from '../../../store/src';

/** One accepted telemetry message, as the batch records it. */
export type TelemetryReading = { deviceId: string; seq: number; ts: string; body: unknown };

/**
 * Records a telemetry batch stored on IPFS as `cid`, in one transaction: the devices' head rows locked (DeviceID
 * order), each reading's number judged by the store (a number another instance accepted, at or below the ledger and
 * in no gap, is a replay; a late number filling a gap is kept), the rest recorded (`recordTelemetryBatch`: readings,
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
    const replays: number[] = [];
    const kept: TelemetryReading[] = [];
    statuses.forEach((status, position) => {
      if (status.status === 'replay') replays.push(position);
      else kept.push(readings[position]!);
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
