import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { deviceMessageSchema, type DeviceMessage } from '../../../twin-core/src/messages/envelope';
import { parseDeviceTopic } from '../../../twin-core/src/messages/topics';
import { canonicalMessage, recoverHashSigner } from '../../../twin-core/src/signing/messageSignature';
import { hashStaticDocument } from '../../../twin-core/src/static/staticDocument';
import type { Rejection } from './rejections';

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

/** A refused message. */
export type RefusedMessage = { ok: false; rejection: Rejection };

/** Parameters of {@link checkMessage}. */
export type CheckMessageParameters = {
  topic: string;
  payload: Uint8Array;
  /** Largest payload accepted, bytes; larger ones are refused before parsing. */
  maxPayloadBytes: number;
};

/** The field a schema issue is about, dotted from the message's root (`body.extra` for an unknown `extra`). */
function issueField(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!);
  return path.join('.');
}

/**
 * The part of judging a device message that needs nothing but the message: size, UTF-8 and JSON (I-JSON: no lone
 * surrogate), the strict schema (an unknown field is refused and named, nothing is defaulted or transformed), topic,
 * and the signature recovered to an address from keccak256 of the message's canonical JSON without `sig` (plus, for
 * a static document, its DeviceID and hash). Pure and stateless, so it runs on the oracle's verifier threads;
 * `judgeCheckedMessage` then holds it against the twin and the ledger. Never throws.
 *
 * @example
 * const checked = checkMessage({ topic, payload, maxPayloadBytes: 1_048_576 })
 * if (!checked.ok) rejections.record(checked.rejection)
 */
export function checkMessage(parameters: CheckMessageParameters): CheckedMessage | RefusedMessage {
  const { topic, payload } = parameters;
  const topicParts = parseDeviceTopic(topic);
  const reject = (
    reason: Rejection['reason'],
    detail: string,
    deviceId: string | undefined = topicParts?.deviceId,
    field?: string,
  ) => ({ ok: false, rejection: { reason, detail, deviceId, ...(field === undefined ? {} : { field }) } } as const);

  if (payload.length > parameters.maxPayloadBytes) {
    return reject('oversize', `${payload.length} bytes > ${parameters.maxPayloadBytes}`);
  }
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (!isUtf8(bytes)) return reject('not-json', 'the payload is not UTF-8');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return reject('not-json', (error as Error).message.slice(0, 120));
  }
  const parsed = deviceMessageSchema.safeParse(json);
  if (!parsed.success) {
    const [first] = parsed.error.issues;
    return reject(
      'invalid-schema',
      formatIssues(parsed.error.issues, 'message').slice(0, 3).join('; ').slice(0, 500),
      undefined,
      first === undefined ? undefined : issueField(first) || 'message',
    );
  }
  // The strict schema has neither defaults nor transforms: what it accepted is the message as received.
  const message = json as DeviceMessage;
  if (topicParts === undefined || topicParts.deviceId !== message.deviceId || topicParts.kind !== message.kind) {
    const field = topicParts === undefined ? undefined : topicParts.deviceId !== message.deviceId ? 'deviceId' : 'kind';
    return reject(
      'topic-mismatch',
      `${message.kind} message of ${message.deviceId} on topic ${topic}`,
      message.deviceId,
      field,
    );
  }
  let canonical: ReturnType<typeof canonicalMessage>;
  try {
    canonical = canonicalMessage(message);
  } catch (error) {
    // A lone surrogate (`"\ud800"`): valid JSON text, but not I-JSON, so it has no canonical form.
    return reject('not-json', `not I-JSON: ${(error as Error).message.slice(0, 120)}`, message.deviceId);
  }
  const { hash, stored } = canonical;
  const signer = recoverHashSigner(hash, message.sig);
  if (signer === undefined) {
    return reject(
      'bad-signature',
      'sig is not a canonical signature that recovers an address',
      message.deviceId,
      'sig',
    );
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
    return reject('invalid-schema', (error as Error).message.slice(0, 200), message.deviceId, 'body.identity');
  }
}
