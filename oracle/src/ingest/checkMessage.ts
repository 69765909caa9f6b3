import type { Hex } from '../../../twin-core/src/encoding/hex';
import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { deviceMessageSchema, type DeviceMessage } from '../../../twin-core/src/messages/envelope';
import { canonicalMessage, recoverHashSigner } from '../../../twin-core/src/signing/messageSignature';
import { hashStaticDocument } from '../../../twin-core/src/static/staticDocument';
import { checkEnvelope, schemaRejection, type CheckEnvelopeParameters, type RefusedMessage } from './checkEnvelope';
import type { Rejection } from './rejections';

export type { RefusedMessage } from './checkEnvelope';

/** A message that passed {@link checkMessage}: parsed, its signer recovered, what a static document hashes to. */
export type CheckedMessage = {
  ok: true;
  /** The message exactly as received (parsed from its JSON; the strict schema checked it and changed nothing). */
  message: DeviceMessage;
  /** The address that signed it (still to compare with the twin's device signer). */
  signer: string;
  /** keccak256 of the signed bytes (`canonicalMessage`): what the signature covers, a snapshot's Merkle leaf too. */
  hash: Hex;
  /** The stored bytes: RFC 8785 canonical JSON of the message as received, `sig` included (UTF-8 when stored). */
  canonical: string;
  /** For a static document: the DeviceID its identity hashes to, and the document's hash. */
  staticDocument?: { deviceId: string; hash: string };
};

/** Parameters of {@link checkMessage}: the topic, the raw payload and the size limit. */
export type CheckMessageParameters = CheckEnvelopeParameters;

/**
 * The part of judging a device message that needs nothing but the message: the envelope ({@link checkEnvelope}:
 * size, UTF-8 and JSON, envelope fields, topic), the strict schema (an unknown field is refused and named, nothing
 * is defaulted or transformed), I-JSON (no lone surrogate), and the signature recovered to an address from keccak256
 * of the message's canonical JSON without `sig` (plus, for a static document, its DeviceID and hash). Pure and
 * stateless, so it runs on the oracle's verifier threads; `judgeCheckedMessage` then holds it against the twin and
 * the ledger. Never throws.
 *
 * @example
 * const checked = checkMessage({ topic, payload, maxPayloadBytes: 1_048_576 })
 * if (!checked.ok) rejections.record(checked.rejection)
 */
export function checkMessage(parameters: CheckMessageParameters): CheckedMessage | RefusedMessage {
  const envelope = checkEnvelope(parameters);
  if (!envelope.ok) return envelope;
  const reject = (reason: Rejection['reason'], detail: string, field?: string): RefusedMessage => ({
    ok: false,
    rejection: { reason, detail, deviceId: envelope.deviceId, ...(field === undefined ? {} : { field }) },
  });

  const parsed = deviceMessageSchema.safeParse(envelope.json);
  if (!parsed.success) return schemaRejection(parsed.error.issues, envelope.deviceId);
  // The strict schema has neither defaults nor transforms: what it accepted is the message as received.
  const message = envelope.json as DeviceMessage;
  let canonical: ReturnType<typeof canonicalMessage>;
  try {
    canonical = canonicalMessage(message);
  } catch (error) {
    // A lone surrogate (`"\ud800"`): valid JSON text, but not I-JSON, so it has no canonical form.
    return reject('not-json', `not I-JSON: ${(error as Error).message.slice(0, 120)}`);
  }
  const { hash, stored } = canonical;
  const signer = recoverHashSigner(hash, message.sig);
  if (signer === undefined) {
    return reject('bad-signature', 'sig is not a canonical signature that recovers an address', 'sig');
  }
  if (message.kind !== 'static') return { ok: true, message, signer, hash, canonical: stored };
  try {
    return {
      ok: true,
      message,
      signer,
      hash,
      canonical: stored,
      staticDocument: {
        deviceId: formatDeviceId(computeDeviceId(message.body.identity)),
        hash: hashStaticDocument(message.body),
      },
    };
  } catch (error) {
    return reject('invalid-schema', (error as Error).message.slice(0, 200), 'body.identity');
  }
}
