import { z } from 'zod';

const count = z.number().int().nonnegative();

/**
 * sar's plug-and-play devices (seed 001 IV.9): devices on the hot-pluggable buses and what changed since the
 * previous snapshot (`added`/`removed` null on the first; names `usb:1-1.3`, `pci:0000:01:00.0`).
 */
export const plugAndPlaySchema = z.strictObject({
  usbDevices: count,
  pciDevices: count,
  added: z.array(z.string().max(64)).max(64).nullable(),
  removed: z.array(z.string().max(64)).max(64).nullable(),
});
export type PlugAndPlay = z.output<typeof plugAndPlaySchema>;

/** sar's processor performance (seed 001 IV.9 j): per CPU busy share and frequency. */
export const processorPerformanceSchema = z.strictObject({
  cpus: z
    .array(
      z.strictObject({
        cpu: count,
        /** Busy share since the previous snapshot, % (null on the first). */
        busyPercent: z.number().min(0).max(100).nullable(),
        currentMHz: z.number().nonnegative().nullable(),
        minMHz: z.number().nonnegative().nullable(),
        maxMHz: z.number().nonnegative().nullable(),
        governor: z.string().max(32).nullable(),
      }),
    )
    .max(256),
  /** Why the frequencies are null, when they are. */
  frequencyUnavailable: z.string().max(500).nullable(),
});
export type ProcessorPerformance = z.output<typeof processorPerformanceSchema>;

/**
 * Direct library dependencies of a process's executable (seed 001 IV.12 a–b): its ELF `DT_NEEDED` entries, split
 * into those used and those `ldd -u` reports unused (linked, but no symbol of theirs is used).
 */
export const libraryDependenciesSchema = z.strictObject({
  executable: z.string().max(512),
  used: z.array(z.string().max(256)).max(256),
  unused: z.array(z.string().max(256)).max(256),
});
export type LibraryDependencies = z.output<typeof libraryDependenciesSchema>;

/**
 * A configured DNS server (seed 001 IV.4 DNS information): its address, the address in binary, its name (reverse
 * lookup, PTR) and aliases (further PTR names and /etc/hosts aliases); null name when no reverse record exists.
 */
export const dnsServerSchema = z.strictObject({
  address: z.string().max(64),
  binary: z.string().max(160),
  name: z.string().max(253).nullable(),
  aliases: z.array(z.string().max(253)).max(32),
  /** Why `name` is null, when it is. */
  nameError: z.string().max(256).nullable(),
});
export type DnsServer = z.output<typeof dnsServerSchema>;
