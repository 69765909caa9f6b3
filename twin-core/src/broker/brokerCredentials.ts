import { brokerClientId } from './brokerClientId';
import {
  DEFAULT_BROKER_TOKEN_TTL_SECONDS,
  MAX_FLEET_DEVICES_PER_TOKEN,
  createBrokerToken,
  type CreateBrokerTokenParameters,
} from './brokerToken';
import { brokerUsername, type BrokerPrincipal } from './principal';
import { privateKeyToAddress, type PrivateKey } from '../signing/deviceKey';
import type { Hex } from '../encoding/hex';

/** Parameters of {@link brokerCredentials}. */
export type BrokerCredentialsParameters = {
  principal: BrokerPrincipal;
  key: PrivateKey;
  clientId: string;
  /** {@link brokerRealm} of the deployment. */
  realm: string;
  /** A fleet's devices and their keys. */
  devices?: readonly { deviceId: Hex; key: PrivateKey }[];
  /** Token lifetime, seconds (default 600). */
  ttlSeconds?: number;
  /**
   * A fixed password instead of a token: what an external broker with a password file (Mosquitto, from
   * `npx hardhat broker-config`) was given for this principal.
   */
  password?: string;
  /** A username instead of `<kind>.<id>` (a broker with its own user names; Mosquitto from `broker-config` uses the default). */
  username?: string;
  /** Seconds since the epoch (default: the clock). */
  now?: () => number;
};

/** MQTT CONNECT credentials, and how to make fresh ones for the next reconnect. */
export type BrokerCredentials = {
  clientId: string;
  username: string;
  password: string;
  /** A fresh password (a new token, or the fixed password). */
  refresh(): string;
};

/**
 * The one way every client of the registry's broker logs in: client ID, username `<kind>.<id>` and, as password, a
 * fresh signed token ({@link createBrokerToken}) or the fixed password an external broker was configured with. Use
 * {@link keepBrokerCredentialsFresh} on the client so every reconnect presents an unexpired token.
 *
 * @example
 * const credentials = brokerCredentials({ principal: { kind: 'oracle', id: address }, key, clientId, realm })
 * const client = connect(url, { clientId: credentials.clientId, username: credentials.username, password: credentials.password })
 * keepBrokerCredentialsFresh(client, credentials)
 */
export function brokerCredentials(parameters: BrokerCredentialsParameters): BrokerCredentials {
  const now = parameters.now ?? (() => Math.floor(Date.now() / 1000));
  const ttl = parameters.ttlSeconds ?? DEFAULT_BROKER_TOKEN_TTL_SECONDS;
  const refresh = () => {
    if (parameters.password !== undefined) return parameters.password;
    const token: CreateBrokerTokenParameters = {
      principal: parameters.principal,
      key: parameters.key,
      clientId: parameters.clientId,
      realm: parameters.realm,
      expiresAt: now() + ttl,
      ...(parameters.devices ? { devices: parameters.devices } : {}),
    };
    return createBrokerToken(token);
  };
  return {
    clientId: parameters.clientId,
    username: parameters.username ?? brokerUsername(parameters.principal),
    password: refresh(),
    refresh,
  };
}

/** The part of an mqtt.js client {@link keepBrokerCredentialsFresh} needs. */
export type RefreshableClient = {
  options: { password?: string | Buffer | undefined };
  on(event: 'reconnect', listener: () => void): unknown;
};

/**
 * Puts a fresh password in the client's options before each reconnect (mqtt.js builds the CONNECT packet from them),
 * so a token never expires under a long-running client.
 *
 * @example
 * keepBrokerCredentialsFresh(client, credentials)
 */
export function keepBrokerCredentialsFresh(client: RefreshableClient, credentials: BrokerCredentials): void {
  client.on('reconnect', () => {
    client.options.password = credentials.refresh();
  });
}

/** One connection of a fleet: its credentials and the devices its token proves. */
export type FleetConnection = { credentials: BrokerCredentials; devices: readonly { deviceId: Hex; key: PrivateKey }[] };

/**
 * A fleet's logins when it has more devices than one token carries ({@link MAX_FLEET_DEVICES_PER_TOKEN}): one
 * connection per slice of that many devices, each with its own client ID bound to the fleet principal (the key's
 * address) and a token proving exactly its slice. A publisher sends each device's messages on its slice's connection.
 *
 * @example
 * for (const { credentials, devices } of fleetBrokerCredentials({ key, realm, devices: all })) connect(url, credentials)
 */
export function fleetBrokerCredentials(parameters: {
  key: PrivateKey;
  realm: string;
  devices: readonly { deviceId: Hex; key: PrivateKey }[];
  ttlSeconds?: number;
  /** Devices per connection (default and most: {@link MAX_FLEET_DEVICES_PER_TOKEN}). */
  perConnection?: number;
}): FleetConnection[] {
  const principal = { kind: 'fleet' as const, id: privateKeyToAddress(parameters.key) };
  const size = Math.min(parameters.perConnection ?? MAX_FLEET_DEVICES_PER_TOKEN, MAX_FLEET_DEVICES_PER_TOKEN);
  const connections: FleetConnection[] = [];
  for (let from = 0; from < parameters.devices.length; from += size) {
    const devices = parameters.devices.slice(from, from + size);
    const credentials = brokerCredentials({
      principal,
      key: parameters.key,
      clientId: brokerClientId(principal),
      realm: parameters.realm,
      devices,
      ...(parameters.ttlSeconds !== undefined ? { ttlSeconds: parameters.ttlSeconds } : {}),
    });
    connections.push({ credentials, devices });
  }
  return connections;
}
