import { z } from 'zod';
import { groundTruthSchema, networkBehaviourSchema } from './behaviour';
import { probeSchema } from './probe';
import { conntrackSchema, trafficSchema } from './traffic';
import { dnsServerSchema, libraryDependenciesSchema, plugAndPlaySchema, processorPerformanceSchema } from './deviceActivity';
import { sensorReadingSchema } from './telemetry';

const count = z.number().int().nonnegative();
const rate = z.number().nonnegative().nullable();
const percent = z.number().min(0).max(100);
const text = (max: number) => z.string().max(max);

/** One row of the process table (seed 001 section IX: top's columns). Memory in KiB, times in seconds. */
export const processSchema = z.strictObject({
  pid: count,
  ppid: count,
  user: text(64),
  /** Scheduling priority as top shows it; `rt` for real-time tasks. */
  priority: z.union([z.number().int(), z.literal('rt')]),
  nice: z.number().int(),
  virtKiB: count,
  resKiB: count,
  shrKiB: count,
  /** R running, S sleeping, D uninterruptible, I idle, T stopped, t traced, Z zombie, X dead. */
  state: z.string().length(1),
  /** Share of one CPU's time since the previous snapshot (can exceed 100 for multithreaded tasks); null on the first. */
  cpuPercent: z.number().nonnegative().nullable(),
  memPercent: percent,
  /** TIME+: CPU time used, in seconds (hundredths kept). */
  cpuTimeSeconds: z.number().nonnegative(),
  threads: count,
  name: text(64),
  command: text(512),
});

export const processesSchema = z.strictObject({
  tasks: z.strictObject({
    total: count,
    running: count,
    sleeping: count,
    uninterruptible: count,
    idle: count,
    stopped: count,
    zombie: count,
  }),
  threads: count,
  /** Sorted by CPU then memory; cut at the configured length with `truncated` set. */
  list: z.array(processSchema),
  truncated: z.boolean(),
});

/** Memory and swap (seed 001 IX "MiB Memory / MiB Swap" and sar -r), in KiB. */
export const memorySchema = z.strictObject({
  totalKiB: count,
  freeKiB: count,
  availableKiB: count,
  usedKiB: count,
  buffersKiB: count,
  cachedKiB: count,
  activeKiB: count,
  inactiveKiB: count,
  dirtyKiB: count,
  committedKiB: count,
  commitPercent: z.number().nonnegative(),
  usedPercent: percent,
  swapTotalKiB: count,
  swapFreeKiB: count,
  swapUsedKiB: count,
  swapCachedKiB: count,
});

/** A block device's counters (/proc/diskstats) and, from the second snapshot on, its iostat-style rates. */
export const diskSchema = z.strictObject({
  name: text(64),
  readsCompleted: count,
  sectorsRead: count,
  readMs: count,
  writesCompleted: count,
  sectorsWritten: count,
  writeMs: count,
  inFlight: count,
  ioMs: count,
  weightedIoMs: count,
  tps: rate,
  readKBps: rate,
  writeKBps: rate,
  /** Mean time an I/O request took (queue + service), ms: the I/O latency. */
  awaitMs: rate,
  averageQueueLength: rate,
  utilPercent: rate,
});

export const filesystemSchema = z.strictObject({
  mountPoint: text(512),
  device: text(256),
  type: text(32),
  sizeBytes: count,
  usedBytes: count,
  availableBytes: count,
  usedPercent: percent,
});

export const kernelLogSchema = z.strictObject({
  source: z.enum(['/dev/kmsg', 'dmesg']),
  lines: z.array(
    z.strictObject({
      /** Seconds since boot. */
      uptimeSeconds: z.number().nonnegative().nullable(),
      priority: z.number().int().min(0).max(7).nullable(),
      message: text(1024),
    }),
  ),
});

export const usbDeviceSchema = z.strictObject({
  path: text(64),
  bus: count,
  device: count,
  vendorId: text(8),
  productId: text(8),
  manufacturer: text(128).nullable(),
  product: text(128).nullable(),
  /** USB class code (hex, e.g. `09` hub). */
  deviceClass: text(8),
  /** Bus speed in Mbit/s (1.5, 12, 480, 5000…). */
  speedMbps: z.number().nonnegative().nullable(),
  usbVersion: text(16).nullable(),
});

export const pciDeviceSchema = z.strictObject({
  address: text(32),
  vendorId: text(8),
  deviceId: text(8),
  classCode: text(8),
  driver: text(64).nullable(),
});

/** sar-style system activity over the interval since the previous snapshot; rates are null on the first. */
export const activitySchema = z.strictObject({
  intervalSeconds: z.number().positive().nullable(),
  cpu: z.strictObject({
    user: rate,
    nice: rate,
    system: rate,
    iowait: rate,
    irq: rate,
    softirq: rate,
    steal: rate,
    idle: rate,
  }),
  contextSwitchesPerSec: rate,
  interruptsPerSec: rate,
  processesCreatedPerSec: rate,
  /** sar -q: run queue, task list size, blocked tasks, load averages. */
  runQueue: count,
  processListSize: count,
  blocked: count,
  loadAverage: z.tuple([z.number(), z.number(), z.number()]),
  paging: z.strictObject({ pageInKBPerSec: rate, pageOutKBPerSec: rate, faultsPerSec: rate, majorFaultsPerSec: rate }),
  swapping: z.strictObject({ swapInPagesPerSec: rate, swapOutPagesPerSec: rate }),
  io: z.strictObject({ tps: rate, readTps: rate, writeTps: rate, blocksReadPerSec: rate, blocksWrittenPerSec: rate }),
  network: z.array(
    z.strictObject({
      interface: text(32),
      rxPacketsPerSec: rate,
      txPacketsPerSec: rate,
      rxKBPerSec: rate,
      txKBPerSec: rate,
    }),
  ),
  /** Batteries and supplies (/sys/class/power_supply); empty on mains-powered devices. */
  power: z.array(
    z.strictObject({ name: text(64), type: text(32), status: text(32).nullable(), capacityPercent: percent.nullable() }),
  ),
});

export const ipcSchema = z.strictObject({
  messageQueues: z.array(z.strictObject({ key: text(18), id: count, perms: text(8), uid: count, bytes: count, messages: count })),
  semaphores: z.array(z.strictObject({ key: text(18), id: count, perms: text(8), uid: count, semaphores: count })),
  sharedMemory: z.array(
    z.strictObject({ key: text(18), id: count, perms: text(8), uid: count, sizeBytes: count, attached: count }),
  ),
});

export const networkInterfaceSchema = z.strictObject({
  name: text(32),
  mac: text(17).nullable(),
  mtu: count.nullable(),
  operState: text(16).nullable(),
  speedMbps: z.number().int().nullable(),
  addresses: z.array(
    z.strictObject({
      family: z.enum(['IPv4', 'IPv6']),
      address: text(64),
      cidr: text(68).nullable(),
      /** IPv4 broadcast address (host bits all ones; null for IPv6, /31 and /32). Optional: older agents send none. */
      broadcast: text(64).nullable().optional(),
    }),
  ),
  statistics: z.strictObject({
    rxBytes: count,
    rxPackets: count,
    rxErrors: count,
    rxDropped: count,
    txBytes: count,
    txPackets: count,
    txErrors: count,
    txDropped: count,
  }),
});

export const routeSchema = z.strictObject({
  family: z.enum(['IPv4', 'IPv6']),
  destination: text(68),
  gateway: text(64).nullable(),
  interface: text(32),
  metric: count,
  flags: text(16),
});

export const socketSchema = z.strictObject({
  protocol: z.enum(['tcp', 'tcp6', 'udp', 'udp6']),
  localAddress: text(64),
  localPort: count,
  remoteAddress: text(64),
  remotePort: count,
  /** TCP state (LISTEN, ESTABLISHED, …); for UDP, UNCONN or ESTABLISHED. */
  state: text(16),
  uid: count,
  inode: count,
});

export const networkSchema = z.strictObject({
  interfaces: z.array(networkInterfaceSchema),
  routes: z.array(routeSchema),
  sockets: z.array(socketSchema),
  socketsTruncated: z.boolean(),
  listening: z.array(z.strictObject({ protocol: z.enum(['tcp', 'tcp6', 'udp', 'udp6']), address: text(64), port: count })),
  counts: z.strictObject({ tcp: count, udp: count, tcpEstablished: count, tcpListening: count }),
});

export const sharedLibrariesSchema = z.array(
  z.strictObject({
    pid: count,
    name: text(64),
    libraries: z.array(text(512)),
    /** The executable's direct dependencies, used and unused (seed 001 IV.12 a–b). Optional: older agents send none. */
    dependencies: probeSchema(libraryDependenciesSchema).optional(),
  }),
);

export const icmpSchema = z.strictObject({
  inMessages: count,
  inErrors: count,
  outMessages: count,
  outErrors: count,
  /** Messages by ICMP type number (0 echo reply, 3 unreachable, 8 echo request, 11 time exceeded…). */
  inByType: z.record(z.string(), count),
  outByType: z.record(z.string(), count),
});

export const arpEntrySchema = z.strictObject({
  ip: text(64),
  mac: text(17),
  device: text(32),
  flags: text(8),
  /** `static` for permanent entries (ATF_PERM), `dynamic` for learned ones, `incomplete` while resolving. */
  kind: z.enum(['static', 'dynamic', 'incomplete']),
});

export const dnsSchema = z.strictObject({
  config: probeSchema(
    z.strictObject({ nameservers: z.array(text(64)), search: z.array(text(253)), options: z.array(text(64)) }),
  ),
  cache: probeSchema(z.strictObject({ source: text(64), entries: count.nullable(), hits: count.nullable(), misses: count.nullable() })),
  /** Each configured server: address, binary form, name and aliases (seed 001 IV.4). Optional: older agents send none. */
  servers: probeSchema(z.array(dnsServerSchema).max(16)).optional(),
});

export const tlsServerSchema = z.strictObject({
  host: text(253),
  port: count,
  peerAddress: text(64).nullable(),
  protocol: text(16).nullable(),
  cipher: z.strictObject({ name: text(128), standardName: text(128).nullable(), version: text(32) }).nullable(),
  certificate: z
    .strictObject({
      subject: text(512),
      issuer: text(512),
      validFrom: text(64),
      validTo: text(64),
      serialNumber: text(128),
      fingerprint256: text(128),
      publicKeyBits: count.nullable(),
    })
    .nullable(),
  authorized: z.boolean(),
  error: text(256).nullable(),
});

/** Where the device is and who holds it, from the agent's config (seed 001 IV.1–2). */
export const ownerSchema = z.strictObject({
  ownerId: text(128).nullable(),
  location: z
    .strictObject({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) })
    .nullable(),
});

/**
 * `twins/{deviceId}/snapshot`: the full dynamic state of a device (seed 001 sections IV and IX), every section a
 * probe that is either available or says why not.
 */
export const snapshotBodySchema = z.strictObject({
  collectedAt: z.iso.datetime(),
  /** How long collection took, ms. */
  collectionMs: z.number().nonnegative(),
  owner: ownerSchema,
  system: probeSchema(
    z.strictObject({
      hostname: text(253),
      uptimeSeconds: z.number().nonnegative(),
      /** Last restart (boot time), ISO 8601. */
      bootTime: z.iso.datetime(),
      loadAverage: z.tuple([z.number(), z.number(), z.number()]),
    }),
  ),
  processes: probeSchema(processesSchema),
  memory: probeSchema(memorySchema),
  disks: probeSchema(z.array(diskSchema)),
  filesystems: probeSchema(z.array(filesystemSchema)),
  kernelLog: probeSchema(kernelLogSchema),
  usb: probeSchema(z.array(usbDeviceSchema)),
  pci: probeSchema(z.array(pciDeviceSchema)),
  activity: probeSchema(activitySchema),
  ipc: probeSchema(ipcSchema),
  network: probeSchema(networkSchema),
  sharedLibraries: probeSchema(sharedLibrariesSchema),
  icmp: probeSchema(icmpSchema),
  arp: probeSchema(z.array(arpEntrySchema)),
  dns: dnsSchema,
  tls: probeSchema(z.array(tlsServerSchema)),
  sensors: probeSchema(z.array(sensorReadingSchema)),
  networkBehaviour: probeSchema(networkBehaviourSchema),
  /**
   * Packet headers seen since the previous snapshot (tcpdump, headers only): flows and the ICMP, DNS and TLS
   * handshake records of seed 001. Optional: agents before issue 17, and the simulator, send none.
   */
  traffic: probeSchema(trafficSchema).optional(),
  /** sar's plug-and-play devices and processor performance (seed 001 IV.9). Optional: older agents send none. */
  plugAndPlay: probeSchema(plugAndPlaySchema).optional(),
  processorPerformance: probeSchema(processorPerformanceSchema).optional(),
  /** The kernel's connection-tracking table (flows). Optional as `traffic`. */
  conntrack: probeSchema(conntrackSchema).optional(),
  /** Ground truth from the simulator; absent on real devices. */
  label: groundTruthSchema.optional(),
});
export type SnapshotBody = z.output<typeof snapshotBodySchema>;
