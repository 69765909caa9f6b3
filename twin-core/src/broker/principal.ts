import { BaseError } from '../errors/BaseError';
import type { Hex } from '../encoding/hex';

/**
 * Who may connect to the broker, each proved by a key the chain vouches for:
 * - `device`: a twin's DeviceID, proved by the twin's current device signer;
 * - `fleet`: a process publishing for many devices (the simulator), proved by its own key and, per device, a
 *   delegation signed by that device's signer: it may do for each proved device what that device may, nothing more;
 * - `oracle`: a holder of `ORACLE_ROLE` on the entity registry;
 * - `api`: a holder of `API_ROLE` on the entity registry (granted by the admin, like `ORACLE_ROLE`);
 * - `security`: an approved security entity.
 */
export const BROKER_PRINCIPAL_KINDS = ['device', 'fleet', 'oracle', 'api', 'security'] as const;
export type BrokerPrincipalKind = (typeof BROKER_PRINCIPAL_KINDS)[number];

/** A principal: its kind and ID (a DeviceID for a device, the key's address for every other kind). */
export type BrokerPrincipal = { kind: BrokerPrincipalKind; id: string };

/** The role an `api` principal holds on the entity registry: `keccak256("API_ROLE")`. */
export const API_ROLE_NAME = 'API_ROLE';

/** A broker credential was refused or could not be made; `reason` is the counter it is counted under. */
export class BrokerAuthError extends BaseError {
  override name = 'BrokerAuthError';
  readonly reason: string;
  constructor(reason: string, shortMessage: string, parameters: { details?: string } = {}) {
    super(shortMessage, parameters);
    this.reason = reason;
  }
}

/**
 * The realm a credential is good for: one deployment, `<chainId>:<TwinRegistry address, lower case>`. A token made
 * for one deployment's broker is refused by another's.
 *
 * @example
 * brokerRealm(deployment) // '31337:0x5fbdb2315678afecb367f032d93f642f64180aa3'
 */
export function brokerRealm(deployment: { chainId: number; contracts: { TwinRegistry: string } }): string {
  return `${deployment.chainId}:${deployment.contracts.TwinRegistry.toLowerCase()}`;
}

/**
 * The MQTT username of a principal, `<kind>.<id>` (no colon: Mosquitto password files split at it) (the ID in lower case): what the broker's ACL names.
 *
 * @example
 * brokerUsername({ kind: "device", id: deviceId }) // "device.0x5f…"
 */
export function brokerUsername(principal: BrokerPrincipal): string {
  return `${principal.kind}.${principal.id.toLowerCase()}`;
}

/** The principal of a `<kind>.<id>` username, or undefined when it names none. */
export function parseBrokerUsername(username: string): BrokerPrincipal | undefined {
  const match = /^([a-z]+)\.(0x[0-9a-f]{40}|0x[0-9a-f]{64})$/.exec(username);
  if (match === null || !(BROKER_PRINCIPAL_KINDS as readonly string[]).includes(match[1]!)) return undefined;
  const kind = match[1] as BrokerPrincipalKind;
  const id = match[2] as Hex;
  if ((kind === 'device') !== (id.length === 66)) return undefined;
  return { kind, id };
}

/**
 * The client ID prefix of a principal, `<kind>-<id>-`: the broker refuses a client whose ID does not start with its
 * authenticated principal's prefix, so no principal can take over another's session.
 */
export function brokerClientIdPrefix(principal: BrokerPrincipal): string {
  return `${principal.kind}-${principal.id.toLowerCase()}-`;
}
