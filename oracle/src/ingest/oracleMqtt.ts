import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { DEVICE_MESSAGE_KINDS } from '../../../twin-core/src/messages/envelope';
import type { OracleConfig } from '../config';

/**
 * The MQTT subscriptions: `$share/<group>/twins/+/<kind>` per device kind (or plain topics without a group), and
 * `twins/+/alerts` unshared: every instance indexes every security alert for the API it serves.
 */
export function oracleSubscriptions(shareGroup: string): string[] {
  return [
    ...DEVICE_MESSAGE_KINDS.map((kind) => `${shareGroup === '' ? '' : `$share/${shareGroup}/`}twins/+/${kind}`),
    'twins/+/alerts',
  ];
}

/**
 * The oracle's MQTT client options: a persistent session (QoS 1 messages wait at the broker while the oracle
 * restarts), reconnection, credentials and TLS files from the config.
 *
 * @example
 * const client = connect(config.mqttUrl, oracleMqttOptions(config))
 */
export function oracleMqttOptions(config: OracleConfig): IClientOptions {
  return {
    protocolVersion: config.mqttProtocolVersion,
    clientId: config.mqttClientId ?? `twin-oracle-${config.mqttShareGroup}-1`,
    clean: false,
    ...(config.mqttProtocolVersion === 5 ? { properties: { sessionExpiryInterval: 3_600 } } : {}),
    reconnectPeriod: 1_000,
    reconnectOnConnackError: true,
    ...(config.mqttUsername ? { username: config.mqttUsername } : {}),
    ...(config.mqttPassword ? { password: config.mqttPassword } : {}),
    ...(config.mqttCaFile ? { ca: readFileSync(config.mqttCaFile) } : {}),
    ...(config.mqttCertFile ? { cert: readFileSync(config.mqttCertFile) } : {}),
    ...(config.mqttKeyFile ? { key: readFileSync(config.mqttKeyFile) } : {}),
    rejectUnauthorized: config.mqttRejectUnauthorized,
  };
}
