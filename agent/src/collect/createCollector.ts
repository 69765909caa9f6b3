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
import { unavailable } from '../../../twin-core/src/messages/probeResult';
import type { SnapshotProbe } from '../../../twin-core/src/messages/commandRules';
import { PROBE_DISABLED, PROBE_SECTIONS } from './probeSwitches';

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
  /**
   * Switches snapshot probes on (true) or off (false; the section reads unavailable, {@link PROBE_DISABLED}) and
   * answers the switches now set. Every probe runs until switched off.
   */
  setProbes(probes: Partial<Record<string, boolean | undefined>>): Record<string, boolean>;
  /**
   * Telemetry reads the sensors at most every `seconds` (the ticks between carry no readings); undefined: every
   * telemetry.
   */
  setSensorSeconds(seconds: number | undefined): void;
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
  const switches: Record<string, boolean> = {};
  let sensorSeconds: number | undefined;
  let sensorsReadAt: number | undefined;
  /** runProbe, unless the desired state switched `probe` off. */
  const run = <value>(probe: SnapshotProbe, read: () => Promise<value>) =>
    switches[probe] === false
      ? Promise.resolve(unavailable(PROBE_DISABLED))
      : runProbe(PROBE_SECTIONS[probe], timeoutMs, read, PROBE_SECTIONS[probe]);

  /** Whether this telemetry reads the sensors (every time, unless a sensor period is set and has not run out). */
  const sensorsDue = () => {
    const now = options.now();
    if (sensorSeconds !== undefined && sensorsReadAt !== undefined && now - sensorsReadAt < sensorSeconds * 1000)
      return false;
    sensorsReadAt = now;
    return true;
  };
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
        run('system', () => readSystem(options)),
        run('processes', processes),
        run('memory', () => readMemory(paths)),
        run('disks', disks),
        run('filesystems', () => readFilesystems(paths)),
        run('kernelLog', () => readKernelLog(options)),
        run('usb', () => readUsbDevices(paths)),
        run('pci', () => readPciDevices(paths)),
        run('activity', activity),
        run('ipc', () => readIpc(paths)),
        run('network', () => readNetwork(options)),
        run('sharedLibraries', () => readSharedLibraries(options)),
        run('icmp', () => readIcmp(paths)),
        run('arp', () => readArp(paths)),
        run('dnsConfig', () => readDnsConfig(paths)),
        run('dnsCache', () => readDnsCache(options)),
        run('tls', () => readTlsServers(options)),
        run('sensors', () => readSensors(options)),
        run('networkBehaviour', snapshotBehaviour),
        run('traffic', () => traffic.snapshot()),
        run('conntrack', () => readConntrack(options, flowLimit)),
        run('dnsServers', () => readDnsServers(options)),
        run('plugAndPlay', plugAndPlay),
        run('processorPerformance', processor),
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
        sensorsDue() ? field('sensors', () => readSensorResult(options)) : Promise.resolve(null),
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

    setProbes(probes) {
      for (const [probe, on] of Object.entries(probes)) if (on !== undefined) switches[probe] = on;
      return { ...switches };
    },
    setSensorSeconds(seconds) {
      sensorSeconds = seconds;
    },
    close: () => traffic.close(),
  };
}
