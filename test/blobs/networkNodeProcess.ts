/**
 * One embedded IPFS node in its own process, for the private network tests: configured exactly as the oracle, API
 * and security service are (the `IPFS_*` variables through `loadConfig` and `ipfsConfigShape`), its data directory
 * in `BLOB_NODE_DATA_DIR`. Driven over IPC: `{ id, op, … }` → `{ id, result }` or `{ id, error: { name, message } }`.
 * Sends `{ type: 'ready', status }` once open, and `{ type: 'log', … }` for each network log line. Every TCP connect,
 * UDP socket and DNS query the process attempts is recorded (`dials`).
 */
import dgram from 'node:dgram';
import dns from 'node:dns';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import { z } from 'zod';
import type { HeliaBlobStore } from '../../blobs/src';

/** Every outgoing connection, UDP socket and DNS query the process attempted (recorded before anything loads). */
export type DialRecord = { kind: 'tcp' | 'udp' | 'dns'; target: string };

/**
 * Records every TCP connect (net, and so http, https, tls, fetch), UDP socket and DNS query of this process, so the
 * tests see whether the node tried to reach anything but its configured peers (mDNS, DHT, bootstrap, gateways,
 * delegated routing…), not only what is open at one moment.
 */
function recordDials(): DialRecord[] {
  const records: DialRecord[] = [];
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = (Array.isArray(args[0]) ? args[0][0] : args[0]) as
      | { host?: string; port?: number; path?: string }
      | number;
    const target =
      typeof first === 'object' && first !== null
        ? first.path ?? `${first.host ?? 'localhost'}:${first.port}`
        : `${String(args[1] ?? 'localhost')}:${String(first)}`;
    records.push({ kind: 'tcp', target });
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
  const createSocket = dgram.createSocket;
  (dgram as { createSocket: unknown }).createSocket = (...args: unknown[]) => {
    records.push({ kind: 'udp', target: JSON.stringify(args[0]) });
    return (createSocket as (...a: unknown[]) => dgram.Socket)(...args);
  };
  const wrap = (owner: Record<string, unknown>, names: string[]) => {
    for (const name of names) {
      const original = owner[name] as (...a: unknown[]) => unknown;
      if (typeof original !== 'function') continue;
      owner[name] = function (this: unknown, ...args: unknown[]) {
        // Node's listen() looks up an IP literal too; that answers at once, without a query.
        if (net.isIP(String(args[0])) === 0) records.push({ kind: 'dns', target: `${name} ${String(args[0])}` });
        return original.apply(this, args);
      };
    }
  };
  const names = ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveTxt', 'resolveAny', 'resolveSrv'];
  wrap(dns as unknown as Record<string, unknown>, names);
  wrap(dns.promises as unknown as Record<string, unknown>, names);
  wrap(dns.Resolver.prototype as unknown as Record<string, unknown>, names);
  wrap(dns.promises.Resolver.prototype as unknown as Record<string, unknown>, names);
  return records;
}

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
  const dials = recordDials();
  // Loaded after the recorder is in place.
  const { IPFS_CONFIG_ENV, IPFS_CONFIG_SECRETS, checkIpfsConfig, createBlobStore, ipfsConfigOf, ipfsConfigShape } =
    require('../../blobs/src') as typeof import('../../blobs/src');
  const { loadConfig } =
    require('../../twin-core/src/config/loadConfig') as typeof import('../../twin-core/src/config/loadConfig');
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
    dials: async () => dials,
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
