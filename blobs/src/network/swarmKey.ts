import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { BlobStoreError, messageOf } from '../errors';

/**
 * The first two lines of a swarm key file, as Kubo and `@libp2p/pnet` write it (`/key/swarm/psk/1.0.0/`, then the
 * encoding of the third line).
 *
 * @example
 * const text = `${SWARM_KEY_HEADER}${hex}\n`
 */
export const SWARM_KEY_HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n';

/** 32 bytes, 64 hex digits: the pre-shared key of a libp2p private network (XSalsa20). */
const KEY_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * Parses a swarm key: the three-line file format of Kubo and `@libp2p/pnet` (`/key/swarm/psk/1.0.0/`, `/base16/`,
 * 64 hex digits), or the 64 hex digits alone (handier in an environment variable). Returns the three-line form
 * `@libp2p/pnet`'s `preSharedKey` takes. The error never quotes the key.
 *
 * @throws BlobStoreError naming what is wrong with the format
 * @example
 * const psk = parseSwarmKey(process.env.IPFS_SWARM_KEY!)
 * preSharedKey({ psk })
 */
export function parseSwarmKey(text: string): Uint8Array {
  const lines = text.trim().split(/\r?\n/);
  let hex: string;
  if (lines.length === 1) hex = lines[0]!.trim();
  else if (lines.length === 3) {
    if (lines[0]!.trim() !== '/key/swarm/psk/1.0.0/') {
      throw new BlobStoreError('Invalid swarm key: the first line must be /key/swarm/psk/1.0.0/.');
    }
    if (lines[1]!.trim() !== '/base16/') {
      throw new BlobStoreError('Invalid swarm key: the second line must be /base16/ (other encodings are not read).');
    }
    hex = lines[2]!.trim();
  } else {
    throw new BlobStoreError(
      `Invalid swarm key: expected 64 hex digits, or the 3-line swarm.key format, not ${lines.length} lines.`,
    );
  }
  if (!KEY_HEX.test(hex)) {
    throw new BlobStoreError(
      `Invalid swarm key: the key must be 64 hex digits (32 bytes), not ${hex.length} characters.`,
    );
  }
  return new TextEncoder().encode(`${SWARM_KEY_HEADER}${hex.toLowerCase()}`);
}

/**
 * Reads a swarm key file, refusing one that its group or other users may read (like ssh with a private key): the key
 * is the private network's only admission.
 *
 * @throws BlobStoreError when the file is missing, readable by others (with the `chmod` to run) or malformed
 * @example
 * const psk = readSwarmKeyFile('/etc/twin/swarm.key')
 */
export function readSwarmKeyFile(path: string): Uint8Array {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BlobStoreError(`Cannot read the swarm key file ${path}.`, { details: messageOf(error), cause: error });
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new BlobStoreError(
      `The swarm key file ${path} is readable by its group or others (mode ${(mode & 0o777)
        .toString(8)
        .padStart(4, '0')}).`,
      { details: `run: chmod 600 ${path}` },
    );
  }
  try {
    return parseSwarmKey(text);
  } catch (error) {
    throw new BlobStoreError(`${messageOf(error)} (in ${path})`);
  }
}

/**
 * A new random swarm key in the three-line file format (what `npm run ipfs-key` writes).
 *
 * @example
 * writeFileSync('swarm.key', generateSwarmKey(), { mode: 0o600, flag: 'wx' })
 */
export function generateSwarmKey(): string {
  return `${SWARM_KEY_HEADER}${randomBytes(32).toString('hex')}\n`;
}
