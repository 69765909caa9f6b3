import { withBitswap } from '@helia/bitswap';
import type { Helia } from 'helia';
import type { HeliaNetworkOptions } from '../heliaBlobStore';
import { loadPeerIdentity } from './peerIdentity';
import { startPrivateNetwork, type PrivateNetwork } from './startPrivateNetwork';

/**
 * Puts a Helia node (`createHeliaNode`, not started) on the private network: starts its libp2p node
 * (identity from `<directory>/peer-key`) and adds bitswap as its only block broker. Helia gets no router (no DHT, no
 * delegated routing, no HTTP gateway): bitswap asks the connected peers, which are the configured ones and any node
 * holding the swarm key that dialled in.
 *
 * @example
 * const helia = createHeliaNode({ blockstore, datastore })
 * const network = await joinPrivateNetwork(helia, directory, options)
 * await helia.start()
 */
export async function joinPrivateNetwork(
  helia: Helia,
  directory: string,
  options: HeliaNetworkOptions,
): Promise<PrivateNetwork> {
  const identity = await loadPeerIdentity(directory);
  const network = await startPrivateNetwork({
    identity,
    swarmKey: options.swarmKey,
    listen: options.listen,
    peers: options.peers,
    ...(options.redialIntervalMs !== undefined ? { redialIntervalMs: options.redialIntervalMs } : {}),
    ...(options.log !== undefined ? { log: options.log } : {}),
  });
  // Bitswap reads its libp2p node from the Helia object, as `@helia/libp2p` would set it (that package's defaults
  // bring the DHT, mDNS, bootstrap, relay, UPnP, WebRTC…, none of which this network wants).
  Object.defineProperty(helia, 'libp2p', { value: network.libp2p, enumerable: true });
  withBitswap(helia as Helia & { libp2p: typeof network.libp2p });
  const listening = network.status().listening;
  options.log?.('info', 'ipfs: joined the private network', {
    peerId: network.peerId,
    listening,
    peers: options.peers.length,
  });
  return network;
}
