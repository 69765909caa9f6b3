import type { OutboxEntry } from './outbox';

/** Parameters of {@link ResendBuffer}. */
export type ResendBufferParameters = {
  /** Bytes of payload kept at most, all devices together; the oldest message goes first (0 keeps none). */
  maxBytes: number;
  /** Messages kept at most, all devices together (default 100,000). */
  maxMessages?: number;
};

/** What {@link ResendBuffer.range} found. */
export type ResendRange = {
  /** The kept messages of the range, in sequence order. */
  entries: OutboxEntry[];
  /** The lowest sequence number the device still holds, or null when it holds none. */
  heldFrom: number | null;
  /** The highest it holds, or null. */
  heldTo: number | null;
};

type Kept = { deviceId: string; seq: number };

/**
 * The messages a device published lately, by sequence number, so that a `resend` command (signed by the owner) can
 * publish again those an oracle never indexed: the same signed payloads, so the oracle accepts each once, into the
 * sequence gap it left. In memory and bounded by bytes and count (the oldest forgotten first); the outbox, on disk,
 * already keeps what the broker has not acknowledged, so this covers what was delivered to the broker and lost after
 * it (a broker's dropped queue, an oracle killed before indexing).
 *
 * @example
 * const kept = new ResendBuffer({ maxBytes: 4 * 1024 * 1024 })
 * kept.record(deviceId, message.seq, channel.toEntry(message))
 * for (const entry of kept.range(deviceId, 120, 130).entries) publisher.enqueue(entry)
 */
export class ResendBuffer {
  private readonly maxBytes: number;
  private readonly maxMessages: number;
  private readonly devices = new Map<string, Map<number, OutboxEntry>>();
  /** Every kept message in the order recorded: what is forgotten first. */
  private readonly order: Kept[] = [];
  private head = 0;
  private bytes = 0;
  private forgottenTotal = 0;

  constructor(parameters: ResendBufferParameters) {
    if (!Number.isSafeInteger(parameters.maxBytes) || parameters.maxBytes < 0)
      throw new RangeError(`maxBytes: expected a whole number of bytes ≥ 0, got ${parameters.maxBytes}`);
    const maxMessages = parameters.maxMessages ?? 100_000;
    if (!Number.isSafeInteger(maxMessages) || maxMessages < 0)
      throw new RangeError(`maxMessages: expected a whole number ≥ 0, got ${maxMessages}`);
    this.maxBytes = parameters.maxBytes;
    this.maxMessages = maxMessages;
  }

  /** Keeps `entry` as the message `seq` of `deviceId` (again: the later one kept), forgetting the oldest beyond the bounds. */
  record(deviceId: string, seq: number, entry: OutboxEntry): void {
    const bytes = Buffer.byteLength(entry.payload);
    if (bytes > this.maxBytes || this.maxMessages === 0) return;
    const key = deviceId.toLowerCase();
    let kept = this.devices.get(key);
    if (kept === undefined) this.devices.set(key, (kept = new Map()));
    const previous = kept.get(seq);
    kept.set(seq, entry);
    this.bytes += bytes;
    // Recorded again (never for one device's numbers in practice): the entry replaced, its place in the order kept.
    if (previous !== undefined) this.bytes -= Buffer.byteLength(previous.payload);
    else this.order.push({ deviceId: key, seq });
    while (this.bytes > this.maxBytes || this.size > this.maxMessages) this.forgetOldest();
    if (this.head > 1_024 && this.head * 2 > this.order.length) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * The kept messages of `deviceId` from `fromSeq` to `toSeq` (inclusive, in order), and what the device still holds.
   * Sequence numbers it never kept (other kinds of message, forgotten ones) are simply absent.
   */
  range(deviceId: string, fromSeq: number, toSeq: number): ResendRange {
    const kept = this.devices.get(deviceId.toLowerCase());
    const entries: OutboxEntry[] = [];
    let heldFrom: number | null = null;
    let heldTo: number | null = null;
    if (kept !== undefined) {
      for (const seq of kept.keys()) {
        if (heldFrom === null || seq < heldFrom) heldFrom = seq;
        if (heldTo === null || seq > heldTo) heldTo = seq;
      }
      if (toSeq - fromSeq < kept.size) {
        for (let seq = fromSeq; seq <= toSeq; seq++) {
          const entry = kept.get(seq);
          if (entry !== undefined) entries.push(entry);
        }
      } else {
        const seqs = [...kept.keys()].filter((seq) => seq >= fromSeq && seq <= toSeq).sort((a, b) => a - b);
        for (const seq of seqs) entries.push(kept.get(seq)!);
      }
    }
    return { entries, heldFrom, heldTo };
  }

  /** Messages kept now, all devices. */
  get size(): number {
    return this.order.length - this.head;
  }

  /** Bytes of payload kept now. */
  get keptBytes(): number {
    return this.bytes;
  }

  /** Messages forgotten to stay within the bounds, since start. */
  get forgotten(): number {
    return this.forgottenTotal;
  }

  private forgetOldest(): void {
    const oldest = this.order[this.head++];
    if (oldest === undefined) return;
    const kept = this.devices.get(oldest.deviceId);
    const entry = kept?.get(oldest.seq);
    if (kept !== undefined && entry !== undefined) {
      kept.delete(oldest.seq);
      this.bytes -= Buffer.byteLength(entry.payload);
      if (kept.size === 0) this.devices.delete(oldest.deviceId);
    }
    this.forgottenTotal++;
  }
}
