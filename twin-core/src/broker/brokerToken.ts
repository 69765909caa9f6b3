import { fromHex, type Hex } from '../encoding/hex';
import { privateKeyToAddress, type PrivateKey } from '../signing/deviceKey';
import { hashSignedMessage, signHash, signMessage } from '../signing/messageSignature';
import { BrokerAuthError, type BrokerPrincipal } from './principal';

/** Most device delegations one fleet token carries (an MQTT password is at most 65,535 bytes). */
export const MAX_FLEET_DEVICES_PER_TOKEN = 400;

/** How long a token is good for by default: 10 minutes. The broker checks it at CONNECT. */
export const DEFAULT_BROKER_TOKEN_TTL_SECONDS = 600;

/** Parameters of {@link createBrokerToken}. */
export type CreateBrokerTokenParameters = {
  principal: BrokerPrincipal;
  /** The principal's key: the device key for a device, the account key for every other kind. */
  key: PrivateKey;
  clientId: string;
  /** {@link brokerRealm} of the deployment. */
  realm: string;
  /** Seconds since the epoch after which the broker refuses the token. */
  expiresAt: number;
  /** A fleet's devices: each DeviceID with its device key, which signs the delegation to the fleet's key. */
  devices?: readonly { deviceId: Hex; key: PrivateKey }[];
};

/**
 * The delegation a device key signs for a fleet key: this fleet may publish as this device, in this realm, until exp.
 * Shared by {@link createBrokerToken} and `verifyBrokerToken`.
 */
export function brokerDelegation(deviceId: Hex, fleet: string, realm: string, exp: number) {
  return { v: 1, kind: 'broker-delegation', deviceId: deviceId.toLowerCase(), fleet: fleet.toLowerCase(), realm, exp };
}

/**
 * A broker credential: a short-lived token signed by the principal's key (EIP-191 over the RFC 8785 hash, as every
 * signed message of the registry), bound to the principal, the MQTT client ID, the realm and an expiry. It is the MQTT
 * password; {@link brokerUsername} is the username. A fleet's token carries, per device, the device key's signature
 * of a delegation to the fleet's key (so the token proves every device key it publishes for).
 *
 * @example
 * const password = createBrokerToken({ principal: { kind: 'device', id: deviceId }, key, clientId, realm,
 *   expiresAt: Math.floor(Date.now() / 1000) + 600 })
 */
export function createBrokerToken(parameters: CreateBrokerTokenParameters): string {
  const { principal, realm, expiresAt } = parameters;
  const signer = privateKeyToAddress(parameters.key);
  if (principal.kind !== 'device' && principal.id.toLowerCase() !== signer.toLowerCase()) {
    throw new BrokerAuthError('wrong-key', `The ${principal.kind} principal's ID is not the key's address.`, {
      details: `id ${principal.id}, key of ${signer}`,
    });
  }
  const devices = parameters.devices ?? [];
  if (devices.length > MAX_FLEET_DEVICES_PER_TOKEN) {
    throw new BrokerAuthError('too-many-devices', 'Too many devices for one fleet token.', {
      details: `${devices.length} > ${MAX_FLEET_DEVICES_PER_TOKEN}: open one connection per ${MAX_FLEET_DEVICES_PER_TOKEN}`,
    });
  }
  const token = {
    v: 1 as const,
    kind: 'broker-token' as const,
    principal: principal.kind,
    id: principal.id.toLowerCase(),
    clientId: parameters.clientId,
    realm,
    exp: expiresAt,
    ...(principal.kind === 'fleet'
      ? {
          devices: devices.map(({ deviceId, key }) => {
            const sig = signHash(hashSignedMessage(brokerDelegation(deviceId, signer, realm, expiresAt)), key);
            return Buffer.concat([fromHex(deviceId), fromHex(sig)]).toString('base64url');
          }),
        }
      : {}),
  };
  return JSON.stringify(signMessage(token, parameters.key));
}

