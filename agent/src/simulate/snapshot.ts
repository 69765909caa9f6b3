/**
 * Full snapshot bodies of virtual devices (`twins/{deviceId}/snapshot`): every probe of seed 001 available, with
 * synthetic content consistent with the device's board, role, load and network behaviour, and the ground-truth
 * label.
 */
import type { SnapshotBody } from '../../../twin-core/src/messages/snapshot';
import { labelOf } from './behaviours';
import { round, uptimeSeconds, type SnapshotContext } from './context';
import { buildArp, buildIcmp } from './snapshotNeighbours';
import { buildNetwork, interfaceRates } from './snapshotNetwork';
import { buildProcesses } from './snapshotProcesses';
import { brokerTls, kernelLog, memory, storage, usbAndPci } from './snapshotSystem';
import { sampleSensors } from './telemetry';

/**
 * One snapshot body, every probe available.
 *
 * @example
 * const body = buildSnapshot(context)
 * snapshotBodySchema.parse(body)
 */
export function buildSnapshot(context: SnapshotContext): SnapshotBody {
  const { device, host, network, rng, episode } = context;
  const { profile } = device;
  const uptime = uptimeSeconds(context);
  const { processes, sharedLibraries } = buildProcesses(context);
  const { disks, filesystems, io } = storage(context);
  const { usb, pci } = usbAndPci(context);
  const cpu = host.cpuPercent;
  const softirq =
    episode?.behaviour === 'connection-flood' || episode?.behaviour === 'traffic-spike' ? cpu * 0.2 : cpu * 0.04;
  const user = (cpu - softirq) * 0.65;
  const system = (cpu - softirq) * 0.33;
  const iowait = rng.uniform(0, 0.6);
  const load5 = round(host.load1 * rng.uniform(0.8, 1.05), 2);
  const battery = profile.role.name === 'soil';
  const dnsLookups = Math.floor(uptime * device.baseline.dnsPerSec);
  return {
    collectedAt: new Date(context.atMs).toISOString(),
    collectionMs: round(rng.uniform(35, 180) + (network.establishedConnections > 100 ? 90 : 0), 1),
    owner: { ownerId: context.owner.ownerId, location: context.owner.location && { ...context.owner.location } },
    system: {
      available: true,
      value: {
        hostname: device.hostname,
        uptimeSeconds: round(uptime, 2),
        bootTime: new Date(context.bootTimeMs).toISOString(),
        loadAverage: [host.load1, load5, round(load5 * 0.9, 2)],
      },
    },
    processes: { available: true, value: processes },
    memory: { available: true, value: memory(context) },
    disks: { available: true, value: disks },
    filesystems: { available: true, value: filesystems },
    kernelLog: { available: true, value: kernelLog(context) },
    usb: { available: true, value: usb },
    pci: { available: true, value: pci },
    activity: {
      available: true,
      value: {
        intervalSeconds: context.intervalSeconds,
        cpu: {
          user: round(user, 2),
          nice: 0,
          system: round(system, 2),
          iowait: round(iowait, 2),
          irq: 0,
          softirq: round(softirq, 2),
          steal: 0,
          idle: round(Math.max(0, 100 - cpu - iowait), 2),
        },
        contextSwitchesPerSec: round(300 + cpu * 45 + network.packetsInPerSec * 0.8 + rng.uniform(0, 80), 1),
        interruptsPerSec: round(180 + cpu * 20 + network.packetsInPerSec + rng.uniform(0, 40), 1),
        processesCreatedPerSec: round(rng.uniform(0.05, 0.8), 2),
        runQueue: processes.tasks.running,
        processListSize: processes.threads,
        blocked: 0,
        loadAverage: [host.load1, load5, round(load5 * 0.9, 2)],
        paging: {
          pageInKBPerSec: round(io.readTps * 12, 2),
          pageOutKBPerSec: round(io.writeTps * 9, 2),
          faultsPerSec: round(rng.uniform(80, 600), 1),
          majorFaultsPerSec: 0,
        },
        swapping: { swapInPagesPerSec: 0, swapOutPagesPerSec: 0 },
        io: {
          tps: round(io.readTps + io.writeTps, 2),
          readTps: round(io.readTps, 2),
          writeTps: round(io.writeTps, 2),
          blocksReadPerSec: round(io.readTps * 24, 2),
          blocksWrittenPerSec: round(io.writeTps * 18, 2),
        },
        network: interfaceRates(context),
        power: battery
          ? [
              {
                name: 'battery',
                type: 'Battery',
                status: 'Discharging',
                capacityPercent: round(55 + 40 * Math.sin((2 * Math.PI * context.atMs) / 86_400_000), 1),
              },
            ]
          : [],
      },
    },
    ipc: {
      available: true,
      value: {
        messageQueues: [],
        semaphores: [],
        sharedMemory: [
          { key: '0x00000000', id: 2 + (device.index % 7), perms: '600', uid: 999, sizeBytes: 524_288, attached: 2 },
        ],
      },
    },
    network: { available: true, value: buildNetwork(context) },
    sharedLibraries: { available: true, value: sharedLibraries },
    icmp: { available: true, value: buildIcmp(context) },
    arp: { available: true, value: buildArp(context) },
    dns: {
      config: { available: true, value: { nameservers: ['10.0.0.1'], search: ['lan'], options: [] } },
      cache: {
        available: true,
        value: {
          source: 'dnsmasq',
          entries: 40 + (device.index % 150),
          hits: Math.floor(dnsLookups * 0.7),
          misses: dnsLookups - Math.floor(dnsLookups * 0.7),
        },
      },
    },
    tls: { available: true, value: [brokerTls(context.atMs)] },
    sensors: { available: true, value: sampleSensors(device, cpu, context.atMs, rng) },
    networkBehaviour: { available: true, value: network },
    label: labelOf(episode, context.scenario),
  };
}
