import { HeliaBlobStore, type BlobStore } from '../../../blobs/src';
import type { OracleLog } from '../run/types';

/**
 * Waits (at most `timeoutMs`) until an embedded node on the private network has a connection to one of its
 * configured peers, so that the rebuild's first fetches do not time out while it dials; logs when none answered (the
 * blobs then come from the local blockstore only). Returns at once for Kubo, an offline node or one without peers.
 *
 * @example
 * await awaitPeers(blobs, 15_000, log)
 */
export async function awaitPeers(blobs: BlobStore, timeoutMs: number, log: OracleLog): Promise<boolean> {
  if (!(blobs instanceof HeliaBlobStore)) return true;
  const connected = () => {
    const status = blobs.networkStatus();
    return status === undefined || status.peers.length === 0 || status.peers.some((peer) => peer.connected);
  };
  const deadline = Date.now() + timeoutMs;
  while (!connected() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  if (connected()) return true;
  log('warn', 'rebuild: no IPFS peer connected; blobs are read from the local blockstore only', {
    waitedMs: timeoutMs,
    blobs: blobs.describe(),
  });
  return false;
}
