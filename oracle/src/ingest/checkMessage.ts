import type { Hex } from '../../../twin-core/src/encoding/hex';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { deviceMessageSchema, type DeviceMessage } from '../../../twin-core/src/messages/envelope';
import { parseDeviceTopic } from '../../../twin-core/src/messages/topics';
import { hashDeviceMessage, recoverHashSigner } from '../../../twin-core/src/signing/messageSignature';
import { hashStaticDocument } from '../../../twin-core/src/static/staticDocument';
import type { Rejection } from './rejections';

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

/** A refused message. */
export type RefusedMessage = { ok: false; rejection: Rejection };

/** Parameters of {@link checkMessage}. */
export type CheckMessageParameters = {
  topic: string;
  payload: Uint8Array;
  /** Largest payload accepted, bytes; larger ones are refused before parsing. */
  maxPayloadBytes: number;
};

/**
 * The part of judging a device message that needs nothing but the message: size, JSON, schema, topic, and the
 * signature recovered to an address (plus, for a static document, its DeviceID and hash). Pure and stateless, so it
 * runs on the oracle's verifier threads; `judgeCheckedMessage` then holds it against the twin and the ledger. Never
 * throws.
 *
 * @example
 * const checked = checkMessage({ topic, payload, maxPayloadBytes: 1_048_576 })
 * if (!checked.ok) rejections.record(checked.rejection)
 */
export function checkMessage(parameters: CheckMessageParameters): CheckedMessage | RefusedMessage {
  const { topic, payload } = parameters;
  const topicParts = parseDeviceTopic(topic);
  const reject = (reason: Rejection['reason'], detail: string, deviceId: string | undefined = topicParts?.deviceId) =>
    ({ ok: false, rejection: { reason, detail, deviceId } } as const);

  if (payload.length > parameters.maxPayloadBytes) {
    return reject('oversize', `${payload.length} bytes > ${parameters.maxPayloadBytes}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch (error) {
    return reject('not-json', (error as Error).message.slice(0, 120));
  }
  const parsed = deviceMessageSchema.safeParse(json);
  if (!parsed.success)
    return reject('invalid-schema', formatIssues(parsed.error.issues, 'message').slice(0, 3).join('; '));
  const message = parsed.data;
  if (topicParts === undefined || topicParts.deviceId !== message.deviceId || topicParts.kind !== message.kind) {
    return reject(
      'topic-mismatch',
      `${message.kind} message of ${message.deviceId} on topic ${topic}`,
      message.deviceId,
    );
  }
  const hash = hashDeviceMessage(message);
  const signer = recoverHashSigner(hash, message.sig);
  if (signer === undefined)
    return reject('bad-signature', 'the signature does not recover an address', message.deviceId);
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
    return reject('invalid-schema', (error as Error).message.slice(0, 200), message.deviceId);
  }
}
