import type { Alert } from '../../analytics/src';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { alertMessageSchema, type AlertBody, type AlertMessage } from '../../twin-core/src/messages/alert';
import { signMessage } from '../../twin-core/src/signing/messageSignature';

/**
 * The signed `twins/{deviceId}/alerts` message of an analyzer alert, with the action taken and its transaction.
 *
 * @example
 * const message = alertMessage({ alert, status: 'open', evidenceCid, action: 'suspended', tx, by, key, now })
 */
export function alertMessage(parameters: {
  alert: Alert;
  status: AlertBody['status'];
  evidenceCid: string;
  action: AlertBody['action'];
  tx: string | null;
  by: string;
  key: Hex;
  now: number;
}): AlertMessage {
  const { alert } = parameters;
  const unsigned = {
    v: 1 as const,
    kind: 'alert' as const,
    deviceId: alert.deviceId,
    by: parameters.by,
    ts: new Date(parameters.now).toISOString(),
    body: {
      alertId: alert.id,
      behaviour: alert.behaviour,
      score: Math.min(1, Math.max(0, alert.score)),
      status: parameters.status,
      window: { from: new Date(alert.window.from).toISOString(), to: new Date(alert.window.to).toISOString() },
      evidenceCid: parameters.evidenceCid,
      action: parameters.action,
      tx: parameters.tx,
    },
  };
  return alertMessageSchema.parse(signMessage(unsigned, parameters.key));
}
