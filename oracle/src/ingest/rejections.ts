/**
 * Why the oracle refuses a message, each counted separately, with what triggers it: the one list the spec's table,
 * the metrics and the dry-run check read. In the order the checks run; the first that fails names the message's
 * reason.
 */
export const REJECTION_TRIGGERS = {
  oversize: 'The payload is larger than `maxPayloadBytes` (default 1 MiB); refused before it is read.',
  'not-json':
    'The payload is not UTF-8, not JSON, or not I-JSON (a string or member name holds a lone surrogate, so the ' +
    'message has no RFC 8785 canonical form).',
  'invalid-schema':
    "The JSON does not match the kind's schema: a missing, mistyped or out-of-range field, or an unknown field " +
    '(schemas are strict: nothing is dropped, defaulted or transformed). `field` names the first bad field. For a ' +
    'static document, also an identity that is not in canonical form (MAC lower-case colon form, text trimmed, NFC).',
  'topic-mismatch':
    "The topic is not `twins/{deviceId}/{kind}` of the message's own `deviceId` and `kind` (`field`: which differs).",
  'bad-signature':
    '`sig` is not a canonical signature: `v` is not 27 or 28, `r` or `s` is zero or not below the curve order, `s` ' +
    'is in the upper half (EIP-2: the malleated twin of a valid signature), or `r` is not the x-coordinate of a ' +
    'curve point, so no public key recovers. Nothing about who signed can be told.',
  'unknown-twin': 'No twin with this DeviceID exists on chain (never minted, or minted too recently to be seen).',
  'deactivated-twin': 'The twin is Deactivated (final): its device is no longer heard.',
  'wrong-signer':
    "A public key recovers from `sig`, but its address is not the twin's `deviceSigner`. Any change to the signed " +
    'bytes gives this: another key, a field changed after signing, bytes hashed other than as RFC 8785 canonical ' +
    'JSON without `sig` (a number or string written differently, keys sorted otherwise). So does a flipped bit in ' +
    '`s` (unless `s` leaves the lower half), and in `r` about half the time (the other half, `r` is no curve ' +
    'point: `bad-signature`). ECDSA recovery cannot tell a damaged signature from a signature by someone else.',
  replay:
    'The sequence number is not above the highest one accepted from this device for this kind (a resend, a ' +
    'replay, or a counter that went back), unless it is the announced last will (`status` offline with `willSeq`).',
  stale:
    'The message time `ts` is more than `maxClockSkewSeconds` (default 300) from the time the oracle received it ' +
    '(the announced last will excepted).',
  'device-id-mismatch':
    'A static document whose identity hashes (ABI encoding, keccak256) to another DeviceID than the message says.',
  'static-hash-mismatch':
    "A static document whose keccak256 of its canonical JSON is not the twin's `staticHash` recorded at mint.",
  'not-security-entity':
    "An alert whose `by` is not an approved security entity (the alert's own checks are otherwise the same: " +
    "`bad-signature` when no key recovers, `wrong-signer` when it is not `by`'s).",
} as const;

/** Why the oracle refused a message; each is counted separately. */
export const REJECTION_REASONS = Object.keys(REJECTION_TRIGGERS) as [RejectionReason, ...RejectionReason[]];

export type RejectionReason = keyof typeof REJECTION_TRIGGERS;

/**
 * A refused message: the reason, a one-line detail, the device when it could be told, and the field at fault when
 * one is (dotted from the message's root, e.g. `body.network.extra`).
 */
export type Rejection = { reason: RejectionReason; detail: string; deviceId?: string | undefined; field?: string };

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
