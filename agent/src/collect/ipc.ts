import type { z } from 'zod';
import type { ipcSchema } from '../../../twin-core/src/messages/snapshot';
import type { SystemPaths } from './context';
import { join, readOptional } from './read';

/** The System V IPC section of the snapshot (ipcs). */
export type Ipc = z.output<typeof ipcSchema>;

/** An IPC key as ipcs prints it: /proc/sysvipc writes it as a signed decimal, ipcs as 0x + 8 hex digits. */
export function formatIpcKey(decimal: string): string {
  return `0x${(Number(decimal) >>> 0).toString(16).padStart(8, '0')}`;
}

/** The rows of a /proc/sysvipc table as header → value maps (the first line names the columns). */
export function parseSysvipcTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0]!.trim().split(/\s+/);
  return lines.slice(1).map((line) => {
    const values = line.trim().split(/\s+/);
    return Object.fromEntries(header.map((name, index) => [name, values[index] ?? '']));
  });
}

/** Parses /proc/sysvipc/msg into ipcs -q rows. */
export function parseMessageQueues(text: string): Ipc['messageQueues'] {
  return parseSysvipcTable(text).map((row) => ({
    key: formatIpcKey(row.key!),
    id: Number(row.msqid),
    perms: row.perms!.slice(0, 8),
    uid: Number(row.uid),
    bytes: Number(row.cbytes),
    messages: Number(row.qnum),
  }));
}

/** Parses /proc/sysvipc/sem into ipcs -s rows. */
export function parseSemaphores(text: string): Ipc['semaphores'] {
  return parseSysvipcTable(text).map((row) => ({
    key: formatIpcKey(row.key!),
    id: Number(row.semid),
    perms: row.perms!.slice(0, 8),
    uid: Number(row.uid),
    semaphores: Number(row.nsems),
  }));
}

/** Parses /proc/sysvipc/shm into ipcs -m rows. */
export function parseSharedMemory(text: string): Ipc['sharedMemory'] {
  return parseSysvipcTable(text).map((row) => ({
    key: formatIpcKey(row.key!),
    id: Number(row.shmid),
    perms: row.perms!.slice(0, 8),
    uid: Number(row.uid),
    sizeBytes: Number(row.size),
    attached: Number(row.nattch),
  }));
}

/**
 * IPC probe (ipcs): /proc/sysvipc/{msg,sem,shm}. A kernel without System V IPC has none of the three files and
 * the probe is unavailable; a missing single table counts as empty.
 */
export async function readIpc(paths: SystemPaths): Promise<Ipc> {
  const root = join(paths.proc, 'sysvipc');
  const [msg, sem, shm] = await Promise.all(['msg', 'sem', 'shm'].map((file) => readOptional(join(root, file))));
  if (msg === null && sem === null && shm === null) {
    throw new Error(`${root}/{msg,sem,shm} do not exist: the kernel has no System V IPC (CONFIG_SYSVIPC)`);
  }
  return {
    messageQueues: msg === null ? [] : parseMessageQueues(msg),
    semaphores: sem === null ? [] : parseSemaphores(sem),
    sharedMemory: shm === null ? [] : parseSharedMemory(shm),
  };
}
