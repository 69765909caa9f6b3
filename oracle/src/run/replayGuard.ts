import { loadSequenceLedger, sequenceStatus, type Store } from '../../../store/src';
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
 *
 * @example
 * const guard = await createReplayGuard(index)
 * const verdict = await guard.judge(checked, { twins, maxClockSkewMs, now })
 */
export async function createReplayGuard(index: Store): Promise<ReplayGuard> {
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
  return {
    ledger,
    async judge(checked, parameters) {
      let verdict = await judgeCheckedMessage(checked, { ...parameters, ledger });
      if (!verdict.ok && verdict.rejection.reason === 'replay') {
        const { deviceId, kind, seq } = checked.message;
        const { status } = await sequenceStatus(index, { deviceId, kind, seq });
        // Not a replay in the store: a late number filling a gap, or one below a number this instance judged and
        // has not committed yet (telemetry waits for its batch). Its commit decides.
        if (status !== 'replay') {
          const unknown: SequenceLedger = { last: () => undefined, willSeq: ledger.willSeq };
          verdict = await judgeCheckedMessage(checked, { ...parameters, ledger: unknown });
        }
      }
      if (verdict.ok) remember(verdict.message);
      return verdict;
    },
  };
}
