import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { deviceEnvelopeSchema, type DeviceMessageKind } from '../../../twin-core/src/messages/envelope';
import { parseDeviceTopic } from '../../../twin-core/src/messages/topics';
import type { Rejection } from './rejections';

/** Bytes JSON allows around a value, and the first bytes of a value (object, array, string, number, literal). */
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const JSON_VALUE_START = new Set([...'{["-0123456789tfn'].map((character) => character.charCodeAt(0)));

/** A payload whose envelope passed {@link checkEnvelope}: its parsed JSON, and whose message it claims to be. */
export type CheckedEnvelope = {
  ok: true;
  /** The whole parsed payload (its body not checked yet). */
  json: unknown;
  deviceId: Hex;
  kind: DeviceMessageKind;
};

/** A payload refused by {@link checkEnvelope} (or by `checkMessage`, which starts with it). */
export type RefusedMessage = { ok: false; rejection: Rejection };

/** Parameters of {@link checkEnvelope}. */
export type CheckEnvelopeParameters = {
  topic: string;
  payload: Uint8Array;
  /** Largest payload accepted, bytes; larger ones are refused before parsing. */
  maxPayloadBytes: number;
};

/**
 * The field a schema issue is about, dotted from the message's root (`body.extra` for an unknown `extra`).
 *
 * @example
 * issueField(parsed.error.issues[0]) // 'body.network.extra'
 */
export function issueField(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) path.push(issue.keys[0]!);
  return path.join('.');
}

/**
 * A refusal for a schema failure: the first three issues as the detail, the first issue's field named.
 *
 * @example
 * if (!parsed.success) return schemaRejection(parsed.error.issues, deviceId)
 */
export function schemaRejection(issues: z.core.$ZodIssue[], deviceId: string | undefined): RefusedMessage {
  const [first] = issues;
  return {
    ok: false,
    rejection: {
      reason: 'invalid-schema',
      detail: formatIssues(issues, 'message').slice(0, 3).join('; ').slice(0, 500),
      deviceId,
      field: first === undefined ? 'message' : issueField(first) || 'message',
    },
  };
}

/**
 * The cheap part of judging a device message, which needs neither the chain nor a signature check: the size, UTF-8
 * and JSON, the envelope's fields (schema version, a device kind, the DeviceID, sequence number and time, an object
 * body, a signature of the right shape, nothing else) and the topic (`twins/{deviceId}/{kind}` of that very DeviceID
 * and kind). The oracle runs it on the receive path, before journaling, so what a stranger sends that is plainly not
 * a device message never reaches the disk; `checkMessage` starts with it. Never throws.
 *
 * @example
 * const envelope = checkEnvelope({ topic, payload, maxPayloadBytes: 1_048_576 })
 * if (!envelope.ok) rejections.record(envelope.rejection)
 */
export function checkEnvelope(parameters: CheckEnvelopeParameters): CheckedEnvelope | RefusedMessage {
  const { topic, payload } = parameters;
  const topicParts = parseDeviceTopic(topic);
  const reject = (
    reason: Rejection['reason'],
    detail: string,
    deviceId: string | undefined = topicParts?.deviceId,
    field?: string,
  ): RefusedMessage => ({
    ok: false,
    rejection: { reason, detail, deviceId, ...(field === undefined ? {} : { field }) },
  });

  if (payload.length > parameters.maxPayloadBytes) {
    return reject('oversize', `${payload.length} bytes > ${parameters.maxPayloadBytes}`);
  }
  // Binary junk is told from JSON by its first byte, without decoding a megabyte first.
  let start = 0;
  while (start < payload.length && JSON_WHITESPACE.has(payload[start]!)) start++;
  if (start === payload.length || !JSON_VALUE_START.has(payload[start]!)) {
    return reject(
      'not-json',
      start === payload.length
        ? 'empty payload'
        : `byte 0x${payload[start]!.toString(16)} at ${start} cannot start JSON`,
    );
  }
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (!isUtf8(bytes)) return reject('not-json', 'the payload is not UTF-8');
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return reject('not-json', (error as Error).message.slice(0, 120));
  }
  const envelope = deviceEnvelopeSchema.safeParse(json);
  if (!envelope.success) return schemaRejection(envelope.error.issues, topicParts?.deviceId);
  const { kind, deviceId } = envelope.data;
  if (topicParts === undefined || topicParts.deviceId !== deviceId || topicParts.kind !== kind) {
    const field = topicParts === undefined ? undefined : topicParts.deviceId !== deviceId ? 'deviceId' : 'kind';
    return reject('topic-mismatch', `${kind} message of ${deviceId} on topic ${topic.slice(0, 160)}`, deviceId, field);
  }
  return { ok: true, json, deviceId: deviceId as Hex, kind };
}
