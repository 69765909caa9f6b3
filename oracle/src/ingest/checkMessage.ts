import type { Hex } from '../../../twin-core/src/encoding/hex';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { deviceMessageSchema, type DeviceMessage } from '../../../twin-core/src/messages/envelope';
import { hashDeviceMessage, recoverHashSigner } from '../../../twin-core/src/signing/messageSignature';
import { hashStaticDocument } from '../../../twin-core/src/static/staticDocument';
import { checkEnvelope, type CheckEnvelopeParameters, type RefusedMessage } from './checkEnvelope';
import type { Rejection } from './rejections';

export type { RefusedMessage } from './checkEnvelope';

/** A message that passed {@link checkMessage}: parsed, its signer recovered, what a static document hashes to. */
export type CheckedMessage = {
  ok: true;
  message: DeviceMessage;
  /** The address that signed it (still to compare with the twin's device signer). */
  signer: string;
  /** The message's signed hash ({@link hashDeviceMessage}): a snapshot's Merkle leaf commits to it. */
  hash: Hex;
  /** For a static document: the DeviceID its identity hashes to, and the document's hash. */
  staticDocument?: { deviceId: string; hash: string };
};

/** Parameters of {@link checkMessage}: the topic, the raw payload and the size limit. */
export type CheckMessageParameters = CheckEnvelopeParameters;

/**
 * The part of judging a device message that needs nothing but the message: the envelope ({@link checkEnvelope}:
 * size, JSON, envelope fields, topic), the whole schema, and the signature recovered to an address (plus, for a
 * static document, its DeviceID and hash). Pure and stateless, so it runs on the oracle's verifier threads;
 * `judgeCheckedMessage` then holds it against the twin and the ledger. Never throws.
 *
 * @example
 * const checked = checkMessage({ topic, payload, maxPayloadBytes: 1_048_576 })
 * if (!checked.ok) rejections.record(checked.rejection)
 */
export function checkMessage(parameters: CheckMessageParameters): CheckedMessage | RefusedMessage {
  const envelope = checkEnvelope(parameters);
  if (!envelope.ok) return envelope;
  const reject = (reason: Rejection['reason'], detail: string) =>
    ({ ok: false, rejection: { reason, detail, deviceId: envelope.deviceId } } as const);

  const parsed = deviceMessageSchema.safeParse(envelope.json);
  if (!parsed.success)
    return reject('invalid-schema', formatIssues(parsed.error.issues, 'message').slice(0, 3).join('; '));
  const message = parsed.data;
  const hash = hashDeviceMessage(message);
  const signer = recoverHashSigner(hash, message.sig);
  if (signer === undefined) return reject('bad-signature', 'the signature does not recover an address');
  if (message.kind !== 'static') return { ok: true, message, signer, hash };
  try {
    return {
      ok: true,
      message,
      signer,
      hash,
      staticDocument: {
        deviceId: formatDeviceId(computeDeviceId(message.body.identity)),
        hash: hashStaticDocument(message.body),
      },
    };
  } catch (error) {
    return reject('invalid-schema', (error as Error).message.slice(0, 200));
  }
}
