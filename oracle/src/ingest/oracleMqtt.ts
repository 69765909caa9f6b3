import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { brokerClientId } from '../../../twin-core/src/broker/brokerClientId';
import { brokerCredentials, type BrokerCredentials } from '../../../twin-core/src/broker/brokerCredentials';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { privateKeyToAddress } from '../../../twin-core/src/signing/deviceKey';
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
 * The oracle's broker credentials: principal `oracle.<address of the oracle key>`, a client ID bound to it with a
 * random suffix kept in the data directory (`MQTT_CLIENT_ID` overrides it), a signed token for the deployment's realm
 * (or `MQTT_PASSWORD`, an external broker's fixed password).
 */
export function oracleBrokerCredentials(config: OracleConfig, realm: string): BrokerCredentials {
  const principal = { kind: 'oracle' as const, id: privateKeyToAddress(config.oracleKey as Hex) };
  return brokerCredentials({
    principal,
    key: config.oracleKey as Hex,
    clientId: config.mqttClientId ?? brokerClientId(principal, config.dataDir),
    realm,
    // An external broker with its own credentials (Mosquitto from `broker-config`): used as given.
    ...(config.mqttUsername ? { username: config.mqttUsername } : {}),
    ...(config.mqttPassword ? { password: config.mqttPassword } : {}),
  });
}

/**
 * The oracle's MQTT client options: a persistent session (QoS 1 messages wait at the broker while the oracle
 * restarts), reconnection, the broker credentials ({@link oracleBrokerCredentials}) and TLS files from the config.
 *
 * @example
 * const credentials = oracleBrokerCredentials(config, brokerRealm(deployment))
 * const client = connect(config.mqttUrl, oracleMqttOptions(config, credentials))
 * keepBrokerCredentialsFresh(client, credentials)
 */
export function oracleMqttOptions(config: OracleConfig, credentials: BrokerCredentials): IClientOptions {
  return {
    protocolVersion: config.mqttProtocolVersion,
    clientId: credentials.clientId,
    username: credentials.username,
    password: credentials.password,
    clean: false,
    ...(config.mqttProtocolVersion === 5 ? { properties: { sessionExpiryInterval: 3_600 } } : {}),
    reconnectPeriod: 1_000,
    reconnectOnConnackError: true,
    ...(config.mqttCaFile ? { ca: readFileSync(config.mqttCaFile) } : {}),
    ...(config.mqttCertFile ? { cert: readFileSync(config.mqttCertFile) } : {}),
    ...(config.mqttKeyFile ? { key: readFileSync(config.mqttKeyFile) } : {}),
    rejectUnauthorized: config.mqttRejectUnauthorized,
  };
}
