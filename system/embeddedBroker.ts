import { createServer, type Server, type Socket } from 'node:net';
import { JsonRpcProvider } from 'ethers';
import {
  createBrokerAuthorizer,
  createBrokerDirectory,
  type AedesAuthHooks,
  type AedesClient,
  type BrokerAuthorizerParameters,
  type BrokerAuthStats,
  type BrokerLimits,
} from '../broker/src';
import { brokerRealm } from '../twin-core/src/broker/principal';
import type { Deployment } from '../twin-core/src/deployment/deployment';
import type { Store } from '../store/src';

/** A running in-process MQTT broker. */
export type EmbeddedBroker = {
  url: string;
  port: number;
  /** The authoriser's counters (refusals by reason, throttled publishes); undefined without `auth`. */
  stats(): BrokerAuthStats | undefined;
  /** Checks every connected client against the chain again now (also runs every `recheckMs`). */
  recheck(): Promise<void>;
  stop(): Promise<void>;
};

/** Parameters of {@link startEmbeddedBroker}. */
export type EmbeddedBrokerParameters = {
  host: string;
  port: number;
  /**
   * Who may connect and do what, from the chain ({@link createBrokerAuthorizer}); without it every client may do
   * anything (tests of other parts only: `npm start` always passes it).
   */
  auth?: BrokerAuthorizerParameters & {
    /** How often connected clients are checked against the chain again, ms (default 1,000: the mirror's step). */
    recheckMs?: number;
  };
};

type Aedes = AedesAuthHooks & {
  handle: (socket: Socket) => void;
  close(callback: () => void): void;
  on(event: 'clientDisconnect', listener: (client: AedesClient) => void): void;
};

/**
 * Starts the embedded MQTT 3.1.1 broker (aedes) on `host:port`: what `npm start` runs when no `MQTT_URL` is given.
 * It has no MQTT 5 and no shared subscriptions: one oracle instance (protocol 4, unshared) uses it. With `auth`, every
 * client authenticates with a signed broker token and is held to the ACL and its rate.
 *
 * @example
 * const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 1883, auth: { directory, realm } })
 * await broker.stop()
 */
export async function startEmbeddedBroker(options: EmbeddedBrokerParameters): Promise<EmbeddedBroker> {
  const { Aedes } = require('aedes') as { Aedes: { createBroker(options: object): Promise<Aedes> } };
  // Client IDs are `<kind>-<id>-<suffix>` (up to 99 characters): aedes' default limit is MQTT 3.1.1's 23.
  const broker = await Aedes.createBroker({ maxClientsIdLength: 256 });
  const authorizer = options.auth === undefined ? undefined : createBrokerAuthorizer(options.auth);
  let timer: NodeJS.Timeout | undefined;
  if (authorizer !== undefined) {
    Object.assign(broker, authorizer.hooks);
    broker.on('clientDisconnect', (client) => authorizer.forget(client));
    const recheckMs = options.auth?.recheckMs ?? 1_000;
    const loop = () => {
      timer = setTimeout(() => {
        void authorizer
          .recheck()
          .catch((error: Error) => options.auth?.log?.('warn', 'broker recheck failed', { error: error.message }))
          .finally(() => timer !== undefined && loop());
      }, recheckMs);
    };
    loop();
  }
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://${options.host}:${port}`,
    port,
    stats: () => authorizer?.stats(),
    recheck: () => authorizer?.recheck() ?? Promise.resolve(),
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await closed;
    },
  };
}

/** Parameters of {@link startChainBackedBroker}. */
export type ChainBackedBrokerParameters = {
  host: string;
  port: number;
  rpcUrl: string;
  deployment: Deployment;
  /**
   * The shared index the chain mirror writes (the store), or a function giving it once it is open: twins are read
   * from it (`getTwin`), else from the chain.
   */
  index?: Store | (() => Store | undefined);
  limits?: Partial<BrokerLimits>;
  log?: BrokerAuthorizerParameters['log'];
};

/**
 * The embedded broker as `npm start` runs it: every client judged against the chain (its own JSON-RPC provider,
 * twins from the mirror when `index` gives one), for the deployment's realm. Stopping it also closes the provider.
 *
 * @example
 * const broker = await startChainBackedBroker({ host: '127.0.0.1', port: 1883, rpcUrl, deployment, index: store })
 */
export async function startChainBackedBroker(parameters: ChainBackedBrokerParameters): Promise<EmbeddedBroker> {
  const { deployment } = parameters;
  const provider = new JsonRpcProvider(parameters.rpcUrl, deployment.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  try {
    const broker = await startEmbeddedBroker({
      host: parameters.host,
      port: parameters.port,
      auth: {
        directory: createBrokerDirectory({
          provider,
          deployment,
          ...(parameters.index ? { index: parameters.index } : {}),
        }),
        realm: brokerRealm(deployment),
        ...(parameters.limits ? { limits: parameters.limits } : {}),
        ...(parameters.log ? { log: parameters.log } : {}),
      },
    });
    return { ...broker, stop: () => broker.stop().finally(() => provider.destroy()) };
  } catch (error) {
    provider.destroy();
    throw error;
  }
}
