/**
 * The process table and shared libraries of a virtual device's snapshot. PIDs, users and memory are stable for a
 * device; CPU times grow with uptime. During a connection flood or a beacon an unexpected process shows up,
 * running from a hidden directory with a preloaded library.
 */
import type { z } from 'zod';
import type { processesSchema, processSchema, sharedLibrariesSchema } from '../../../twin-core/src/messages/snapshot';
import { BASE_PROCESSES, type ProcessTemplate } from './processCatalog';
import { round, uptimeSeconds, type SnapshotContext } from './context';
import { createRng, PURPOSE } from './rng';

type Process = z.output<typeof processSchema>;
type Processes = z.output<typeof processesSchema>;

/** Rows of the process table kept in a snapshot; `truncated` tells the table has more tasks. */
export const PROCESS_LIMIT = 40;
/** Processes whose shared libraries are listed (the largest by resident memory). */
export const SHARED_LIBRARY_PROCESS_LIMIT = 8;

/** The unexpected process an episode runs, as a template and its PID. */
function rogueProcess(context: SnapshotContext): { template: ProcessTemplate; pid: number } | undefined {
  const { episode } = context;
  if (episode === undefined) return undefined;
  const p = episode.params;
  if (episode.behaviour === 'connection-flood') {
    return {
      pid: p.roguePid,
      template: {
        name: '.mdm-proxy',
        command: `/tmp/.mdm/.mdm-proxy -l 0.0.0.0:${p.roguePort} -w 512`,
        user: 'pi',
        priority: 20,
        nice: 0,
        virtKiB: 24_180,
        resKiB: 9_420 + Math.round(p.floodEstablished * 4),
        shrKiB: 1_020,
        threads: 16,
        cpu: 25,
        libraries: ['/lib/arm-linux-gnueabihf/libc.so.6', '/tmp/.mdm/libhide.so'],
      },
    };
  }
  if (episode.behaviour === 'beaconing') {
    return {
      pid: p.roguePid,
      template: {
        name: 'sysupdate',
        command: `/dev/shm/.cache/sysupdate --poll ${p.beaconPeriodMs}`,
        user: 'pi',
        priority: 20,
        nice: 0,
        virtKiB: 6_212,
        resKiB: 2_104,
        shrKiB: 880,
        threads: 2,
        cpu: 0.7,
        libraries: ['/lib/arm-linux-gnueabihf/libc.so.6', '/dev/shm/.cache/libprocesshider.so'],
      },
    };
  }
  return undefined;
}

/**
 * The snapshot's `processes` and `sharedLibraries` sections.
 *
 * @example
 * const { processes } = buildProcesses(context)
 * processes.list[0] // the busiest process
 */
export function buildProcesses(context: SnapshotContext): {
  processes: Processes;
  sharedLibraries: z.output<typeof sharedLibrariesSchema>;
} {
  const { device, host, rng, key } = context;
  const { profile } = device;
  const totalKiB = Math.floor(profile.variant.memoryBytes / 1024);
  const uptime = uptimeSeconds(context);
  const layout = createRng(key, device.index, PURPOSE.identity, 3);
  const role = profile.role.program;
  const templates: Array<{ template: ProcessTemplate; pid: number }> = [];
  let pid = 2;
  let kernelPid = 3;
  let daemonPid = layout.int(180, 320);
  for (const template of BASE_PROCESSES) {
    if (template.name === 'systemd') pid = 1;
    else if (template.name === 'kthreadd') pid = 2;
    else if (template.kernel) pid = kernelPid += layout.int(1, 12);
    else pid = daemonPid += layout.int(2, 60);
    templates.push({ template, pid });
  }
  templates.push({
    pid: (daemonPid += layout.int(20, 200)),
    template: {
      ...role,
      priority: 20,
      nice: 0,
      virtKiB: 61_412,
      resKiB: 24_880,
      shrKiB: 9_904,
      threads: 3,
      cpu: profile.cpuPercent * 0.3,
    },
  });
  const rogue = rogueProcess(context);
  if (rogue !== undefined) templates.push(rogue);

  // Normal processes share the device's usual load; an episode's extra CPU goes to its rogue process, or to the
  // kernel's soft-interrupt thread for the traffic it handles.
  const scale = Math.max(0.1, host.cpuPercent - host.episodeCpuPercent) / Math.max(0.5, profile.cpuPercent);
  const episodeCpu = host.episodeCpuPercent;
  const list: Process[] = templates.map(({ template, pid: processPid }) => {
    let cpuShare = template.cpu * scale;
    if (template === rogue?.template) cpuShare = episodeCpu;
    else if (template.name === 'ksoftirqd/0' && rogue === undefined) cpuShare += episodeCpu;
    const cpu = round(
      Math.max(0, cpuShare * Math.exp(rng.normal(0, 0.4)) - (cpuShare < 0.5 ? rng.uniform(0, 0.3) : 0)),
      1,
    );
    const since = template === rogue?.template ? Math.max(1, (context.atMs - context.episode!.startMs) / 1000) : uptime;
    const command = template.command.replace('%host%', device.hostname);
    return {
      pid: processPid,
      ppid: processPid === 1 || processPid === 2 ? 0 : template.kernel ? 2 : 1,
      user: template.user,
      priority: template.priority,
      nice: template.nice,
      virtKiB: template.virtKiB,
      resKiB: template.resKiB,
      shrKiB: template.shrKiB,
      state: template.kernel ? (/^(kworker|rcu)/.test(template.name) ? 'I' : 'S') : cpu > 5 ? 'R' : 'S',
      cpuPercent: Math.max(0, cpu),
      memPercent: round((template.resKiB / totalKiB) * 100, 1),
      cpuTimeSeconds: round((since * template.cpu) / 100, 2),
      threads: template.threads,
      name: template.name.slice(0, 64),
      command: command.slice(0, 512),
    };
  });
  list.sort((a, b) => (b.cpuPercent ?? 0) - (a.cpuPercent ?? 0) || b.memPercent - a.memPercent || a.pid - b.pid);

  const total = host.processCount;
  const running = Math.min(total, Math.max(1, Math.round(host.load1)));
  const idle = Math.min(total - running, 30 + (device.index % 17));
  const extraThreads = list.reduce((sum, process) => sum + process.threads - 1, 0);
  const withLibraries = templates
    .filter(({ template }) => template.libraries !== undefined)
    .sort((a, b) => b.template.resKiB - a.template.resKiB || a.pid - b.pid)
    .slice(0, SHARED_LIBRARY_PROCESS_LIMIT);
  return {
    processes: {
      tasks: { total, running, sleeping: total - running - idle, uninterruptible: 0, idle, stopped: 0, zombie: 0 },
      threads: total + extraThreads,
      list: list.slice(0, PROCESS_LIMIT),
      truncated: total > Math.min(list.length, PROCESS_LIMIT),
    },
    sharedLibraries: withLibraries.map(({ template, pid: processPid }) => ({
      pid: processPid,
      name: template.name,
      libraries: [...template.libraries!],
    })),
  };
}
