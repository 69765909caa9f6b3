import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { brokerClientId } from '../../../twin-core/src/broker/brokerClientId';
import { brokerCredentials } from '../../../twin-core/src/broker/brokerCredentials';
import type { BrokerPrincipal } from '../../../twin-core/src/broker/principal';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { AgentConfig } from '../config';

/**
 * The agent's broker login: client ID (`mqttClientId`, else bound to the principal with a suffix kept in the data
 * directory), username and a password that is a fresh token signed by `key` for `mqttRealm` each time it is read, or
 * `mqttPassword` as given; neither without a realm or a password (an open broker).
 */
export function agentBrokerLogin(
  config: AgentConfig,
  principal: BrokerPrincipal,
  key: Hex,
  devices?: readonly { deviceId: Hex; key: Hex }[],
): { clientId: string; username?: string; password?: () => string } {
  const clientId =
    config.mqttClientId ?? brokerClientId(principal, principal.kind === 'device' ? config.dataDir : undefined);
  if (config.mqttRealm === undefined && config.mqttPassword === undefined) {
    return { clientId, ...(config.mqttUsername !== undefined ? { username: config.mqttUsername } : {}) };
  }
  const credentials = brokerCredentials({
    principal,
    key,
    clientId,
    realm: (config.mqttRealm ?? '').toLowerCase(),
    ...(devices ? { devices } : {}),
    ...(config.mqttUsername !== undefined ? { username: config.mqttUsername } : {}),
    ...(config.mqttPassword !== undefined ? { password: config.mqttPassword } : {}),
  });
  return { clientId, username: credentials.username, password: credentials.refresh };
}

/** MQTT client options from the configuration and the broker login: TLS files, client ID, username, keep-alive. */
export function mqttOptionsFromConfig(
  config: AgentConfig,
  login: { clientId: string; username?: string },
): IClientOptions {
  return {
    clientId: login.clientId,
    protocolVersion: config.mqttProtocolVersion,
    keepalive: config.mqttKeepaliveSeconds,
    // A persistent session keeps the commands (QoS 1) sent while the device is away, for when it is back.
    ...(config.mqttSessionHours > 0
      ? {
          clean: false,
          ...(config.mqttProtocolVersion === 5
            ? { properties: { sessionExpiryInterval: Math.round(config.mqttSessionHours * 3600) } }
            : {}),
        }
      : {}),
    ...(login.username !== undefined ? { username: login.username } : {}),
    ...(config.mqttCaFile !== undefined ? { ca: readFileSync(config.mqttCaFile) } : {}),
    ...(config.mqttCertFile !== undefined ? { cert: readFileSync(config.mqttCertFile) } : {}),
    ...(config.mqttKeyFile !== undefined ? { key: readFileSync(config.mqttKeyFile) } : {}),
    rejectUnauthorized: config.mqttRejectUnauthorized,
  };
}
