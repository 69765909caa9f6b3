import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { deviceMessageSchema, type DeviceMessage } from '../../../twin-core/src/messages/envelope';
import { parseDeviceTopic } from '../../../twin-core/src/messages/topics';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { hashDeviceMessage, recoverHashSigner } from '../../../twin-core/src/signing/messageSignature';
import { hashStaticDocument } from '../../../twin-core/src/static/staticDocument';
import type { Rejection } from './rejections';

/** What the oracle knows of a twin on chain, enough to judge its device's messages. */
export type TwinRecord = {
  deviceSigner: string;
  /** The contract's TwinState: 0 Active, 1 Suspended, 2 Unknown, 3 Deactivated, 4 Lost. */
  state: number;
  staticHash: string;
};

/** Where twins are looked up (the chain mirror, or the chain itself); undefined for a twin that does not exist. */
export type TwinDirectory = { twin(deviceId: string): Promise<TwinRecord | undefined> | TwinRecord | undefined };

/** The highest sequence number seen per device and kind, and the announced last-will number. */
export type SequenceLedger = {
  last(deviceId: string, kind: DeviceMessage['kind']): number | undefined;
  willSeq(deviceId: string): number | undefined;
};

/** Parameters of {@link validateMessage}. */
export type ValidateMessageParameters = {
  topic: string;
  payload: Buffer;
  twins: TwinDirectory;
  ledger: SequenceLedger;
  /** Largest payload accepted, bytes; larger ones are refused before parsing. */
  maxPayloadBytes: number;
  /** Largest difference between a message's time and now, ms. */
  maxClockSkewMs: number;
  now: number;
};

const DEACTIVATED = 3;

/**
 * Judges one message from a device topic: size, JSON, schema, topic, signature, twin, signer, sequence, time, and for
 * a static document its DeviceID and hash. Never throws: a bad message is a {@link Rejection} naming the reason.
 *
 * @example
 * const verdict = await validateMessage({ topic, payload, twins, ledger, maxPayloadBytes, maxClockSkewMs, now: Date.now() })
 * if (!verdict.ok) rejections.record(verdict.rejection)
 */
export async function validateMessage(
  parameters: ValidateMessageParameters,
): Promise<
  | {
      ok: true;
      message: DeviceMessage;
      signer: string;
      /** The message's signed hash ({@link hashDeviceMessage}): a snapshot's Merkle leaf commits to it. */
      hash: Hex;
    }
  | { ok: false; rejection: Rejection }
> {
  const { topic, payload, twins, ledger } = parameters;
  const topicParts = parseDeviceTopic(topic);
  const reject = (reason: Rejection['reason'], detail: string, deviceId: string | undefined = topicParts?.deviceId) =>
    ({ ok: false, rejection: { reason, detail, deviceId } } as const);

  if (payload.length > parameters.maxPayloadBytes) {
    return reject('oversize', `${payload.length} bytes > ${parameters.maxPayloadBytes}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
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

  const twin = await twins.twin(message.deviceId);
  if (twin === undefined) return reject('unknown-twin', 'no twin with this DeviceID on chain', message.deviceId);
  if (twin.state === DEACTIVATED) return reject('deactivated-twin', 'the twin is deactivated', message.deviceId);
  if (signer.toLowerCase() !== twin.deviceSigner.toLowerCase()) {
    return reject(
      'wrong-signer',
      `signed by ${signer}, the twin's device signer is ${twin.deviceSigner}`,
      message.deviceId,
    );
  }

  const last = ledger.last(message.deviceId, message.kind);
  const isAnnouncedWill =
    message.kind === 'status' && message.body.state === 'offline' && ledger.willSeq(message.deviceId) === message.seq;
  if (last !== undefined && message.seq <= last && !isAnnouncedWill) {
    return reject('replay', `seq ${message.seq} is not above ${last}`, message.deviceId);
  }
  const skew = Math.abs(parameters.now - Date.parse(message.ts));
  // The last will was signed at connect time and published by the broker whenever the device dropped.
  if (skew > parameters.maxClockSkewMs && !isAnnouncedWill) {
    return reject('stale', `message time ${message.ts} is ${Math.round(skew / 1000)} s from now`, message.deviceId);
  }
  if (message.kind === 'static') {
    const computed = formatDeviceId(computeDeviceId(message.body.identity));
    if (computed !== message.deviceId)
      return reject('device-id-mismatch', `the document hashes to ${computed}`, message.deviceId);
    const hash = hashStaticDocument(message.body);
    if (hash.toLowerCase() !== twin.staticHash.toLowerCase()) {
      return reject('static-hash-mismatch', `document hash ${hash}, minted ${twin.staticHash}`, message.deviceId);
    }
  }
  return { ok: true, message, signer, hash };
}
