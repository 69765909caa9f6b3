import { z } from 'zod';
import { toHex, type Hex } from '../encoding/hex';
import { hashSignedMessage, recoverHashSigner, recoverMessageSigner } from '../signing/messageSignature';
import { MAX_FLEET_DEVICES_PER_TOKEN, brokerDelegation } from './brokerToken';
import {
  BROKER_PRINCIPAL_KINDS,
  BrokerAuthError,
  brokerClientIdPrefix,
  brokerUsername,
  type BrokerPrincipal,
} from './principal';

// The broker's side of a token (zod): kept apart from createBrokerToken so the device, which only creates tokens,
// never loads zod (issue 17: the lean agent).

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
        hashSignedMessage(brokerDelegation(deviceId, principal.id, token.realm, token.exp)),
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
