import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { DeviceMessage } from '../../../twin-core/src/messages/envelope';
import { checkMessage, type CheckedMessage } from './checkMessage';
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

/**
 * The highest sequence number seen per device and kind, and the announced last-will number: the oracle's memory
 * (synchronous), or the store's ledger read per call (`readSequenceLedger(store)`, asynchronous).
 */
export type SequenceLedger = {
  last(deviceId: string, kind: DeviceMessage['kind']): number | undefined | Promise<number | undefined>;
  willSeq(deviceId: string): number | undefined | Promise<number | undefined>;
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

/** The verdict on one message: accepted (with its signed hash) or refused (with the reason). */
export type MessageVerdict =
  | {
      ok: true;
      message: DeviceMessage;
      signer: string;
      /** The message's signed hash (`hashDeviceMessage`): a snapshot's Merkle leaf commits to it. */
      hash: Hex;
      /** The stored bytes: RFC 8785 canonical JSON of the message as received, `sig` included. */
      canonical: string;
    }
  | { ok: false; rejection: Rejection };

const DEACTIVATED = 3;

/**
 * Judges one message from a device topic: size, JSON, schema, topic, signature, twin, signer, sequence, time, and for
 * a static document its DeviceID and hash. Never throws: a bad message is a {@link Rejection} naming the reason.
 * ({@link checkMessage} then {@link judgeCheckedMessage}; the oracle runs the first on verifier threads.)
 *
 * @example
 * const verdict = await validateMessage({ topic, payload, twins, ledger, maxPayloadBytes, maxClockSkewMs, now: Date.now() })
 * if (!verdict.ok) rejections.record(verdict.rejection)
 */
export async function validateMessage(parameters: ValidateMessageParameters): Promise<MessageVerdict> {
  const checked = checkMessage({
    topic: parameters.topic,
    payload: parameters.payload,
    maxPayloadBytes: parameters.maxPayloadBytes,
  });
  return checked.ok ? judgeCheckedMessage(checked, parameters) : checked;
}

/** Parameters of {@link judgeCheckedMessage}. */
export type JudgeCheckedMessageParameters = Pick<
  ValidateMessageParameters,
  'twins' | 'ledger' | 'maxClockSkewMs' | 'now'
>;

/**
 * Holds a checked message against what the oracle knows: the twin exists and is not deactivated, its device signer
 * signed it, its sequence number is new (or it is the announced last will), its time is within the skew, and a
 * static document is the twin's (DeviceID and minted hash). Messages of one device must be judged in arrival order.
 *
 * @example
 * const verdict = await judgeCheckedMessage(checked, { twins, ledger, maxClockSkewMs, now: receivedAt })
 */
export async function judgeCheckedMessage(
  checked: CheckedMessage,
  parameters: JudgeCheckedMessageParameters,
): Promise<MessageVerdict> {
  const { message, signer, hash, canonical } = checked;
  const { twins, ledger } = parameters;
  const reject = (reason: Rejection['reason'], detail: string, field: string) =>
    ({ ok: false, rejection: { reason, detail, deviceId: message.deviceId, field } } as const);

  const twin = await twins.twin(message.deviceId);
  if (twin === undefined) return reject('unknown-twin', 'no twin with this DeviceID on chain', 'deviceId');
  if (twin.state === DEACTIVATED) return reject('deactivated-twin', 'the twin is deactivated', 'deviceId');
  if (signer.toLowerCase() !== twin.deviceSigner.toLowerCase()) {
    return reject('wrong-signer', `signed by ${signer}, the twin's device signer is ${twin.deviceSigner}`, 'sig');
  }

  const last = await ledger.last(message.deviceId, message.kind);
  const isAnnouncedWill =
    message.kind === 'status' &&
    message.body.state === 'offline' &&
    (await ledger.willSeq(message.deviceId)) === message.seq;
  if (last !== undefined && message.seq <= last && !isAnnouncedWill) {
    return reject('replay', `seq ${message.seq} is not above ${last}`, 'seq');
  }
  const skew = Math.abs(parameters.now - Date.parse(message.ts));
  // The last will was signed at connect time and published by the broker whenever the device dropped.
  if (skew > parameters.maxClockSkewMs && !isAnnouncedWill) {
    return reject('stale', `message time ${message.ts} is ${Math.round(skew / 1000)} s from now`, 'ts');
  }
  if (checked.staticDocument !== undefined) {
    const { deviceId, hash: documentHash } = checked.staticDocument;
    if (deviceId !== message.deviceId)
      return reject('device-id-mismatch', `the document hashes to ${deviceId}`, 'body.identity');
    if (documentHash.toLowerCase() !== twin.staticHash.toLowerCase()) {
      return reject('static-hash-mismatch', `document hash ${documentHash}, minted ${twin.staticHash}`, 'body');
    }
  }
  return { ok: true, message, signer, hash, canonical };
}
