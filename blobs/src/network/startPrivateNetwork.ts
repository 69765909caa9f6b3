import { lookup } from 'node:dns/promises';
import { identify, identifyPush } from '@libp2p/identify';
import type { PeerId } from '@libp2p/interface';
import { noise } from '@libp2p/noise';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { BlobStoreError, messageOf } from '../errors';
import type { ListenAddress, PeerAddress } from './addresses';
import type { PeerIdentity } from './peerIdentity';

/** A log line sink; never given the swarm key or the node's private key. */
export type NetworkLog = (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;

/**
 * Parameters of {@link startPrivateNetwork}.
 *
 * @example
 * const parameters: PrivateNetworkParameters = { identity, swarmKey, listen: [parseListenAddress('/ip4/127.0.0.1/tcp/4001')], peers: [] }
 */
export type PrivateNetworkParameters = {
  identity: PeerIdentity;
  /** The pre-shared key, in the 3-line swarm key format (`parseSwarmKey`). */
  swarmKey: Uint8Array;
  /** Addresses to accept connections on; none to dial out only. */
  listen: ListenAddress[];
  /** The other instances' nodes: the only addresses this node ever dials (its own peer ID is skipped). */
  peers: PeerAddress[];
  /** How often a peer that is not connected is dialled again, ms (default 2,000). */
  redialIntervalMs?: number;
  log?: NetworkLog;
};

/**
 * The state of the node's private network, for logs, health and tests.
 *
 * @example
 * network.status() // { peerId: '12D3KooW…', listening: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…'], peers: [{ …, connected: true }], refusedDials: 0 }
 */
export type PrivateNetworkStatus = {
  peerId: string;
  /** Bound addresses with the peer ID: what another instance puts in its `IPFS_PEERS`. */
  listening: string[];
  /** The configured peers, each with whether a connection to it is open now. */
  peers: { multiaddr: string; peerId: string; connected: boolean }[];
  /** Peers connected now, configured or not (a node with the key may dial in). */
  connections: number;
  /** Dials the connection gater refused (to an address that is not a configured peer's). */
  refusedDials: number;
};

/** The running libp2p node of a store on the private network. */
export type PrivateNetwork = {
  readonly libp2p: Libp2p;
  readonly peerId: string;
  /**
   * Starts dialling the configured peers (at once, then every `redialIntervalMs` while one is disconnected). Call it
   * once the protocols (bitswap) are registered: identify tells a peer what this node speaks when they connect.
   */
  startDialling(): void;
  status(): PrivateNetworkStatus;
  /** Stops redialling and closes every connection and listener. */
  stop(): Promise<void>;
};

const DIAL_TIMEOUT_MS = 5_000;

/** `/ip4/1.2.3.4/tcp/4001/p2p/12D3…` → `/ip4/1.2.3.4/tcp/4001`. */
function transportPart(address: Multiaddr | string): string {
  const text = address.toString();
  const at = text.indexOf('/p2p/');
  return at === -1 ? text : text.slice(0, at);
}

/**
 * Starts a libp2p node for a private IPFS network: TCP only, every connection first wrapped by the pre-shared key
 * (`@libp2p/pnet`: a node without the key cannot complete the handshake), then noise (authenticates the peer ID)
 * and yamux, with identify and identify-push (how bitswap learns which peers speak it). Nothing public: no DHT, no
 * mDNS, no bootstrap list, no relay, no UPnP/AutoNAT, no WebSockets/WebRTC, no HTTP gateway, no delegated routing.
 * A connection gater refuses every dial to an address that is not a configured peer's (and keeps the peer store
 * from holding any other), so the node dials only `peers`: from `startDialling()` on, and again every
 * `redialIntervalMs` while one is down.
 *
 * @throws BlobStoreError when a listen address cannot be bound
 * @example
 * const network = await startPrivateNetwork({ identity, swarmKey, listen, peers, log })
 * console.log(network.status().listening)
 */
export async function startPrivateNetwork(parameters: PrivateNetworkParameters): Promise<PrivateNetwork> {
  const { identity, log = () => undefined } = parameters;
  const peers = parameters.peers.filter((peer) => peer.peerId !== identity.peerId);
  const peerIds = new Set(peers.map((peer) => peer.peerId));
  /** Transport addresses (`/ip4/…/tcp/…`) a dial may go to: the configured IPs and what their DNS names resolve to. */
  const allowed = new Set(
    peers.filter((peer) => !peer.family.startsWith('dns')).map((peer) => transportPart(peer.multiaddr)),
  );
  let refusedDials = 0;
  /** Targets already logged (each once, at most 256: a misbehaving library cannot flood the log). */
  const logged = new Set<string>();
  const refuse = (what: string) => {
    refusedDials++;
    if (!logged.has(what) && logged.size < 256) {
      logged.add(what);
      log('warn', 'ipfs: refused a dial outside the configured peers', { to: what });
    }
    return true;
  };

  let libp2p: Libp2p;
  try {
    libp2p = await createLibp2p({
      privateKey: identity.privateKey,
      nodeInfo: { name: 'twin-registry-blobs', version: '1', userAgent: 'twin-registry-blobs' },
      addresses: { listen: parameters.listen.map((address) => address.multiaddr) },
      transports: [tcp()],
      connectionProtector: preSharedKey({ psk: parameters.swarmKey }),
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      peerRouters: [],
      contentRouters: [],
      services: { identify: identify(), identifyPush: identifyPush() },
      connectionManager: { maxConnections: 128, dialTimeout: DIAL_TIMEOUT_MS, reconnectRetries: 0 },
      connectionGater: {
        denyDialPeer: (peerId: PeerId) => (peerIds.has(peerId.toString()) ? false : refuse(peerId.toString())),
        denyDialMultiaddr: (address: Multiaddr) =>
          allowed.has(transportPart(address)) ? false : refuse(address.toString()),
        filterMultiaddrForPeer: (_peer: PeerId, address: Multiaddr) => allowed.has(transportPart(address)),
      },
    });
  } catch (error) {
    throw new BlobStoreError(
      `Cannot start the IPFS node on ${parameters.listen.map((a) => a.multiaddr).join(', ') || 'no address'}.`,
      {
        details: `${messageOf(error)} (each process on one machine needs its own IPFS_LISTEN port)`,
        cause: error,
      },
    );
  }

  const connected = (peer: PeerAddress) =>
    libp2p.getConnections().some((connection) => connection.remotePeer.toString() === peer.peerId);
  const failing = new Set<string>();
  const dialing = new Set<string>();
  async function dial(peer: PeerAddress): Promise<void> {
    if (dialing.has(peer.multiaddr) || connected(peer)) return;
    dialing.add(peer.multiaddr);
    try {
      let targets = [peer.multiaddr];
      if (peer.family.startsWith('dns')) {
        const family = peer.family === 'dns4' ? 4 : peer.family === 'dns6' ? 6 : 0;
        const found = await lookup(peer.host, { all: true, family });
        targets = found.map(
          ({ address, family: ipFamily }) => `/ip${ipFamily}/${address}/tcp/${peer.port}/p2p/${peer.peerId}`,
        );
        for (const target of targets) allowed.add(transportPart(target));
      }
      let lastError: unknown;
      for (const target of targets) {
        try {
          await libp2p.dial(multiaddr(target), { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS) });
          if (failing.delete(peer.multiaddr)) log('info', 'ipfs: peer reachable again', { peer: peer.multiaddr });
          return;
        } catch (error) {
          lastError = error;
        }
      }
      throw lastError ?? new Error('no address');
    } catch (error) {
      if (!failing.has(peer.multiaddr)) {
        failing.add(peer.multiaddr);
        log('warn', 'ipfs: cannot reach peer; retrying', { peer: peer.multiaddr, error: messageOf(error) });
      }
    } finally {
      dialing.delete(peer.multiaddr);
    }
  }
  let dialling = false;
  const dialAll = () => {
    if (dialling && libp2p.status === 'started') for (const peer of peers) void dial(peer);
  };
  libp2p.addEventListener('peer:connect', (event) =>
    log('info', 'ipfs: peer connected', { peer: event.detail.toString() }),
  );
  libp2p.addEventListener('peer:disconnect', (event) => {
    log('info', 'ipfs: peer disconnected', { peer: event.detail.toString() });
    dialAll();
  });
  let timer: NodeJS.Timeout | undefined;

  return {
    libp2p,
    peerId: identity.peerId,
    startDialling() {
      if (dialling) return;
      dialling = true;
      dialAll();
      timer = setInterval(dialAll, parameters.redialIntervalMs ?? 2_000);
      timer.unref();
    },
    status: () => ({
      peerId: identity.peerId,
      listening: libp2p.getMultiaddrs().map(String),
      peers: peers.map((peer) => ({ multiaddr: peer.multiaddr, peerId: peer.peerId, connected: connected(peer) })),
      connections: new Set(libp2p.getConnections().map((connection) => connection.remotePeer.toString())).size,
      refusedDials,
    }),
    async stop() {
      clearInterval(timer);
      await libp2p.stop();
    },
  };
}
