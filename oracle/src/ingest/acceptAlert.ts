import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { alertMessageSchema, type AlertMessage } from '../../../twin-core/src/messages/alert';
import { parseDeviceTopic } from '../../../twin-core/src/messages/topics';
import { recoverMessageSigner } from '../../../twin-core/src/signing/messageSignature';
import {
  getEntity,
  getTwin,
  insertNotification,
  recordAlert,
  recordEvent,
  withTransaction,
  type Store,
} from '../../../store/src';
import type { Rejection } from './rejections';

/** The notification kind of a security alert. */
export const ALERT_NOTIFICATION_KIND = 'security-alert';

/** Parameters of {@link acceptAlert}. */
export type AcceptAlertParameters = {
  /** The shared index (PostgreSQL store). */
  index: Store;
  topic: string;
  payload: Buffer;
  maxPayloadBytes: number;
  now: number;
};

/** The verdict on an alert message, and the owner's notification when one was written. */
export type AcceptAlertResult =
  | { ok: true; message: AlertMessage; notification: { owner: string; payload: Record<string, unknown> } | undefined }
  | { ok: false; rejection: Rejection };

/**
 * Judges a security alert from `twins/{deviceId}/alerts` and indexes it: the schema, the topic, the signature,
 * which must recover the `by` address of an approved security entity (per the mirrored entity registry), and the
 * twin. A new alert, and a change of its status or action, notify the twin's owner. The alert, its notification and
 * its outbox event (`alert`, `{ by, alertId }`, for new, status, action and update changes) commit together. Resolves
 * to a refusal for a bad alert; rejects only when the store fails.
 *
 * @example
 * const verdict = await acceptAlert({ index, topic, payload, maxPayloadBytes, now: Date.now() })
 * if (!verdict.ok) rejections.record(verdict.rejection)
 */
export async function acceptAlert(parameters: AcceptAlertParameters): Promise<AcceptAlertResult> {
  const { index, topic, payload } = parameters;
  const topicParts = parseDeviceTopic(topic);
  const reject = (reason: Rejection['reason'], detail: string) =>
    ({ ok: false, rejection: { reason, detail, deviceId: topicParts?.deviceId } } as const);
  if (payload.length > parameters.maxPayloadBytes) {
    return reject('oversize', `${payload.length} bytes > ${parameters.maxPayloadBytes}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return reject('not-json', (error as Error).message.slice(0, 120));
  }
  const parsed = alertMessageSchema.safeParse(json);
  if (!parsed.success)
    return reject('invalid-schema', formatIssues(parsed.error.issues, 'alert').slice(0, 3).join('; '));
  // The strict schema has neither defaults nor transforms: the alert as received is what it accepted.
  const message = json as AlertMessage;
  if (topicParts?.kind !== 'alerts' || topicParts.deviceId !== message.deviceId) {
    return reject('topic-mismatch', `alert about ${message.deviceId} on topic ${topic}`);
  }
  let signer: string | undefined;
  try {
    signer = recoverMessageSigner(message);
  } catch (error) {
    return reject('not-json', `not I-JSON: ${(error as Error).message.slice(0, 120)}`);
  }
  if (signer === undefined) return reject('bad-signature', 'sig is not a canonical signature that recovers an address');
  if (signer.toLowerCase() !== message.by.toLowerCase()) {
    return reject('wrong-signer', `signed by ${signer}, not by ${message.by}`);
  }
  const entity = await getEntity(index, message.by);
  if (entity?.role !== 'security' || entity.status !== 'approved') {
    return reject('not-security-entity', `${message.by} is not an approved security entity`);
  }
  const twin = await getTwin(index, message.deviceId);
  if (twin === undefined) return reject('unknown-twin', 'no twin with this DeviceID in the index');
  const { alertId, behaviour, score, status, action, evidenceCid, tx, window } = message.body;
  const notificationPayload = { alertId, behaviour, score, status, action, evidenceCid, tx, window, by: message.by };
  const notified = await withTransaction(index, async (transaction) => {
    const change = await recordAlert(transaction, message, parameters.now);
    if (change === 'stale') return false;
    await recordEvent(transaction, { kind: 'alert', deviceId: message.deviceId, payload: { by: message.by, alertId } });
    if (change !== 'new' && change !== 'status' && change !== 'action') return false;
    await insertNotification(transaction, {
      owner: twin.owner,
      deviceId: message.deviceId,
      kind: ALERT_NOTIFICATION_KIND,
      payload: notificationPayload,
      createdAt: parameters.now,
    });
    return true;
  });
  if (!notified) return { ok: true, message, notification: undefined };
  return { ok: true, message, notification: { owner: twin.owner, payload: notificationPayload } };
}
