import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSwarmKey, type PrivateNetworkStatus } from '../../blobs/src';
import { spawnEntry, type EntryProcess } from '../../bench/lib/spawnEntry';
import type { DialRecord, SocketRow } from './networkNodeProcess';

/** A blob node in a child process (`networkNodeProcess.ts`), driven over IPC. */
export type NetworkNode = {
  process: EntryProcess;
  /** The status it reported once open. */
  ready: PrivateNetworkStatus;
  /** `/ip4/127.0.0.1/tcp/<port>/p2p/<peer ID>`: what the other nodes put in IPFS_PEERS. */
  address: string;
  /** Network log lines so far (peer connected, refused dials…). */
  logs: { level: string; message: string; fields?: Record<string, unknown> }[];
  /** Runs one store operation in the child; rejects with the child's error name and message. */
  call<result = unknown>(op: string, arguments_?: Record<string, string>): Promise<result>;
  add(bytes: Uint8Array): Promise<string>;
  get(cid: string): Promise<Buffer>;
  status(): Promise<PrivateNetworkStatus>;
  sockets(): Promise<SocketRow[]>;
  /** Every TCP connect, UDP socket and DNS query the node's process attempted since it started. */
  dials(): Promise<DialRecord[]>;
  /** Closes the store and waits for the process to exit. */
  close(): Promise<void>;
};

/** Writes a new swarm key file (mode 0600) in `directory` and returns its path. */
export function writeSwarmKey(directory: string, name = 'swarm.key'): string {
  const path = join(directory, name);
  writeFileSync(path, generateSwarmKey(), { mode: 0o600 });
  return path;
}

let nextId = 0;

/**
 * Starts a blob node in its own process with the `IPFS_*` variables given (and nothing inherited from ours), its
 * store under `dataDir`, and waits until it is open.
 *
 * @example
 * const a = await startNetworkNode(join(dir, 'a'), { IPFS_SWARM_KEY_FILE: key, IPFS_LISTEN: `/ip4/127.0.0.1/tcp/${port}` })
 */
export async function startNetworkNode(dataDir: string, ipfs: Record<string, string>): Promise<NetworkNode> {
  const environment: NodeJS.ProcessEnv = { PATH: process.env.PATH, BLOB_NODE_DATA_DIR: dataDir, ...ipfs };
  const child = spawnEntry({ entry: 'test/blobs/networkNodeProcess.ts', env: environment });
  const logs: NetworkNode['logs'] = [];
  child.child.on(
    'message',
    (message: { type?: string; level: string; message: string; fields?: Record<string, unknown> }) => {
      if (message.type === 'log') logs.push({ level: message.level, message: message.message, fields: message.fields });
    },
  );
  const opened = await child.waitFor(
    (message) => {
      const typed = message as { type?: string; status?: PrivateNetworkStatus; error?: { message: string } };
      return typed.type === 'ready' || typed.type === 'failed' ? typed : undefined;
    },
    60_000,
    'the blob node to open',
  );
  if (opened.type === 'failed') {
    await child.exited;
    throw new Error(opened.error!.message);
  }
  const ready = opened.status!;
  const call = <result>(op: string, arguments_: Record<string, string> = {}) => {
    const id = ++nextId;
    const answer = child.waitFor(
      (message) =>
        (message as { id?: number }).id === id
          ? (message as { result?: result; error?: { name: string; message: string } })
          : undefined,
      60_000,
      `${op} on the blob node`,
    );
    child.child.send({ id, op, ...arguments_ });
    return answer.then((reply) => {
      if (reply.error) throw Object.assign(new Error(reply.error.message), { name: reply.error.name });
      return reply.result as result;
    });
  };
  return {
    process: child,
    ready,
    address: ready.listening[0] ?? '',
    logs,
    call,
    add: (bytes) => call<string>('add', { data: Buffer.from(bytes).toString('base64') }),
    get: async (cid) => Buffer.from(await call<string>('get', { cid }), 'base64'),
    status: () => call<PrivateNetworkStatus>('status'),
    sockets: () => call<SocketRow[]>('sockets'),
    dials: () => call<DialRecord[]>('dials'),
    async close() {
      if (child.child.exitCode !== null || child.child.signalCode !== null) return;
      await call('close').catch(() => undefined);
      await child.exited;
    },
  };
}
