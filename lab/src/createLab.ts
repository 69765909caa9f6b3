import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseError } from '../../twin-core/src/errors/BaseError';

/** Debian's Python (the lab's device PID namespace, sinks and traffic are stdlib only). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
/** The device PID namespace's init and entry (beside this file, or in lab/src when run from a build such as agent/dist). */
const PID_NAMESPACE = [join(__dirname, 'devicePidNamespace.py'), join(__dirname, '..', '..', '..', '..', 'lab', 'src', 'devicePidNamespace.py')].find(
  (path) => existsSync(path),
);

/** Parameters of {@link createLab}. */
export type CreateLabParameters = {
  /** Distinguishes this lab's namespaces and links from others' (default: the process id); names start `net-`. */
  id?: string;
};

/** One namespace of the lab and its address on the device–network link. */
export type LabNamespace = { name: string; address: string };

/** A running lab: two namespaces joined by a veth pair, a third link to the host for the judge. */
export type Lab = {
  /** The device namespace (the real agent runs here) and the network namespace (the services). */
  device: LabNamespace;
  network: LabNamespace;
  /** The network namespace's address as the host (root namespace) reaches it. */
  networkFromHost: string;
  /** The device-side interface, where `tc` shapes the link. */
  deviceInterface: string;
  /** A private temporary directory (certificates, configuration, data), removed by `close()`. */
  directory: string;
  /**
   * Starts a long-running process in a namespace (stdio ignored unless `options.stdio` says); `close()` ends it. In
   * the device namespace every process also shares the device's own PID namespace (and a /proc mounted for it), so
   * the agent's process table is the device's, not the host's; signals to the returned process reach the command.
   */
  spawnIn(namespace: LabNamespace, command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** The host PID of the device's PID namespace's PID 1 (null until the first process starts in the device). */
  deviceInitPid(): number | null;
  /** Runs a command in a namespace's network to its end (`tc`, `ip`: no PID namespace); throws with its output on a non-zero exit. */
  runIn(namespace: LabNamespace, command: string, args: string[]): string;
  /**
   * Ends every process started here (SIGTERM, then SIGKILL after 3 s) and the device's PID 1 (which ends the rest of
   * the device's PID namespace), then any process still in the lab's namespaces (their children), and deletes the
   * namespaces, the host link and the directory.
   */
  close(): Promise<void>;
};

/** Error raised when the lab cannot be set up. */
export class LabError extends BaseError {
  override name = 'LabError';
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function readOptional(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 30_000 });
  if (result.error || result.status !== 0) {
    throw new LabError(`${command} ${args.join(' ')} failed`, {
      details: (result.error?.message ?? result.stderr ?? '').trim().slice(0, 500),
    });
  }
  return result.stdout;
}

/**
 * Why network namespaces cannot be used here (null when they can): not Linux, no `ip` (iproute2), or no permission
 * to create a namespace and a veth pair (needs root or CAP_SYS_ADMIN + CAP_NET_ADMIN). Creates and removes a probe
 * namespace to find out.
 *
 * @example
 * const reason = labUnavailable(); if (reason) this.skip()
 */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return `network namespaces are Linux only (platform ${process.platform})`;
  const name = `net-probe-${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (added.error) return `ip (iproute2) is not installed: ${added.error.message}`;
  if (added.status !== 0) return `cannot create a network namespace: ${(added.stderr || '').trim().slice(0, 200)}`;
  const veth = spawnSync('ip', ['-n', name, 'link', 'add', 'net-probe-a', 'type', 'veth', 'peer', 'name', 'net-probe-b'], {
    encoding: 'utf8',
  });
  spawnSync('ip', ['netns', 'del', name]);
  if (veth.status !== 0) return `cannot create a veth pair: ${(veth.stderr || '').trim().slice(0, 200)}`;
  return null;
}

/**
 * Creates the lab: namespaces `net-<id>-dev` (the device) and `net-<id>-svc` (the network), joined by a veth pair
 * (10.99.0.2 ↔ 10.99.0.1/24, the network namespace being the device's default gateway), and a veth pair from the host
 * to the network namespace (10.99.N.1 ↔ 10.99.N.2/30, N from the id, 2–251) so a judge in the host reaches the broker. Traffic stays in
 * these namespaces and that link: nothing is routed beyond them.
 *
 * @example
 * const lab = createLab({ id: 'eval' })
 * lab.spawnIn(lab.network, 'dnsmasq', ['--no-daemon', …])
 * await lab.close()
 */
export function createLab(parameters: CreateLabParameters = {}): Lab {
  const id = (parameters.id ?? String(process.pid)).replace(/[^a-z0-9]/gi, '').slice(0, 7);
  const device = { name: `net-${id}-dev`, address: '10.99.0.2' };
  const network = { name: `net-${id}-svc`, address: '10.99.0.1' };
  const links = { device: `net-${id}-d`, network: `net-${id}-n`, hostSide: `net-${id}-h`, hostPeer: `net-${id}-g` };
  // The host link's /30 depends on the id, so that two labs at once do not claim the same host address.
  const block = [...id].reduce((hash, char) => (hash * 31 + char.charCodeAt(0)) % 250, 7) + 2;
  const host = { self: `10.99.${block}.1`, peer: `10.99.${block}.2` };
  const children = new Set<ChildProcess>();
  const directory = mkdtempSync(join(tmpdir(), `net-lab-${id}-`));
  const cleanup = () => {
    for (const namespace of [device, network]) {
      spawnSync('ip', ['netns', 'del', namespace.name]);
      rmSync(`/etc/netns/${namespace.name}`, { recursive: true, force: true });
    }
    spawnSync('ip', ['link', 'del', links.hostSide]);
  };
  cleanup(); // leftovers of a run that was killed
  let deviceInit: { holder: ChildProcess; pid: number } | undefined;
  /**
   * The device's PID namespace, started with its first process (after the services wrote /etc/netns/<device>/, which
   * `ip netns exec` bind-mounts into the namespace's mount namespace): `unshare --pid --fork --mount-proc` runs
   * devicePidNamespace.py as its PID 1; `--kill-child` kills that PID 1, and so the namespace, if unshare dies.
   */
  const startDeviceInit = (): number => {
    if (deviceInit) return deviceInit.pid;
    if (!PID_NAMESPACE) throw new LabError('devicePidNamespace.py not found', { details: `looked beside ${__dirname}` });
    const ready = join(directory, 'device-init.ready');
    const holder = spawn('ip', ['netns', 'exec', device.name, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child', PYTHON, PID_NAMESPACE, 'init', ready], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const pid = existsSync(ready) ? Number(readOptional(`/proc/${holder.pid}/task/${holder.pid}/children`).trim().split(/\s+/)[0]) : 0;
      if (pid > 0) {
        deviceInit = { holder, pid };
        children.add(holder);
        holder.once('exit', () => children.delete(holder));
        return pid;
      }
      if (Date.now() > deadline || holder.exitCode !== null) {
        holder.kill('SIGKILL');
        throw new LabError('the device PID namespace did not start', { details: `unshare --pid in ${device.name}: no ${ready}` });
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  };
  try {
    run('ip', ['netns', 'add', device.name]);
    run('ip', ['netns', 'add', network.name]);
    run('ip', ['link', 'add', links.device, 'netns', device.name, 'type', 'veth', 'peer', 'name', links.network, 'netns', network.name]);
    run('ip', ['link', 'add', links.hostSide, 'type', 'veth', 'peer', 'name', links.hostPeer, 'netns', network.name]);
    const inNs = (namespace: LabNamespace, ...args: string[]) => run('ip', ['-n', namespace.name, ...args]);
    inNs(device, 'addr', 'add', `${device.address}/24`, 'dev', links.device);
    inNs(network, 'addr', 'add', `${network.address}/24`, 'dev', links.network);
    inNs(network, 'addr', 'add', `${host.peer}/30`, 'dev', links.hostPeer);
    run('ip', ['addr', 'add', `${host.self}/30`, 'dev', links.hostSide]);
    for (const [namespace, link] of [
      [device, links.device],
      [network, links.network],
      [network, links.hostPeer],
    ] as const) {
      inNs(namespace, 'link', 'set', 'lo', 'up');
      inNs(namespace, 'link', 'set', link, 'up');
    }
    run('ip', ['link', 'set', links.hostSide, 'up']);
    inNs(device, 'route', 'add', 'default', 'via', network.address);
  } catch (error) {
    cleanup();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }

  return {
    device,
    network,
    networkFromHost: host.peer,
    deviceInterface: links.device,
    directory,
    spawnIn(namespace, command, args, options = {}) {
      const child =
        namespace.name === device.name
          ? spawn(PYTHON, [PID_NAMESPACE!, 'enter', String(startDeviceInit()), command, ...args], { stdio: 'ignore', ...options })
          : spawn('ip', ['netns', 'exec', namespace.name, command, ...args], { stdio: 'ignore', ...options });
      children.add(child);
      child.once('exit', () => children.delete(child));
      child.on('error', () => children.delete(child));
      return child;
    },
    deviceInitPid: () => deviceInit?.pid ?? null,
    runIn(namespace, command, args) {
      return run('ip', ['netns', 'exec', namespace.name, command, ...args]);
    },
    async close() {
      const exits = [...children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            // unshare ignores SIGTERM while it waits: the device's PID 1 gets it and passes it to every device process.
            if (child === deviceInit?.holder) signal(deviceInit.pid, 'SIGTERM');
            else child.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
      // Grandchildren too (the agent's tcpdump, a traffic script's ping): every process left in the lab's namespaces.
      const left = () =>
        [device, network].flatMap((namespace) =>
          (spawnSync('ip', ['netns', 'pids', namespace.name], { encoding: 'utf8' }).stdout ?? '')
            .split(/\s+/)
            .filter((text) => /^\d+$/.test(text))
            .map(Number),
        );
      for (const pid of left()) signal(pid, 'SIGKILL');
      // A SIGKILLed process is gone only once the kernel has ended it: wait (5 s at most) so close() means ended.
      for (let waited = 0; left().length > 0 && waited < 5_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      cleanup();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
