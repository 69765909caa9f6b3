import { getSnapshot, loadSequenceLedger, sequenceStatus, storedReadings, type Store } from '../../../store/src';
import type { DeviceMessage } from '../../../twin-core/src/messages/envelope';
import type { CheckedMessage } from '../ingest/checkMessage';
import {
  judgeCheckedMessage,
  type JudgeCheckedMessageParameters,
  type MessageVerdict,
  type SequenceLedger,
} from '../ingest/validateMessage';

/** The replay check's fast path, and the judge that uses it. */
export type ReplayGuard = {
  /** What this instance judged (the store's ledger at start, then every message it accepted). */
  ledger: SequenceLedger;
  /**
   * Judges a checked message: against this instance's memory first. A message memory calls a replay is asked of the
   * store, which refuses it when it is one there too; otherwise (a late number filling one of the device's open gaps,
   * which heals a loss, or a number below one this instance judged and has not committed yet) it is judged again as
   * new. Whatever memory accepts is decided again by the store inside the insert's transaction
   * (`commitSnapshot`, `commitLedgerMessage`, `commitTelemetry`), where another instance's acceptance refuses it.
   */
  judge(checked: CheckedMessage, parameters: Omit<JudgeCheckedMessageParameters, 'ledger'>): Promise<MessageVerdict>;
};

/**
 * The replay guard of one oracle instance, its memory loaded from the store's ledger (every instance's rows).
 * `telemetryUnkept`: the index keeps no telemetry history (`telemetryHistory` 0), so telemetry replays are told by the
 * ledger and the gaps, not by the stored readings.
 *
 * @example
 * const guard = await createReplayGuard(index)
 * const verdict = await guard.judge(checked, { twins, maxClockSkewMs, now })
 */
export async function createReplayGuard(
  index: Store,
  options: { telemetryUnkept?: boolean } = {},
): Promise<ReplayGuard> {
  const lastSeq = new Map<string, number>();
  const wills = new Map<string, number>();
  for (const entry of await loadSequenceLedger(index)) {
    if (entry.kind === 'will') wills.set(entry.deviceId, entry.seq);
    else lastSeq.set(`${entry.deviceId}:${entry.kind}`, entry.seq);
  }
  const key = (deviceId: string, kind: string) => `${deviceId.toLowerCase()}:${kind}`;
  const ledger: SequenceLedger = {
    last: (deviceId, kind) => lastSeq.get(key(deviceId, kind)),
    willSeq: (deviceId) => wills.get(deviceId.toLowerCase()),
  };
  const remember = (message: DeviceMessage) => {
    const at = key(message.deviceId, message.kind);
    lastSeq.set(at, Math.max(message.seq, lastSeq.get(at) ?? -1));
    if (message.kind === 'status' && message.body.state === 'online' && message.body.willSeq !== null) {
      wills.set(message.deviceId.toLowerCase(), message.body.willSeq);
    }
  };
  /**
   * Whether the store holds the message memory calls a replay: a snapshot or a telemetry reading of that device and
   * number (whichever instance stored it), or for the kinds kept as ledger rows only (status, static) a number at or
   * below the ledger in no gap. Otherwise it is a late number (filling a gap, sent before the first the store saw,
   * or below one this instance judged and has not committed yet), judged again as new; its commit decides.
   */
  const storeHolds = async (message: DeviceMessage): Promise<boolean> => {
    const { deviceId, kind, seq } = message;
    if (kind === 'snapshot') return (await getSnapshot(index, deviceId, seq)) !== undefined;
    if (kind === 'telemetry' && !options.telemetryUnkept) return (await storedReadings(index, [deviceId], [seq]))[0]!;
    return (await sequenceStatus(index, { deviceId, kind, seq })).status === 'replay';
  };
  return {
    ledger,
    async judge(checked, parameters) {
      let verdict = await judgeCheckedMessage(checked, { ...parameters, ledger });
      if (!verdict.ok && verdict.rejection.reason === 'replay' && !(await storeHolds(checked.message))) {
        const unknown: SequenceLedger = { last: () => undefined, willSeq: ledger.willSeq };
        // A number in one of the device's open gaps is a message that was lost (a resend, a late delivery): taken
        // whatever its age, the gap being its replay protection, so an owner's resend heals an outage of any length.
        const { deviceId, kind, seq } = checked.message;
        const fillsGap = (await sequenceStatus(index, { deviceId, kind, seq })).status === 'fills-gap';
        verdict = await judgeCheckedMessage(checked, {
          ...parameters,
          ledger: unknown,
          ...(fillsGap ? { maxClockSkewMs: Number.POSITIVE_INFINITY } : {}),
        });
      }
      if (verdict.ok) remember(verdict.message);
      return verdict;
    },
  };
}
