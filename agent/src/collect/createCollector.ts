import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { networkBehaviourSchema, type NetworkBehaviour } from '../../../twin-core/src/messages/behaviour';
import {
  activitySchema,
  arpEntrySchema,
  diskSchema,
  filesystemSchema,
  icmpSchema,
  ipcSchema,
  kernelLogSchema,
  memorySchema,
  networkSchema,
  pciDeviceSchema,
  processesSchema,
  sharedLibrariesSchema,
  tlsServerSchema,
  usbDeviceSchema,
  type SnapshotBody,
} from '../../../twin-core/src/messages/snapshot';
import { sensorReadingSchema, type SensorReading, type TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import type { StaticDocument } from '../../../twin-core/src/static/schema';
import { conntrackSchema, trafficSchema } from '../../../twin-core/src/messages/traffic';
import { readConntrack } from './conntrack';
import { dnsServerSchema, plugAndPlaySchema, processorPerformanceSchema } from '../../../twin-core/src/messages/deviceActivity';
import { createPlugAndPlayProbe, createProcessorProbe } from './sarDevices';
import { createTrafficSource } from './traffic';
import { createActivityProbe } from './activity';
import { readArp } from './arp';
import { createBehaviourProbe } from './behaviour';
import type { CollectOptions } from './context';
import { createDiskProbe } from './disks';
import { readDnsCache, readDnsConfig, readDnsServers } from './dns';
import { readFilesystems } from './filesystems';
import { readIcmp } from './icmp';
import { readIpc } from './ipc';
import { readKernelLog } from './kernelLog';
import { readMemory } from './memory';
import { readNetwork } from './network';
import { readPciDevices } from './pci';
import { createProcessProbe } from './processes';
import { busyPercent, parseProcStatFile, type ProcStatSample } from './procStat';
import { join, readText } from './read';
import { runProbe, withTimeout } from './runProbe';
import { readSensorResult, readSensors } from './sensors';
import { readSharedLibraries } from './sharedLibraries';
import { readStaticDocument, type StaticOverrides } from './staticDocument';
import { parseLoadavg, readSystem } from './system';
import { readTlsServers } from './tls';
import { readUsbDevices } from './usb';

/** What the agent loop calls: the static document once, a snapshot every ~30 s, telemetry every second. */
export type Collector = {
  /**
   * The static document (identity, hardware, OS, static IP), with config `overrides` for what the device cannot
   * read; `onNote` hears of each identity field recorded as `unknown` because the machine does not report it.
   */
  staticDocument(overrides?: StaticOverrides, onNote?: (note: string) => void): Promise<StaticDocument>;
  /** The full dynamic snapshot: every probe concurrently, each with its own timeout. */
  snapshot(): Promise<SnapshotBody>;
  /** The small, cheap reading: CPU %, memory %, load, task count, network behaviour, sensors. */
  telemetry(): Promise<TelemetryBody>;
  /** Stops what the collector started (the packet capture child process). */
  close(): Promise<void>;
};

const systemSchema = z.object({
  hostname: z.string().max(253),
  uptimeSeconds: z.number().nonnegative(),
  bootTime: z.iso.datetime(),
  loadAverage: z.tuple([z.number(), z.number(), z.number()]),
});
const dnsConfigSchema = z.object({
  nameservers: z.array(z.string().max(64)),
  search: z.array(z.string().max(253)),
  options: z.array(z.string().max(64)),
});
const dnsCacheSchema = z.object({
  source: z.string().max(64),
  entries: z.number().int().nonnegative().nullable(),
  hits: z.number().int().nonnegative().nullable(),
  misses: z.number().int().nonnegative().nullable(),
});

/**
 * Creates the Linux collector. Every probe of a snapshot runs concurrently under {@link runProbe}: its own
 * `options.probeTimeoutMs` timeout, errors and schema mismatches turned into `unavailable(reason)`, so one slow or
 * failing probe never stalls or breaks the others. The previous samples that rates need (per-process CPU ticks,
 * disk, sar and network-behaviour counters) live in this closure; snapshot and telemetry keep separate ones.
 *
 * @example
 * const collector = createCollector(options)
 * const document = await collector.staticDocument(config.static)
 * const snapshot = await collector.snapshot()
 */
export function createCollector(options: CollectOptions): Collector {
  const timeoutMs = options.probeTimeoutMs;
  const processes = createProcessProbe(options);
  const disks = createDiskProbe(options);
  const activity = createActivityProbe(options);
  const traffic = createTrafficSource(options);
  const snapshotBehaviour = createBehaviourProbe(options, traffic);
  const telemetryBehaviour = createBehaviourProbe(options, traffic);
  const flowLimit = options.capture?.flowLimit ?? 256;
  const plugAndPlay = createPlugAndPlayProbe(options);
  const processor = createProcessorProbe(options);
  let previousCpu: ProcStatSample['cpu'] | undefined;

  /** A telemetry field: its value, or null when it failed or timed out. */
  const field = async <value>(name: string, read: () => Promise<value>): Promise<value | null> => {
    const result = await runProbe(name, timeoutMs, read);
    return result.available ? result.value : null;
  };

  return {
    staticDocument: (overrides, onNote) =>
      withTimeout(readStaticDocument(options, overrides, onNote), timeoutMs, 'static document'),

    async snapshot() {
      const started = performance.now();
      const collectedAt = new Date(options.now()).toISOString();
      const { paths } = options;
      const [
        system,
        processTable,
        memory,
        diskList,
        filesystems,
        kernelLog,
        usb,
        pci,
        sar,
        ipc,
        network,
        sharedLibraries,
        icmp,
        arp,
        dnsConfig,
        dnsCache,
        tls,
        sensors,
        networkBehaviour,
        trafficSection,
        conntrack,
        dnsServers,
        plugAndPlayDevices,
        processorPerformance,
      ] = await Promise.all([
        runProbe('system', timeoutMs, () => readSystem(options), systemSchema),
        runProbe('processes', timeoutMs, processes, processesSchema),
        runProbe('memory', timeoutMs, () => readMemory(paths), memorySchema),
        runProbe('disks', timeoutMs, disks, z.array(diskSchema)),
        runProbe('filesystems', timeoutMs, () => readFilesystems(paths), z.array(filesystemSchema)),
        runProbe('kernelLog', timeoutMs, () => readKernelLog(options), kernelLogSchema),
        runProbe('usb', timeoutMs, () => readUsbDevices(paths), z.array(usbDeviceSchema)),
        runProbe('pci', timeoutMs, () => readPciDevices(paths), z.array(pciDeviceSchema)),
        runProbe('activity', timeoutMs, activity, activitySchema),
        runProbe('ipc', timeoutMs, () => readIpc(paths), ipcSchema),
        runProbe('network', timeoutMs, () => readNetwork(options), networkSchema),
        runProbe('sharedLibraries', timeoutMs, () => readSharedLibraries(options), sharedLibrariesSchema),
        runProbe('icmp', timeoutMs, () => readIcmp(paths), icmpSchema),
        runProbe('arp', timeoutMs, () => readArp(paths), z.array(arpEntrySchema)),
        runProbe('dns.config', timeoutMs, () => readDnsConfig(paths), dnsConfigSchema),
        runProbe('dns.cache', timeoutMs, () => readDnsCache(options), dnsCacheSchema),
        runProbe('tls', timeoutMs, () => readTlsServers(options), z.array(tlsServerSchema)),
        runProbe('sensors', timeoutMs, () => readSensors(options), z.array(sensorReadingSchema)),
        runProbe(
          'networkBehaviour',
          timeoutMs,
          snapshotBehaviour,
          networkBehaviourSchema as z.ZodType<NetworkBehaviour, unknown>,
        ),
        runProbe('traffic', timeoutMs, () => traffic.snapshot(), trafficSchema),
        runProbe('conntrack', timeoutMs, () => readConntrack(options, flowLimit), conntrackSchema),
        runProbe('dns.servers', timeoutMs, () => readDnsServers(options), z.array(dnsServerSchema)),
        runProbe('plugAndPlay', timeoutMs, plugAndPlay, plugAndPlaySchema),
        runProbe('processorPerformance', timeoutMs, processor, processorPerformanceSchema),
      ]);
      return {
        collectedAt,
        collectionMs: Math.round((performance.now() - started) * 100) / 100,
        owner: {
          ownerId: options.owner.ownerId,
          location: options.owner.location ? { ...options.owner.location } : null,
        },
        system,
        processes: processTable,
        memory,
        disks: diskList,
        filesystems,
        kernelLog,
        usb,
        pci,
        activity: sar,
        ipc,
        network,
        sharedLibraries,
        icmp,
        arp,
        dns: { config: dnsConfig, cache: dnsCache, servers: dnsServers },
        tls,
        sensors,
        networkBehaviour,
        traffic: trafficSection,
        conntrack,
        plugAndPlay: plugAndPlayDevices,
        processorPerformance,
      };
    },

    async telemetry() {
      const { proc } = options.paths;
      const [cpu, memory, load, network, sensors] = await Promise.all([
        field('cpu', async () => parseProcStatFile(await readText(join(proc, 'stat'))).cpu),
        field('memory', () => readMemory(options.paths)),
        field('loadavg', async () => parseLoadavg(await readText(join(proc, 'loadavg')))),
        runProbe('networkBehaviour', timeoutMs, telemetryBehaviour),
        field('sensors', () => readSensorResult(options)),
      ]);
      if (!network.available) throw new Error(`telemetry: network behaviour unavailable: ${network.reason}`);
      const cpuPercent = cpu === null ? null : busyPercent(previousCpu, cpu);
      if (cpu !== null) previousCpu = cpu;
      const readings: SensorReading[] = sensors?.readings ?? [];
      return {
        cpuPercent,
        memoryUsedPercent: memory?.usedPercent ?? null,
        load1: load === null ? null : Math.max(0, load.load[0]),
        processCount: load?.total ?? null,
        network: network.value,
        sensors: readings,
      };
    },

    close: () => traffic.close(),
  };
}
