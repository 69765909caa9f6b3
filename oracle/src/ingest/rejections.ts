/** Why the oracle refused a message; each is counted separately. */
export const REJECTION_REASONS = [
  'oversize',
  'not-json',
  'invalid-schema',
  'topic-mismatch',
  'bad-signature',
  'unknown-twin',
  'deactivated-twin',
  'wrong-signer',
  'replay',
  'stale',
  'device-id-mismatch',
  'static-hash-mismatch',
  'not-security-entity',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A refused message: the reason, a one-line detail, and the device when it could be told. */
export type Rejection = { reason: RejectionReason; detail: string; deviceId?: string | undefined };

/**
 * Counts rejections by reason and logs each (device, reason) pair once, so a device sending garbage in a loop
 * cannot flood the log; the counters keep growing.
 *
 * @example
 * const rejections = new RejectionCounter((line) => log('warn', line))
 * rejections.record({ reason: 'replay', detail: 'seq 4 ≤ 9', deviceId })
 */
export class RejectionCounter {
  private readonly counts = new Map<RejectionReason, number>();
  private readonly logged = new Set<string>();

  constructor(private readonly log: (rejection: Rejection) => void = () => undefined) {}

  record(rejection: Rejection): void {
    this.counts.set(rejection.reason, (this.counts.get(rejection.reason) ?? 0) + 1);
    const key = `${rejection.deviceId ?? '-'}:${rejection.reason}`;
    if (this.logged.has(key)) return;
    if (this.logged.size > 100_000) this.logged.clear();
    this.logged.add(key);
    this.log(rejection);
  }

  /** Count of one reason, or every reason. */
  count(reason: RejectionReason): number {
    return this.counts.get(reason) ?? 0;
  }

  /** Every reason with its count (zeros included), for metrics. */
  snapshot(): Record<RejectionReason, number> {
    return Object.fromEntries(REJECTION_REASONS.map((reason) => [reason, this.count(reason)])) as Record<
      RejectionReason,
      number
    >;
  }
}
