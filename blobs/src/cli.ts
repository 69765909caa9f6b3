import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { BlobStoreError, messageOf } from './errors';
import { PEER_KEY_FILE, loadPeerIdentity } from './network/peerIdentity';
import { generateSwarmKey } from './network/swarmKey';

const USAGE = `Usage:
  npm run ipfs-key -- FILE    writes a new swarm key (the private IPFS network's pre-shared key) to FILE, mode 0600;
                              refuses to overwrite a file. Give the same file to every instance (IPFS_SWARM_KEY_FILE).
  npm run ipfs-key            prints a new swarm key instead
  npm run ipfs-id -- DIR      prints the peer ID of the embedded IPFS node whose store is DIR (the folder holding
                              blocks/ and ${PEER_KEY_FILE}), creating its identity the first time: put
                              /ip4/<host>/tcp/<port>/p2p/<that ID> in the other instances' IPFS_PEERS.
                              DIR is <ORACLE_DATA_DIR>/ipfs/ipfs, <API_DATA_DIR>/ipfs or <SECURITY_DATA_DIR>/ipfs.
`;

async function main(argv: string[]): Promise<number> {
  const [command, argument, ...rest] = argv;
  if (command === undefined || argv.includes('--help') || rest.length > 0) {
    process.stdout.write(USAGE);
    return command === undefined || rest.length > 0 ? 2 : 0;
  }
  try {
    if (command === 'key') {
      if (argument === undefined) {
        process.stdout.write(generateSwarmKey());
        return 0;
      }
      try {
        writeFileSync(argument, generateSwarmKey(), { mode: 0o600, flag: 'wx' });
      } catch (error) {
        throw new BlobStoreError(`Cannot write the swarm key to ${argument}.`, {
          details:
            (error as NodeJS.ErrnoException).code === 'EEXIST'
              ? 'the file exists: keep it, or remove it first'
              : messageOf(error),
        });
      }
      process.stdout.write(
        `wrote a new swarm key to ${resolve(argument)} (mode 0600): set IPFS_SWARM_KEY_FILE=${resolve(argument)}\n`,
      );
      return 0;
    }
    if (command === 'id' && argument !== undefined) {
      const identity = await loadPeerIdentity(argument);
      process.stdout.write(`${identity.peerId}\n`);
      process.stderr.write(`(identity in ${join(resolve(argument), PEER_KEY_FILE)})\n`);
      return 0;
    }
    process.stdout.write(USAGE);
    return 2;
  } catch (error) {
    process.stderr.write(`ipfs: ${error instanceof BaseError ? error.message : messageOf(error)}\n`);
    return error instanceof BaseError ? 2 : 1;
  }
}

assertNodeVersion(22, 'The IPFS tools');
main(process.argv.slice(2)).then((code) => process.exit(code));
