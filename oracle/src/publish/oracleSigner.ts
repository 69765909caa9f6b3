import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { NotificationMessage, TwinRecordMessage } from '../../../twin-core/src/messages/oracleMessage';
import type { Notification } from '../../../twin-core/src/messages/notification';
import type { TwinRecordBody } from '../../../twin-core/src/messages/oracleMessage';
import { privateKeyToAddress, type PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { signMessage } from '../../../twin-core/src/signing/messageSignature';

/** Signs what the oracle publishes with its key (a holder of ORACLE_ROLE), in the device messages' envelope. */
export type OracleSigner = {
  readonly address: Hex;
  notification(deviceId: Hex, body: Notification): NotificationMessage;
  twinRecord(deviceId: Hex, body: TwinRecordBody): TwinRecordMessage;
};

/**
 * The oracle's signer: `{ v: 1, kind, deviceId, seq, ts, body, sig }` with `sig` by the signature rule of device
 * messages (EIP-191 over the canonical JSON without `sig`). `seq` increases per instance: the clock in microseconds,
 * or one more than the last, so it keeps increasing across restarts.
 *
 * @example
 * const signer = createOracleSigner(config.oracleKey)
 * client.publish(deviceTopic(id, 'notifications'), JSON.stringify(signer.notification(id, event)))
 */
export function createOracleSigner(key: PrivateKey, now: () => number = Date.now): OracleSigner {
  let last = 0;
  const next = () => (last = Math.max(last + 1, now() * 1000));
  const envelope = (deviceId: Hex) => ({ v: 1 as const, deviceId, seq: next(), ts: new Date(now()).toISOString() });
  return {
    address: privateKeyToAddress(key),
    notification: (deviceId, body) => signMessage({ ...envelope(deviceId), kind: 'notifications' as const, body }, key),
    twinRecord: (deviceId, body) => signMessage({ ...envelope(deviceId), kind: 'twin' as const, body }, key),
  };
}
