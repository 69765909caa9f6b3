import { z } from 'zod';
import { ALERT_ACTIONS, ALERT_BEHAVIOURS } from './alert';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');
const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');
const count = z.number().int().nonnegative();

/** A twin's state as the mirror names it (the contract's `TwinState`: 0 Active … 4 Lost). */
export const TWIN_STATE_NAMES = ['active', 'suspended', 'unknown', 'deactivated', 'lost'] as const;

/**
 * A `TwinStateChanged` event of the TwinRegistry, once the oracle's chain mirror has it confirmed: who changed the
 * twin's state, from what to what, and why (the evidence's hash or CID), with where the event is on chain.
 */
export const stateChangedNotificationSchema = z
  .strictObject({
    contract: z.literal('TwinRegistry'),
    name: z.literal('TwinStateChanged'),
    deviceId: bytes32.describe('The DeviceID, as in the topic'),
    owner: address.describe("The twin's owner when the state changed"),
    by: address.describe(
      'Who changed it: a security entity, the owner (lost), the manufacturer or admin (deactivated)',
    ),
    previousState: z.enum(TWIN_STATE_NAMES),
    newState: z.enum(TWIN_STATE_NAMES),
    reason: z.string().describe("The event's reason: the evidence's hash or CID"),
    block: count,
    blockHash: bytes32,
    tx: bytes32,
    logIndex: count,
    notificationId: count.optional().describe("The notification's ID in the oracle's index (the API lists it)"),
  })
  .describe('A state change of the twin, from the chain (TwinRegistry `TwinStateChanged`)');

/** A security entity's alert about the twin, as the oracle relays it to the owner once it accepted the alert. */
export const securityAlertNotificationSchema = z
  .strictObject({
    kind: z.literal('security-alert'),
    deviceId: bytes32,
    owner: address.describe("The twin's owner"),
    payload: z.strictObject({
      alertId: z.string(),
      behaviour: z.enum(ALERT_BEHAVIOURS),
      score: z.number().min(0).max(1),
      status: z.enum(['open', 'closed']),
      action: z.enum(ALERT_ACTIONS),
      evidenceCid: z.string(),
      tx: bytes32.nullable(),
      window: z.strictObject({ from: z.iso.datetime(), to: z.iso.datetime() }),
      by: address.describe('The security entity that signed the alert'),
    }),
  })
  .describe('A security alert about the twin (new, or its status or action changed), relayed by the oracle');

/**
 * `twins/{deviceId}/notifications`: what the oracle tells the twin's owner, one of the two kinds. Not signed yet:
 * a subscriber trusts its broker for these, or checks them against the chain (the state change) and the signed alert
 * on `twins/{deviceId}/alerts`.
 */
export const notificationSchema = z.union([stateChangedNotificationSchema, securityAlertNotificationSchema]);
export type Notification = z.output<typeof notificationSchema>;
