import type { OutboxEntry } from '../transport/outbox';
import type { ResendBuffer } from '../transport/resendBuffer';

/** What a `resend` command answers: how many messages went out again, and the range the device still holds. */
export type ResendResult = {
  resent: number;
  /** The lowest sequence number still held for a resend, or null (none held). */
  heldFrom: number | null;
  /** The highest one, or null. */
  heldTo: number | null;
};

/**
 * The `resend` command's handler for one device: the messages of `fromSeq`–`toSeq` it still holds (snapshots,
 * telemetry, static documents, signed as first sent) queued again, in order, and what it holds. Numbers it never
 * held for resending (status, replies) or has forgotten are skipped: the answer's `heldFrom` tells the owner how far
 * back a resend can reach.
 *
 * @example
 * handlers.resend = resendHandler(kept, deviceId, (entry) => publisher.enqueue(entry))
 */
export function resendHandler(
  kept: ResendBuffer,
  deviceId: string,
  enqueue: (entry: OutboxEntry) => void,
): (args: { fromSeq: number; toSeq: number }) => ResendResult {
  return ({ fromSeq, toSeq }) => {
    const { entries, heldFrom, heldTo } = kept.range(deviceId, fromSeq, toSeq);
    for (const entry of entries) enqueue(entry);
    return { resent: entries.length, heldFrom, heldTo };
  };
}
