import { spawn, type ChildProcess } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { decodePacket } from './decodePacket';
import { createPcapParser } from './pcapStream';
import { createTrafficState, type TrafficLimits, type TrafficState } from './trafficState';

/** How the capture runs: bounded by configuration (agent config `capture*` keys). */
export type CaptureOptions = TrafficLimits & {
  /** The capture program (default `tcpdump`). */
  command: string;
  /** Interface to capture on (`any`: every interface, with the direction of each packet). */
  interface: string;
  /** Bytes kept of each packet (headers only: 96 holds IP + TCP headers, 512 the DNS and TLS hello headers). */
  snaplenBytes: number;
  /** Packets decoded per second at most; beyond it packets are only counted (`skipped`), so CPU stays bounded. */
  maxPacketsPerSec: number;
  /** Count the loopback interface's traffic too (default false: it never leaves the device). */
  includeLoopback: boolean;
  /** Wall clock, ms. */
  now: () => number;
};

/** A running capture: its traffic state and whether it works. */
export type Capture = {
  readonly state: TrafficState;
  /** When the capture started, ms. */
  readonly startedAtMs: number;
  /** Why the capture does not (or no longer) run; null while it does. */
  failure(): string | null;
  stats(): { decoded: number; skipped: number; undecodable: number; running: boolean; snaplenBytes: number; interface: string };
  stop(): Promise<void>;
};

function localAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const entry of list ?? []) addresses.add(entry.address);
  return addresses;
}

/**
 * Starts the capture child process (`tcpdump -i IFACE -n -s SNAPLEN -U -w -`, Debian's tcpdump: headers only, as
 * many bytes as the snaplen) and feeds every packet's headers to a traffic state. The process is the agent's child:
 * `stop()` ends it, and it ends with the agent (its stdout closes). If tcpdump is missing or may not capture (no
 * CAP_NET_RAW), `failure()` says why; the caller reports the metrics unavailable with that reason.
 *
 * @example
 * const capture = startCapture({ command: 'tcpdump', interface: 'any', snaplenBytes: 512, … })
 * capture.failure() // null, or 'tcpdump: any: You don't have permission to capture on that device'
 */
export function startCapture(options: CaptureOptions): Capture {
  const state = createTrafficState(options);
  const startedAtMs = options.now();
  let failure: string | null = null;
  let stderr = '';
  let decoded = 0;
  let skipped = 0;
  let undecodable = 0;
  let second = 0;
  let inSecond = 0;
  let local = localAddresses();
  let localRefreshedAt = options.now();
  const parser = createPcapParser((frame) => {
    const wallSecond = Math.floor(frame.atMs / 1000);
    if (wallSecond !== second) {
      second = wallSecond;
      inSecond = 0;
    }
    if (++inSecond > options.maxPacketsPerSec) {
      skipped++;
      return;
    }
    const packet = decodePacket(frame);
    if (!packet) {
      undecodable++;
      return;
    }
    if (packet.loopback && !options.includeLoopback) return;
    let outgoing = packet.outgoing;
    if (outgoing === null) {
      if (frame.atMs - localRefreshedAt > 30_000) {
        local = localAddresses();
        localRefreshedAt = frame.atMs;
      }
      outgoing = local.has(packet.source) ? true : local.has(packet.destination) ? false : null;
      if (outgoing === null) return;
    }
    decoded++;
    state.add(packet, outgoing);
  }, Math.max(options.snaplenBytes, 65_535));

  let child: ChildProcess | null = null;
  let stopping = false;
  const args = ['-i', options.interface, '-n', '-s', String(options.snaplenBytes), '-U', '--immediate-mode', '-w', '-'];
  if (options.interface === 'any') args.push('-y', 'LINUX_SLL');
  // Loopback traffic is dropped in the kernel's filter already where it can be told by address.
  if (options.includeLoopback) args.push('ip', 'or', 'ip6');
  else args.push('(ip and not src net 127.0.0.0/8) or (ip6 and not src host ::1)');
  try {
    child = spawn(options.command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    failure = `${options.command} could not start: ${(error as Error).message}`;
  }
  const exited = new Promise<void>((resolve) => {
    if (!child) return resolve();
    child.once('error', (error: NodeJS.ErrnoException) => {
      failure =
        error.code === 'ENOENT'
          ? `${options.command} is not installed (Debian: apt install tcpdump), so packets cannot be captured`
          : `${options.command} failed: ${error.message}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      if (failure === null && !stopping) {
        const said = stderr.split('\n').filter((line) => line && !/listening on|captured|received by|dropped by/.test(line));
        failure = `${options.command} exited (${signal ?? code}): ${said.join('; ').slice(0, 300) || 'no message'}`;
      }
      resolve();
    });
  });
  child?.stdout?.on('data', (chunk: Buffer) => {
    try {
      parser.push(chunk);
    } catch (error) {
      failure = `capture stream unreadable: ${(error as Error).message}`;
      child?.kill('SIGTERM');
    }
  });
  child?.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const onExit = () => child?.kill('SIGTERM');
  process.once('exit', onExit);

  return {
    state,
    startedAtMs,
    failure: () => failure,
    stats: () => ({
      decoded,
      skipped,
      undecodable,
      running: child !== null && child.exitCode === null && child.signalCode === null,
      snaplenBytes: options.snaplenBytes,
      interface: options.interface,
    }),
    async stop() {
      stopping = true;
      process.removeListener('exit', onExit);
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
