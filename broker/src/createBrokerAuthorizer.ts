import { mayPublish, maySubscribe, type AclSubject } from '../../twin-core/src/broker/brokerAcl';
import { verifyBrokerToken, type VerifiedBrokerToken } from '../../twin-core/src/broker/verifyBrokerToken';
import { API_ROLE_NAME, BROKER_PRINCIPAL_KINDS, BrokerAuthError } from '../../twin-core/src/broker/principal';
import type { BrokerDirectory, BrokerTwin } from './brokerDirectory';
import { createRateBucket, DEFAULT_BROKER_LIMITS, type BrokerLimits, type RateBucket } from './brokerLimits';

/** The part of an aedes client the authorizer reads. */
export type AedesClient = { id: string; close(): void };
type Packet = { topic: string; payload: Buffer | string; retain?: boolean };
type Subscription = { topic: string; qos: number };

/** The aedes hooks, as aedes calls them. */
export type AedesAuthHooks = {
  authenticate(
    client: AedesClient,
    username: string | undefined,
    password: Buffer | undefined,
    callback: (error: (Error & { returnCode?: number }) | null, success: boolean) => void,
  ): void;
  authorizePublish(client: AedesClient | null, packet: Packet, callback: (error?: Error | null) => void): void;
  authorizeSubscribe(
    client: AedesClient,
    subscription: Subscription,
    callback: (error: Error | null, subscription: Subscription | null) => void,
  ): void;
  /** Whether a published packet goes to a subscriber (null: not delivered): a dropped publish goes to none. */
  authorizeForward(client: AedesClient, packet: Packet): Packet | null;
};

/**
 * Where a dropped publish goes (MQTT 3.1.1 has no refusal for one publish but closing the connection): a `$` topic
 * nobody may subscribe to, and `authorizeForward` delivers nothing on it.
 */
export const DROPPED_PUBLISH_TOPIC = '$twin/dropped';

/** The broker's refusal counters (also on `GET /metrics` when the broker runs in the API's process). */
export type BrokerAuthStats = {
  connectionsAccepted: number;
  /** Refused connections by reason (`anonymous`, `expired`, `wrong-client-id`, `unknown-device`, `no-role`…). */
  connectionsRefused: Record<string, number>;
  /**
   * Refused publishes by reason: `acl`, `oversize`, `rate` (the client is disconnected), and `revoked-device`: a
   * fleet's publish for a device the chain no longer vouches for, dropped while the fleet's other devices flow.
   */
  publishesRefused: Record<string, number>;
  /** Publishes held back to keep their client at its rate. */
  publishesThrottled: number;
  subscriptionsRefused: number;
  /** Connected clients disconnected because the chain no longer vouches for them. */
  clientsRevoked: number;
  connected: number;
};

/** Parameters of {@link createBrokerAuthorizer}. */
export type BrokerAuthorizerParameters = {
  directory: BrokerDirectory;
  /** {@link brokerRealm} of the deployment this broker serves. */
  realm: string;
  limits?: Partial<BrokerLimits>;
  /** Anonymous clients may subscribe to the public topics (`ANONYMOUS_READ_TOPICS`); default false: refused. */
  allowAnonymousRead?: boolean;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
  log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
};

/** The broker's authentication and authorisation, and its per-client limits. */
export type BrokerAuthorizer = {
  hooks: AedesAuthHooks;
  /**
   * Checks every connected client against the directory again when its version moved (a mirror step), and
   * disconnects those the chain no longer vouches for. Run it at the mirror's interval.
   */
  recheck(): Promise<void>;
  stats(): BrokerAuthStats;
  /** Forgets a client that disconnected (aedes `clientDisconnect`). */
  forget(client: AedesClient): void;
};

/**
 * A connected client: what it proved (none when anonymous), what it may act for now, its rate bucket, and for a
 * fleet every device its token proved (those the chain revoked since are dropped, not a reason to disconnect).
 */
type Session = { token: VerifiedBrokerToken | undefined; subject: AclSubject; bucket: RateBucket; proved?: ReadonlySet<string> };

/** A service counts as this many devices for the rate limits. */
const SERVICE_SCALE = 100;

/**
 * The embedded broker's trust, from the chain: `authenticate` verifies the signed token ({@link verifyBrokerToken}) and
 * asks the directory whether the chain vouches for its signer (the twin's current device signer and a live twin; the
 * oracle and API roles; an approved security entity; for a fleet, each device's signer); the client ID must be the
 * one the token binds to the principal. `authorizePublish` and `authorizeSubscribe` apply `BROKER_ACL`; publishes
 * are held to the client's rate (held back up to `maxDelayMs`, then refused) and size. Every refusal is counted.
 *
 * @example
 * const authorizer = createBrokerAuthorizer({ directory, realm: brokerRealm(deployment) })
 * Object.assign(aedes, authorizer.hooks)
 */
export function createBrokerAuthorizer(parameters: BrokerAuthorizerParameters): BrokerAuthorizer {
  const { directory, realm } = parameters;
  const limits: BrokerLimits = { ...DEFAULT_BROKER_LIMITS, ...parameters.limits };
  const now = parameters.now ?? Date.now;
  const log = parameters.log ?? (() => undefined);
  const sessions = new Map<AedesClient, Session>();
  const stats: BrokerAuthStats = {
    connectionsAccepted: 0,
    connectionsRefused: {},
    publishesRefused: {},
    publishesThrottled: 0,
    subscriptionsRefused: 0,
    clientsRevoked: 0,
    connected: 0,
  };
  const count = (counter: Record<string, number>, reason: string) => (counter[reason] = (counter[reason] ?? 0) + 1);
  let checkedVersion: number | undefined;
  let checkedTwinsVersion: number | undefined;

  /** Throws BrokerAuthError when the chain does not vouch for the token's signers; the devices it may act for. */
  async function vouch(token: VerifiedBrokerToken): Promise<Set<string>> {
    const { principal, signer } = token;
    const liveDevice = async (deviceId: string, deviceSigner: string, known?: Map<string, BrokerTwin | undefined>) => {
      const twin = known !== undefined ? known.get(deviceId) : await directory.twin(deviceId);
      if (twin === undefined) throw new BrokerAuthError('unknown-device', 'No twin has this DeviceID.', { details: deviceId });
      if (twin.deviceSigner.toLowerCase() !== deviceSigner.toLowerCase()) {
        throw new BrokerAuthError('wrong-device-key', "The key is not the twin's device signer.", {
          details: `${deviceId}: signed by ${deviceSigner}, device signer ${twin.deviceSigner}`,
        });
      }
      if (twin.state === 'deactivated') {
        throw new BrokerAuthError('deactivated', 'The twin is deactivated.', { details: deviceId });
      }
    };
    switch (principal.kind) {
      case 'device':
        await liveDevice(principal.id, signer);
        return new Set([principal.id]);
      case 'fleet': {
        // A fleet acts for the devices the chain still vouches for; one revoked device does not cut the others off.
        // All its twins in one lookup (one statement with a mirror), each judged as a device's login would be.
        const known = directory.twins ? await directory.twins(token.devices.map((device) => device.deviceId)) : undefined;
        const devices = new Set<string>();
        let refusal: unknown;
        for (const device of token.devices) {
          try {
            await liveDevice(device.deviceId, device.signer, known);
            devices.add(device.deviceId.toLowerCase());
          } catch (error) {
            if (!(error instanceof BrokerAuthError)) throw error;
            refusal = error;
          }
        }
        if (devices.size === 0) throw refusal ?? new BrokerAuthError('no-devices', 'The fleet token proves no device.');
        return devices;
      }
      case 'oracle':
      case 'api': {
        const role = principal.kind === 'oracle' ? 'ORACLE_ROLE' : API_ROLE_NAME;
        if (!(await directory.hasRole(role, signer))) {
          throw new BrokerAuthError('no-role', `The account does not hold ${role}.`, { details: signer });
        }
        return new Set();
      }
      case 'security':
        if (!(await directory.isSecurityEntity(signer))) {
          throw new BrokerAuthError('not-approved', 'The account is not an approved security entity.', { details: signer });
        }
        return new Set();
    }
  }

  function refuse(reason: string, message: string, returnCode: number) {
    count(stats.connectionsRefused, reason);
    const error = new Error(message) as Error & { returnCode?: number };
    error.returnCode = returnCode;
    return error;
  }

  const hooks: AedesAuthHooks = {
    authenticate(client, username, password, callback) {
      if (!username && !password && parameters.allowAnonymousRead) {
        // A principal's client ID is its own even without a token: an anonymous reader taking it would replace the
        // principal's connection and its persistent session (the takeover this broker exists to stop).
        if (BROKER_PRINCIPAL_KINDS.some((kind) => client.id.startsWith(`${kind}-`))) {
          log('warn', 'broker connection refused', { clientId: client.id, reason: 'wrong-client-id' });
          return callback(refuse('wrong-client-id', "An anonymous client may not use a principal's client ID.", 4), false);
        }
        sessions.set(client, {
          token: undefined,
          subject: { kind: 'anonymous', devices: new Set() },
          bucket: createRateBucket(limits, 1, now),
        });
        stats.connectionsAccepted++;
        return callback(null, true);
      }
      let token: VerifiedBrokerToken;
      try {
        token = verifyBrokerToken({
          username,
          password: password?.toString('utf8'),
          clientId: client.id,
          realm,
          now: Math.floor(now() / 1000),
        });
      } catch (error) {
        const reason = error instanceof BrokerAuthError ? error.reason : 'malformed';
        log('warn', 'broker connection refused', { clientId: client.id, reason });
        return callback(refuse(reason, (error as Error).message, reason === 'anonymous' ? 5 : 4), false);
      }
      vouch(token).then(
        (devices) => {
          const scale = token.principal.kind === 'device' ? 1 : token.principal.kind === 'fleet' ? devices.size : SERVICE_SCALE;
          sessions.set(client, {
            token,
            subject: { kind: token.principal.kind, devices },
            bucket: createRateBucket(limits, Math.max(1, scale), now),
            ...(token.principal.kind === 'fleet'
              ? { proved: new Set(token.devices.map((device) => device.deviceId.toLowerCase())) }
              : {}),
          });
          stats.connectionsAccepted++;
          callback(null, true);
        },
        (error: unknown) => {
          const reason = error instanceof BrokerAuthError ? error.reason : 'chain-unavailable';
          log('warn', 'broker connection refused', { clientId: client.id, reason });
          callback(refuse(reason, (error as Error).message, reason === 'chain-unavailable' ? 3 : 5), false);
        },
      );
    },
    authorizePublish(client, packet, callback) {
      const session = client === null ? undefined : sessions.get(client);
      if (session?.proved !== undefined && !mayPublish(session.subject, packet.topic)) {
        // A fleet publishing for a device it proved but the chain has revoked since: drop that publish only.
        const proved = { kind: 'fleet' as const, devices: session.proved };
        if (mayPublish(proved, packet.topic)) {
          count(stats.publishesRefused, 'revoked-device');
          session.bucket.take(0);
          packet.topic = DROPPED_PUBLISH_TOPIC;
          packet.retain = false;
          return callback(null);
        }
      }
      if (session === undefined || !mayPublish(session.subject, packet.topic)) {
        count(stats.publishesRefused, 'acl');
        log('warn', 'publish refused', { clientId: client?.id, topic: packet.topic, reason: 'acl' });
        return callback(new Error(`not authorised to publish to ${packet.topic}`));
      }
      const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length;
      if (size > limits.maxPayloadBytes) {
        count(stats.publishesRefused, 'oversize');
        log('warn', 'publish refused', { clientId: client!.id, topic: packet.topic, reason: 'oversize', size });
        return callback(new Error(`payload of ${size} bytes exceeds ${limits.maxPayloadBytes}`));
      }
      const rate = session.bucket.take(size);
      if (rate.verdict === 'now') return callback(null);
      if (rate.verdict === 'wait') {
        stats.publishesThrottled++;
        setTimeout(() => callback(null), rate.delayMs);
        return;
      }
      count(stats.publishesRefused, 'rate');
      log('warn', 'publish refused', { clientId: client!.id, topic: packet.topic, reason: 'rate' });
      callback(new Error('publish rate exceeded'));
    },
    authorizeSubscribe(client, subscription, callback) {
      const session = sessions.get(client);
      if (session === undefined || !maySubscribe(session.subject, subscription.topic)) {
        stats.subscriptionsRefused++;
        log('warn', 'subscription refused', { clientId: client.id, topic: subscription.topic });
        return callback(null, null);
      }
      callback(null, subscription);
    },
    authorizeForward: (_client, packet) => (packet.topic === DROPPED_PUBLISH_TOPIC ? null : packet),
  };

  return {
    hooks,
    async recheck() {
      // Services (roles) again when the chain moved; devices and fleets only when a twin may have changed (with a
      // mirror: a registry event), so a block with no registry event costs nothing per device.
      const version = await directory.version();
      const twinsVersion = directory.twinsVersion ? await directory.twinsVersion() : version;
      const servicesDue = version !== checkedVersion;
      const devicesDue = twinsVersion !== checkedTwinsVersion;
      if (!servicesDue && !devicesDue) return;
      checkedVersion = version;
      checkedTwinsVersion = twinsVersion;
      for (const [client, session] of sessions) {
        if (session.token === undefined) continue;
        const isDevice = session.token.principal.kind === 'device' || session.token.principal.kind === 'fleet';
        if (isDevice ? !devicesDue : !servicesDue) continue;
        try {
          const devices = await vouch(session.token);
          session.subject = { kind: session.subject.kind, devices };
        } catch (error) {
          if (!(error instanceof BrokerAuthError)) continue;
          stats.clientsRevoked++;
          log('warn', 'client revoked', { clientId: client.id, reason: error.reason });
          sessions.delete(client);
          client.close();
        }
      }
    },
    stats: () => ({
      ...stats,
      connectionsRefused: { ...stats.connectionsRefused },
      publishesRefused: { ...stats.publishesRefused },
      connected: sessions.size,
    }),
    forget: (client) => void sessions.delete(client),
  };
}
