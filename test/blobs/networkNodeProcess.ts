/**
 * One embedded IPFS node in its own process, for the private network tests: configured exactly as the oracle, API
 * and security service are (the `IPFS_*` variables through `loadConfig` and `ipfsConfigShape`), its data directory
 * in `BLOB_NODE_DATA_DIR`. Driven over IPC: `{ id, op, … }` → `{ id, result }` or `{ id, error: { name, message } }`.
 * Sends `{ type: 'ready', status }` once open, and `{ type: 'log', … }` for each network log line.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { z } from 'zod';
import {
  HeliaBlobStore,
  IPFS_CONFIG_ENV,
  IPFS_CONFIG_SECRETS,
  checkIpfsConfig,
  createBlobStore,
  ipfsConfigOf,
  ipfsConfigShape,
} from '../../blobs/src';
import { loadConfig } from '../../twin-core/src/config/loadConfig';

/** A socket of this process, from /proc/net: what the tests check the node dials and binds. */
export type SocketRow = { protocol: string; local: string; remote: string; state: string };

/** Every TCP and UDP socket this process holds (matched by inode from /proc/self/fd against /proc/self/net/*). */
function sockets(): SocketRow[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const states: Record<string, string> = {
    '01': 'ESTABLISHED',
    '02': 'SYN_SENT',
    '0A': 'LISTEN',
    '06': 'TIME_WAIT',
    '07': 'CLOSE',
  };
  const address = (hex: string, v6: boolean) => {
    const [ip, port] = hex.split(':') as [string, string];
    let host: string;
    if (!v6) host = Buffer.from(ip, 'hex').reverse().join('.');
    else {
      const words = ip.match(/.{8}/g)!.map((word) => Buffer.from(word, 'hex').reverse().toString('hex'));
      host = words.join('').match(/.{4}/g)!.join(':');
    }
    return `${host}:${parseInt(port, 16)}`;
  };
  const rows: SocketRow[] = [];
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const lines = readFileSync(`/proc/self/net/${protocol}`, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      if (!inodes.has(fields[9]!)) continue;
      const v6 = protocol.endsWith('6');
      rows.push({
        protocol,
        local: address(fields[1]!, v6),
        remote: address(fields[2]!, v6),
        state: states[fields[3]!] ?? fields[3]!,
      });
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const send = (message: unknown) => process.send!(message);
  const config = loadConfig({
    schema: z.object(ipfsConfigShape).superRefine(checkIpfsConfig),
    env: IPFS_CONFIG_ENV,
    secrets: IPFS_CONFIG_SECRETS,
    source: 'test node configuration',
  });
  const store = (await createBlobStore({
    ...ipfsConfigOf(config),
    dataDir: process.env.BLOB_NODE_DATA_DIR!,
    log: (level, message, fields) => send({ type: 'log', level, message, fields }),
  })) as HeliaBlobStore;
  const operations: Record<string, (request: Record<string, string>) => Promise<unknown>> = {
    add: async ({ data }) => store.add(Buffer.from(data!, 'base64')),
    get: async ({ cid }) => Buffer.from(await store.get(cid!)).toString('base64'),
    has: async ({ cid }) => store.has(cid!),
    isPinned: async ({ cid }) => store.isPinned(cid!),
    pin: async ({ cid }) => store.pin(cid!),
    status: async () => store.networkStatus(),
    describe: async () => store.describe(),
    sockets: async () => sockets(),
    close: async () => {
      await store.close();
      setImmediate(() => process.exit(0));
      return true;
    },
  };
  process.on('message', (request: Record<string, string>) => {
    const operation = operations[request.op!];
    if (operation === undefined) return send({ id: request.id, error: { name: 'Error', message: `no ${request.op}` } });
    operation(request).then(
      (result) => send({ id: request.id, result }),
      (error: Error) => send({ id: request.id, error: { name: error.name, message: error.message } }),
    );
  });
  process.on('disconnect', () => void store.close().finally(() => process.exit(0)));
  send({ type: 'ready', status: store.networkStatus() });
}

// Only as a child process's entry: `npm test` loads every .ts file under test/, this one included.
if (require.main === module) {
  main().catch((error: Error) => {
    process.send?.({ type: 'failed', error: { name: error.name, message: error.message } });
    process.stderr.write(`${error.stack ?? error.message}\n`);
    process.exit(2);
  });
}
