/** Per-client publish limits of the embedded broker (each scaled by the devices a client acts for). */
export type BrokerLimits = {
  /** Largest payload accepted, bytes (default 1,048,576: the oracle's `maxPayloadBytes`); larger: refused. */
  maxPayloadBytes: number;
  /** Sustained publishes per second per device (default 20); a service (oracle, API, security) counts as 100 devices. */
  messagesPerSecond: number;
  /** Sustained payload bytes per second per device (default 262,144). */
  bytesPerSecond: number;
  /** Seconds of the sustained rate a client may send at once (default 2). */
  burstSeconds: number;
  /**
   * Longest a publish is held back to keep a client at its rate, ms (default 2,000): the broker reads nothing more from
   * that client meanwhile (TCP pushes back). A client that would wait longer is disconnected.
   */
  maxDelayMs: number;
};

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxPayloadBytes: 1_048_576,
  messagesPerSecond: 20,
  bytesPerSecond: 262_144,
  burstSeconds: 2,
  maxDelayMs: 2_000,
};

/** What a publish gets from a {@link RateBucket}: go now, wait `delayMs`, or refuse. */
export type RateVerdict = { verdict: 'now' } | { verdict: 'wait'; delayMs: number } | { verdict: 'refuse'; delayMs: number };

/** A token bucket on messages and bytes, refilled continuously. */
export type RateBucket = { take(bytes: number): RateVerdict };

/**
 * A client's bucket: `scale` devices' worth of the limits' rates.
 *
 * @example
 * const bucket = createRateBucket(DEFAULT_BROKER_LIMITS, 1, Date.now)
 * bucket.take(payload.length) // { verdict: 'now' }
 */
export function createRateBucket(limits: BrokerLimits, scale: number, now: () => number): RateBucket {
  const messageRate = limits.messagesPerSecond * scale;
  const byteRate = limits.bytesPerSecond * scale;
  const messageCapacity = Math.max(1, messageRate * limits.burstSeconds);
  const byteCapacity = Math.max(limits.maxPayloadBytes, byteRate * limits.burstSeconds);
  let messages = messageCapacity;
  let bytes = byteCapacity;
  let last = now();
  return {
    take(size) {
      const at = now();
      const elapsed = Math.max(0, at - last) / 1000;
      last = at;
      messages = Math.min(messageCapacity, messages + elapsed * messageRate);
      bytes = Math.min(byteCapacity, bytes + elapsed * byteRate);
      const delayMs = Math.max(0, ((1 - messages) / messageRate) * 1000, ((size - bytes) / byteRate) * 1000);
      if (delayMs > limits.maxDelayMs) return { verdict: 'refuse', delayMs };
      messages -= 1;
      bytes -= size;
      return delayMs === 0 ? { verdict: 'now' } : { verdict: 'wait', delayMs: Math.ceil(delayMs) };
    },
  };
}
