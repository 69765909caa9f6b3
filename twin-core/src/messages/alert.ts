import { z } from 'zod';
import { BEHAVIOURS } from './behaviour';

/** What a security alert can name: seed 000's abnormal behaviours, and what full snapshots reveal. */
export const ALERT_BEHAVIOURS = [
  ...BEHAVIOURS.filter((behaviour) => behaviour !== 'normal'),
  'new-listening-port',
  'unexpected-process',
] as const;
export type AlertBehaviour = (typeof ALERT_BEHAVIOURS)[number];

/** What the security entity did about an alert, under its policy. */
export const ALERT_ACTIONS = ['notified', 'suspended', 'reactivated'] as const;

/** The body of a security alert: one episode of one behaviour on one device. */
export const alertBodySchema = z.strictObject({
  /** Stable per episode: `{deviceId}:{behaviour}:{window start ms}`; each update and the close repeat it. */
  alertId: z.string().min(1).max(160),
  behaviour: z.enum(ALERT_BEHAVIOURS),
  /** The detector's score, 0 (normal) to 1 (certain). */
  score: z.number().min(0).max(1),
  /** `open` at the first detection, `closed` once the device has been quiet again. */
  status: z.enum(['open', 'closed']),
  window: z.strictObject({ from: z.iso.datetime(), to: z.iso.datetime() }),
  /** The evidence (observations against the device's baseline) on IPFS. */
  evidenceCid: z.string().min(1).max(128),
  action: z.enum(ALERT_ACTIONS),
  /** The transaction of the action on chain (a suspension or reactivation), when there was one. */
  tx: z
    .string()
    .regex(/^0x[0-9a-f]{64}$/)
    .nullable(),
});
export type AlertBody = z.output<typeof alertBodySchema>;

/**
 * `twins/{deviceId}/alerts`: a security entity's alert about a device, signed (EIP-191, like device messages) by the
 * entity's registered key; the oracle indexes it and notifies the twin's owner.
 */
export const alertMessageSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('alert'),
  deviceId: z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits'),
  /** The security entity's address (checksummed), which must recover from `sig`. */
  by: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
  ts: z.iso.datetime(),
  body: alertBodySchema,
  sig: z.string().regex(/^0x[0-9a-f]{130}$/, 'must be a 65-byte signature as 0x + 130 hex digits'),
});
export type AlertMessage = z.output<typeof alertMessageSchema>;
