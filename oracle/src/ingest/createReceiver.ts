import { checkEnvelope } from './checkEnvelope';
import type { Journal, JournalLog } from './journal';
import type { Rejection } from './rejections';

/** How often a held message tries again, ms. */
const RETRY_MS = 50;

/** Parameters of {@link createReceiver}. */
export type CreateReceiverParameters = {
  journal: Journal;
  /** Largest payload accepted, bytes. */
  maxPayloadBytes: number;
  /**
   * Payload bytes journaled but not yet judged and processed, at most: past it, acknowledgements wait (one message
   * is always let through, whatever its size).
   */
  maxQueuedBytes: number;
  /** A message refused by the envelope check (counted and recorded like every rejection). */
  refuse(rejection: Rejection, receivedAt: number): void;
  /** Judges and processes a journaled message (never rejects); its bytes count as queued until it settles. */
  process(offset: number, topic: string, payload: Buffer, receivedAt: number): Promise<void>;
  log: JournalLog;
};

/** The receive path's figures, for metrics. */
export type ReceiverStats = {
  /** Payload bytes journaled and not yet judged and processed. */
  queuedBytes: number;
  /** Messages whose acknowledgement waited (the journal full, or the queue), and whether one waits now. */
  held: number;
  holding: boolean;
  /** Held messages given up because their connection was replaced (the broker delivers them again). */
  abandoned: number;
};

/** The oracle's receive path for device messages. */
export type Receiver = {
  /**
   * Takes one message from the broker: refuses it at once (acknowledged, never journaled) when its envelope is not
   * a device message's; otherwise journals it, acknowledges it (`ack`) and hands it to `process`. When the journal
   * is full or too much waits for processing, the message is held, unacknowledged (mqtt.js reads nothing more from
   * that connection meanwhile, so the broker keeps the rest), and tried again every 50 ms; `current` tells whether
   * the connection that delivered it is still the client's (if not, it is dropped: the broker delivers it again).
   */
  receive(topic: string, payload: Buffer, receivedAt: number, ack: () => void, current: () => boolean): void;
  stats(): ReceiverStats;
  /** Stops retrying; a held message stays unacknowledged (the broker delivers it again). */
  close(): void;
};

type Held = { topic: string; payload: Buffer; receivedAt: number; ack: () => void; current: () => boolean };

/**
 * Creates the oracle's receive path: the cheap envelope check ({@link checkEnvelope}) before the disk, the journal
 * before the acknowledgement, and back-pressure through the broker when the journal or the processing queue is
 * full (logged once per episode, counted; never a silently dropped message).
 *
 * @example
 * const receiver = createReceiver({ journal, maxPayloadBytes, maxQueuedBytes: 64 << 20, refuse, process, log })
 * client.handleMessage = (packet, callback) => receiver.receive(packet.topic, packet.payload, Date.now(), callback, () => true)
 */
export function createReceiver(parameters: CreateReceiverParameters): Receiver {
  const { journal, maxPayloadBytes, maxQueuedBytes, log } = parameters;
  const waiting: Held[] = [];
  let queuedBytes = 0;
  let held = 0;
  let abandoned = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let holdReason: string | undefined;

  /** Journals and acknowledges a message if it fits now; why not otherwise. */
  const admit = (message: Held): string | undefined => {
    if (queuedBytes > 0 && queuedBytes + message.payload.length > maxQueuedBytes) return 'processing queue full';
    if (!journal.fits(message.topic, message.payload.length)) return 'journal full';
    let offset: number;
    try {
      offset = journal.appendNow(message.topic, message.payload, message.receivedAt);
    } catch (error) {
      return `journal append failed: ${(error as Error).message}`;
    }
    queuedBytes += message.payload.length;
    message.ack();
    const release = () => void (queuedBytes -= message.payload.length);
    parameters.process(offset, message.topic, message.payload, message.receivedAt).then(release, (error: Error) => {
      release();
      log('error', 'processing failed', { offset, error: error.message });
    });
    return undefined;
  };

  const retry = () => {
    timer = undefined;
    while (waiting.length > 0 && !closed) {
      const first = waiting[0]!;
      if (!first.current()) {
        waiting.shift();
        abandoned++;
        continue;
      }
      const reason = admit(first);
      if (reason !== undefined) {
        if (reason !== holdReason) log('warn', 'acknowledgements held', { reason, ...figures() });
        holdReason = reason;
        timer = setTimeout(retry, RETRY_MS);
        return;
      }
      waiting.shift();
    }
    if (holdReason !== undefined) log('info', 'acknowledgements resumed', figures());
    holdReason = undefined;
  };

  const figures = () => {
    const stats = journal.stats();
    return { journalBytes: stats.bytes, journalMaxBytes: stats.maxBytes, queuedBytes, maxQueuedBytes };
  };

  return {
    receive(topic, payload, receivedAt, ack, current) {
      if (closed) return;
      const envelope = checkEnvelope({ topic, payload, maxPayloadBytes });
      if (!envelope.ok) {
        parameters.refuse(envelope.rejection, receivedAt);
        return ack();
      }
      const message = { topic, payload, receivedAt, ack, current };
      if (waiting.length === 0 && admit(message) === undefined) return;
      waiting.push(message);
      held++;
      if (timer === undefined) retry();
    },
    stats: () => ({ queuedBytes, held, holding: waiting.length > 0, abandoned }),
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      waiting.length = 0;
    },
  };
}
