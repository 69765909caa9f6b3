import { performance } from 'node:perf_hooks';
import type { NetworkBehaviour } from '../../../twin-core/src/messages/behaviour';
import type { SnapshotBody } from '../../../twin-core/src/messages/snapshot';
import type { SensorReading, TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import type { StaticDocument } from '../../../twin-core/src/static/schema';
import { readConntrack } from './conntrack';
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

/**
 * Creates the Linux collector. Every probe of a snapshot runs concurrently under {@link runProbe}: its own
 * `options.probeTimeoutMs` timeout, errors and mismatches with its section's schema turned into `unavailable(reason)`, so one slow or
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
        runProbe('system', timeoutMs, () => readSystem(options), 'system'),
        runProbe('processes', timeoutMs, processes, 'processes'),
        runProbe('memory', timeoutMs, () => readMemory(paths), 'memory'),
        runProbe('disks', timeoutMs, disks, 'disks'),
        runProbe('filesystems', timeoutMs, () => readFilesystems(paths), 'filesystems'),
        runProbe('kernelLog', timeoutMs, () => readKernelLog(options), 'kernelLog'),
        runProbe('usb', timeoutMs, () => readUsbDevices(paths), 'usb'),
        runProbe('pci', timeoutMs, () => readPciDevices(paths), 'pci'),
        runProbe('activity', timeoutMs, activity, 'activity'),
        runProbe('ipc', timeoutMs, () => readIpc(paths), 'ipc'),
        runProbe('network', timeoutMs, () => readNetwork(options), 'network'),
        runProbe('sharedLibraries', timeoutMs, () => readSharedLibraries(options), 'sharedLibraries'),
        runProbe('icmp', timeoutMs, () => readIcmp(paths), 'icmp'),
        runProbe('arp', timeoutMs, () => readArp(paths), 'arp'),
        runProbe('dns.config', timeoutMs, () => readDnsConfig(paths), 'dns.config'),
        runProbe('dns.cache', timeoutMs, () => readDnsCache(options), 'dns.cache'),
        runProbe('tls', timeoutMs, () => readTlsServers(options), 'tls'),
        runProbe('sensors', timeoutMs, () => readSensors(options), 'sensors'),
        runProbe<NetworkBehaviour>('networkBehaviour', timeoutMs, snapshotBehaviour, 'networkBehaviour'),
        runProbe('traffic', timeoutMs, () => traffic.snapshot(), 'traffic'),
        runProbe('conntrack', timeoutMs, () => readConntrack(options, flowLimit), 'conntrack'),
        runProbe('dns.servers', timeoutMs, () => readDnsServers(options), 'dns.servers'),
        runProbe('plugAndPlay', timeoutMs, plugAndPlay, 'plugAndPlay'),
        runProbe('processorPerformance', timeoutMs, processor, 'processorPerformance'),
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
