import { promises as fs } from 'node:fs';
import type { z } from 'zod';
import type { filesystemSchema } from '../../../twin-core/src/messages/snapshot';
import type { SystemPaths } from './context';
import { join, readText, round } from './read';

/** One mounted filesystem of the snapshot, as df shows it. */
export type Filesystem = z.output<typeof filesystemSchema>;

/** A line of /proc/mounts. */
export type Mount = { device: string; mountPoint: string; type: string; options: string[] };

/** Filesystem types that hold no files of their own (kernel interfaces, RAM, cgroups): df -x skips them too. */
export const PSEUDO_FILESYSTEMS = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'hugetlbfs',
  'mqueue',
  'nsfs',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'sysfs',
  'tmpfs',
  'tracefs',
  'fuse.gvfsd-fuse',
  'fuse.portal',
]);

/** Undoes the octal escapes of /proc/mounts (`\040` space, `\011` tab, `\012` newline, `\134` backslash). */
export function unescapeMountField(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** Parses /proc/mounts. */
export function parseMounts(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    mounts.push({
      device: unescapeMountField(fields[0]!),
      mountPoint: unescapeMountField(fields[1]!),
      type: fields[2]!,
      options: fields[3]!.split(','),
    });
  }
  return mounts;
}

/** The mounts worth a line in df: real filesystems, each mount point once (the last mount over it wins). */
export function realMounts(mounts: Mount[]): Mount[] {
  const byPoint = new Map<string, Mount>();
  for (const mount of mounts) {
    if (PSEUDO_FILESYSTEMS.has(mount.type)) continue;
    byPoint.delete(mount.mountPoint);
    byPoint.set(mount.mountPoint, mount);
  }
  return [...byPoint.values()];
}

/** df's figures from statfs: size, used (blocks − free), available to users, and used % of used + available. */
export function usage(stats: { bsize: number; blocks: number; bfree: number; bavail: number }) {
  const sizeBytes = stats.blocks * stats.bsize;
  const usedBytes = Math.max(0, (stats.blocks - stats.bfree) * stats.bsize);
  const availableBytes = stats.bavail * stats.bsize;
  const denominator = usedBytes + availableBytes;
  return {
    sizeBytes,
    usedBytes,
    availableBytes,
    usedPercent: denominator === 0 ? 0 : Math.min(100, round((usedBytes / denominator) * 100, 2)),
  };
}

/**
 * Filesystems probe: /proc/mounts without pseudo filesystems, each measured with statfs (Node >= 18.15).
 * Mounts statfs cannot measure (gone, no permission) and empty ones are left out.
 */
export async function readFilesystems(paths: SystemPaths): Promise<Filesystem[]> {
  if (typeof (fs as Partial<typeof fs>).statfs !== 'function') {
    throw new Error(`fs.statfs needs Node.js >= 18.15 (this is ${process.version})`);
  }
  const mounts = realMounts(parseMounts(await readText(join(paths.proc, 'mounts'))));
  const rows = await Promise.all(
    mounts.map(async (mount): Promise<Filesystem | null> => {
      try {
        const stats = await fs.statfs(mount.mountPoint);
        const figures = usage(stats);
        if (figures.sizeBytes === 0) return null;
        return {
          mountPoint: mount.mountPoint.slice(0, 512),
          device: mount.device.slice(0, 256),
          type: mount.type.slice(0, 32),
          ...figures,
        };
      } catch {
        return null;
      }
    }),
  );
  return rows.filter((row): row is Filesystem => row !== null);
}
