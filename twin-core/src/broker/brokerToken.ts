import { z } from 'zod';
import { fromHex, toHex, type Hex } from '../encoding/hex';
import { privateKeyToAddress, type PrivateKey } from '../signing/deviceKey';
import { hashSignedMessage, recoverHashSigner, recoverMessageSigner, signHash, signMessage } from '../signing/messageSignature';
import {
  BROKER_PRINCIPAL_KINDS,
  BrokerAuthError,
  brokerClientIdPrefix,
  brokerUsername,
  type BrokerPrincipal,
} from './principal';

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

const hex = (length: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${length}}$`));
const tokenSchema = z.strictObject({
  v: z.literal(1),
  kind: z.literal('broker-token'),
  principal: z.enum(BROKER_PRINCIPAL_KINDS),
  id: z.union([hex(40), hex(64)]),
  clientId: z.string().min(1).max(256),
  realm: z.string().min(1).max(128),
  exp: z.number().int().positive(),
  devices: z.array(z.string().regex(/^[A-Za-z0-9_-]{130}$/)).max(MAX_FLEET_DEVICES_PER_TOKEN).optional(),
  sig: hex(130),
});

/** The delegation a device key signs for a fleet key: this fleet may publish as this device, in this realm, until exp. */
function delegation(deviceId: Hex, fleet: string, realm: string, exp: number) {
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
            const sig = signHash(hashSignedMessage(delegation(deviceId, signer, realm, expiresAt)), key);
            return Buffer.concat([fromHex(deviceId), fromHex(sig)]).toString('base64url');
          }),
        }
      : {}),
  };
  return JSON.stringify(signMessage(token, parameters.key));
}

/** What {@link verifyBrokerToken} proved. */
export type VerifiedBrokerToken = {
  principal: BrokerPrincipal;
  /** The address that signed the token: the device signer for a device, the account for every other kind. */
  signer: Hex;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** A fleet's devices, each with the address that signed its delegation (to compare with its device signer). */
  devices: { deviceId: Hex; signer: Hex }[];
};

/**
 * Checks a broker credential offline: the token parses (strictly), is for this username, client ID and realm, is
 * unexpired, its signature is canonical and, for every kind but `device`, made by the principal's own address; a
 * fleet's delegations are each recovered. What the chain says of the signers (the twin's device signer, the roles)
 * is the caller's to check. Throws {@link BrokerAuthError} whose `reason` names the failure.
 *
 * @example
 * const { principal, signer } = verifyBrokerToken({ username, password, clientId: client.id, realm, now })
 */
export function verifyBrokerToken(parameters: {
  username: string | undefined;
  password: string | undefined;
  clientId: string;
  realm: string;
  /** Seconds since the epoch. */
  now: number;
}): VerifiedBrokerToken {
  if (!parameters.username || !parameters.password) throw new BrokerAuthError('anonymous', 'No credentials.');
  let raw: unknown;
  try {
    raw = JSON.parse(parameters.password);
  } catch {
    throw new BrokerAuthError('malformed', 'The password is not a broker token.');
  }
  const parsed = tokenSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new BrokerAuthError('malformed', 'The broker token is malformed.', {
      details: `${issue.path.join('.') || '(token)'}: ${issue.message}`,
    });
  }
  const token = parsed.data;
  const principal: BrokerPrincipal = { kind: token.principal, id: token.id.toLowerCase() };
  if (principal.kind === 'device' ? token.id.length !== 66 : token.id.length !== 42) {
    throw new BrokerAuthError('malformed', 'The broker token is malformed.', { details: `id: not a ${principal.kind} ID` });
  }
  if (brokerUsername(principal) !== parameters.username.toLowerCase()) {
    throw new BrokerAuthError('wrong-username', 'The token is for another username.', {
      details: `username ${parameters.username}, token for ${brokerUsername(principal)}`,
    });
  }
  if (token.clientId !== parameters.clientId || !parameters.clientId.startsWith(brokerClientIdPrefix(principal))) {
    throw new BrokerAuthError('wrong-client-id', 'The client ID is not bound to this principal.', {
      details: `client ID ${parameters.clientId}, expected ${brokerClientIdPrefix(principal)}… as signed in the token`,
    });
  }
  if (token.realm !== parameters.realm) {
    throw new BrokerAuthError('wrong-realm', 'The token is for another deployment.', {
      details: `realm ${token.realm}, this broker's is ${parameters.realm}`,
    });
  }
  if (token.exp <= parameters.now) {
    throw new BrokerAuthError('expired', 'The broker token has expired.', { details: `exp ${token.exp}, now ${parameters.now}` });
  }
  const signer = recoverMessageSigner(token);
  if (signer === undefined) throw new BrokerAuthError('bad-signature', 'The broker token signature is not canonical.');
  if (principal.kind !== 'device' && signer.toLowerCase() !== principal.id) {
    throw new BrokerAuthError('wrong-signer', 'The broker token is not signed by its principal.', {
      details: `signed by ${signer}, principal ${principal.id}`,
    });
  }
  const devices: VerifiedBrokerToken['devices'] = [];
  if (principal.kind === 'fleet') {
    for (const proof of token.devices ?? []) {
      const bytes = Buffer.from(proof, 'base64url');
      const deviceId = toHex(bytes.subarray(0, 32));
      const deviceSigner = recoverHashSigner(
        hashSignedMessage(delegation(deviceId, principal.id, token.realm, token.exp)),
        toHex(bytes.subarray(32)),
      );
      if (deviceSigner === undefined) {
        throw new BrokerAuthError('bad-signature', 'A device delegation signature is not canonical.', { details: deviceId });
      }
      devices.push({ deviceId, signer: deviceSigner });
    }
  }
  return { principal, signer, expiresAt: token.exp, devices };
}
