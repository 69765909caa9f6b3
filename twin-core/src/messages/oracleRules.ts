import type { Hex } from '../encoding/hex';
import { recoverMessageSigner } from '../signing/messageSignature';

// How an oracle message is verified, without zod (issue 17): oracleMessage.ts checks the shape with its zod schemas,
// a device with its generated validators.

/** The message kinds the oracle publishes, one topic each: `twins/{deviceId}/{kind}`. */
export const ORACLE_MESSAGE_KINDS = ['notifications', 'twin'] as const;
export type OracleMessageKind = (typeof ORACLE_MESSAGE_KINDS)[number];

/** Why an oracle message was refused. */
export type OracleMessageRefusal = 'not-json' | 'invalid-message' | 'bad-signature' | 'not-an-oracle';

/** A shape check: the message, or its first issue as `path: message`. */
export type OracleMessageCheck<message> = (json: unknown) => { ok: true; value: message } | { ok: false; detail: string };

/** What {@link verifyOracleMessageWith} answers. */
export type OracleMessageVerdict<message> =
  | { ok: true; message: message; signer: Hex }
  | { ok: false; reason: OracleMessageRefusal; detail: string };

/**
 * How a subscriber checks an oracle message, with `check` for its shape: parse it strictly, recover the signer by the
 * signature rule, and ask whether that address holds ORACLE_ROLE (`EntityRegistry.hasRole(ORACLE_ROLE, signer)` on
 * chain, or a list of oracle keys pinned at provisioning). A forged notification fails here.
 *
 * @example
 * const verdict = await verifyOracleMessageWith(payload, checkTwinRecordMessage, (a) => pinned.has(a.toLowerCase()))
 */
export async function verifyOracleMessageWith<message extends { sig: string }>(
  payload: string | Buffer,
  check: OracleMessageCheck<message>,
  isOracle: (address: Hex) => boolean | Promise<boolean>,
): Promise<OracleMessageVerdict<message>> {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (error) {
    return { ok: false, reason: 'not-json', detail: (error as Error).message.slice(0, 200) };
  }
  const checked = check(json);
  if (!checked.ok) return { ok: false, reason: 'invalid-message', detail: checked.detail };
  const signer = recoverMessageSigner(checked.value);
  if (signer === undefined) return { ok: false, reason: 'bad-signature', detail: 'sig is not a canonical signature' };
  if (!(await isOracle(signer)))
    return { ok: false, reason: 'not-an-oracle', detail: `${signer} does not hold ORACLE_ROLE` };
  return { ok: true, message: checked.value, signer };
}
