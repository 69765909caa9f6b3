import { z } from 'zod';
import type { Hex } from '../encoding/hex';
import { notificationSchema, TWIN_STATE_NAMES } from './notification';
import { verifyOracleMessageWith, type OracleMessageKind, type OracleMessageVerdict } from './oracleRules';

// The message kinds and the verification's steps are in oracleRules.ts, zod-free for the device; re-exported here.
export { ORACLE_MESSAGE_KINDS, type OracleMessageKind, type OracleMessageRefusal } from './oracleRules';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');
const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/, 'must be 0x + 64 lower-case hex digits');

/**
 * The body of `twins/{deviceId}/twin` (retained): the twin as the oracle's chain mirror has it confirmed, for a
 * device that has no RPC endpoint of its own: who owns it (whose signed commands it obeys), its state, and at which
 * block that was so. A device accepts a record only from an oracle key pinned at provisioning and never one of an
 * older `block` than the last it accepted.
 */
export const twinRecordBodySchema = z.strictObject({
  owner: address,
  state: z.enum(TWIN_STATE_NAMES),
  deviceSigner: address,
  manufacturer: address,
  chainId: z.number().int().positive(),
  registry: address.describe('The TwinRegistry: the EIP-712 `verifyingContract` of commands'),
  block: z.number().int().nonnegative().describe('The last block that changed the twin, as mirrored'),
});
export type TwinRecordBody = z.output<typeof twinRecordBodySchema>;

function oracleEnvelope<kind extends OracleMessageKind, body extends z.ZodType>(kind: kind, body: body) {
  return z.strictObject({
    v: z.literal(1),
    kind: z.literal(kind),
    deviceId: bytes32,
    seq: z
      .number()
      .int()
      .nonnegative()
      .max(Number.MAX_SAFE_INTEGER)
      .describe('Increasing per oracle instance (milliseconds-based, survives restarts)'),
    ts: z.iso.datetime(),
    body,
    sig: z
      .string()
      .regex(/^0x[0-9a-f]{130}$/, 'must be a 65-byte signature as 0x + 130 lower-case hex digits')
      .describe(
        'EIP-191 signature by an oracle key (a holder of ORACLE_ROLE) over keccak256 of the RFC 8785 canonical JSON ' +
          'of the message without `sig`: the signature rule of device messages',
      ),
  });
}

/** `twins/{deviceId}/notifications`: an owner notification in the oracle's signed envelope. */
export const notificationMessageSchema = oracleEnvelope('notifications', notificationSchema).describe(
  'An owner notification, signed by an oracle key',
);
export type NotificationMessage = z.output<typeof notificationMessageSchema>;

/** `twins/{deviceId}/twin`, retained: the twin record, signed by an oracle key. */
export const twinRecordMessageSchema = oracleEnvelope('twin', twinRecordBodySchema).describe(
  'The twin record (owner, state), signed by an oracle key',
);
export type TwinRecordMessage = z.output<typeof twinRecordMessageSchema>;

/**
 * How a subscriber checks an oracle message: parse it strictly, recover the signer by the signature rule, and ask
 * whether that address holds ORACLE_ROLE (`EntityRegistry.hasRole(ORACLE_ROLE, signer)` on chain, or a list of
 * oracle keys pinned at provisioning). A forged notification fails here.
 *
 * @example
 * const verdict = await verifyOracleMessage(payload, notificationMessageSchema, (a) => registry.hasRole(ORACLE_ROLE, a))
 * if (verdict.ok) show(verdict.message.body)
 */
export async function verifyOracleMessage<schema extends typeof notificationMessageSchema | typeof twinRecordMessageSchema>(
  payload: string | Buffer,
  schema: schema,
  isOracle: (address: Hex) => boolean | Promise<boolean>,
): Promise<OracleMessageVerdict<z.output<schema>>> {
  return verifyOracleMessageWith(
    payload,
    (json) => {
      const parsed = schema.safeParse(json);
      if (parsed.success) return { ok: true, value: parsed.data as z.output<schema> };
      const issue = parsed.error.issues[0]!;
      return { ok: false, detail: `${issue.path.join('.') || 'message'}: ${issue.message}` };
    },
    isOracle,
  );
}
