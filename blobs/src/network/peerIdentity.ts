import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { BlobStoreError, messageOf } from '../errors';

/**
 * The file, in a store's directory (`<dataDir>/ipfs`), holding its node's libp2p identity: an Ed25519 private key,
 * protobuf-encoded as libp2p and Kubo encode it, mode 0600.
 *
 * @example
 * join(directory, PEER_KEY_FILE) // '.data/api/ipfs/peer-key'
 */
export const PEER_KEY_FILE = 'peer-key';

/**
 * A node's identity: its private key (never logged) and the peer ID derived from it (`12D3Koo…`).
 *
 * @example
 * const { peerId } = await loadPeerIdentity('.data/api/ipfs')
 */
export type PeerIdentity = { privateKey: PrivateKey; peerId: string };

/**
 * Loads the node identity kept in `<directory>/peer-key`, creating it (Ed25519, mode 0600) the first time: a store
 * keeps its peer ID across restarts, so the other instances' `IPFS_PEERS` stay valid.
 *
 * @throws BlobStoreError when the file cannot be read or written, is readable by others, or is not a key
 * @example
 * const identity = await loadPeerIdentity(join(dataDir, 'ipfs'))
 * console.log(identity.peerId) // 12D3KooW…
 */
export async function loadPeerIdentity(directory: string): Promise<PeerIdentity> {
  const path = join(directory, PEER_KEY_FILE);
  let bytes: Uint8Array | undefined;
  try {
    const mode = statSync(path).mode;
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new BlobStoreError(
        `The node identity ${path} is readable by its group or others (mode ${(mode & 0o777)
          .toString(8)
          .padStart(4, '0')}).`,
        { details: `run: chmod 600 ${path}` },
      );
    }
    bytes = readFileSync(path);
  } catch (error) {
    if (error instanceof BlobStoreError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new BlobStoreError(`Cannot read the node identity ${path}.`, { details: messageOf(error), cause: error });
    }
  }
  if (bytes === undefined) {
    const privateKey = await generateKeyPair('Ed25519');
    try {
      mkdirSync(directory, { recursive: true });
      writeFileSync(path, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      throw new BlobStoreError(`Cannot write the node identity ${path}.`, { details: messageOf(error), cause: error });
    }
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
  }
  try {
    const privateKey = privateKeyFromProtobuf(bytes);
    return { privateKey, peerId: peerIdFromPrivateKey(privateKey).toString() };
  } catch (error) {
    throw new BlobStoreError(`The node identity ${path} is not a libp2p private key.`, {
      details: `${messageOf(
        error,
      )}; delete it to create a new identity (the other instances' IPFS_PEERS must then change)`,
    });
  }
}
