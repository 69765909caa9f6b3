import { brokerClientId, brokerCredentials, brokerRealm, type BrokerPrincipal } from '../../twin-core/src/broker';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import type { Hex } from '../../twin-core/src/encoding/hex';

/**
 * mqtt.js login options of a principal for the deployment's broker: a bound client ID and a fresh signed token.
 *
 * @example
 * const client = connect(services.mqttUrl, brokerLogin(deploymentFile, { kind: 'device', id: deviceId }, key))
 */
export function brokerLogin(
  deploymentFile: string,
  principal: BrokerPrincipal,
  key: string,
  options: { clientId?: string; devices?: { deviceId: Hex; key: Hex }[]; ttlSeconds?: number } = {},
): { clientId: string; username: string; password: string } {
  const credentials = brokerCredentials({
    principal,
    key: key as Hex,
    clientId: options.clientId ?? brokerClientId(principal),
    realm: brokerRealm(readDeployment(deploymentFile)),
    ...(options.devices ? { devices: options.devices } : {}),
    ...(options.ttlSeconds !== undefined ? { ttlSeconds: options.ttlSeconds } : {}),
  });
  return { clientId: credentials.clientId, username: credentials.username, password: credentials.password };
}
