import type { NetworkInterfaceInfo } from 'node:os';

/** Where a collector reads the system from. Tests point these at fixture trees; on a device they are the real roots. */
export type SystemPaths = {
  /** procfs root (default `/proc`). */
  proc: string;
  /** sysfs root (default `/sys`). */
  sys: string;
  /** configuration root holding `os-release`, `resolv.conf`, `hostname` (default `/etc`). */
  etc: string;
  /** device nodes root, for `/dev/kmsg` (default `/dev`). */
  dev: string;
};

/** The real roots, as on a device. */
export const DEFAULT_SYSTEM_PATHS: SystemPaths = { proc: '/proc', sys: '/sys', etc: '/etc', dev: '/dev' };

/** A sensor a device adds by configuration: a number read from a file (sysfs/IIO style), scaled. */
export type FileSensorPlugin = { name: string; unit: string; file: string; scale: number; offset: number };

/** A sensor a device adds in code: a JavaScript module whose exported `read()` resolves to a number. */
export type ModuleSensorPlugin = { name: string; unit: string; module: string };

/** A device-specific sensor added by configuration or code. */
export type SensorPlugin = FileSensorPlugin | ModuleSensorPlugin;

/** A TLS server whose protocol, cipher and certificate the snapshot reports. */
export type TlsServer = { host: string; port: number; servername?: string | undefined };

/**
 * Packet capture settings (agent config `capture*`): headers only, bounded. `mode` `auto` starts tcpdump at the
 * first network probe and reports why not where the device does not allow it; `off` never captures.
 */
export type CaptureSettings = {
  mode: 'auto' | 'off';
  command: string;
  interface: string;
  snaplenBytes: number;
  maxPacketsPerSec: number;
  includeLoopback: boolean;
  maxFlows: number;
  maxRecords: number;
  burstGapMs: number;
  /** Flows listed per snapshot (the most recently active), from the capture and from conntrack each. */
  flowLimit: number;
};

/** Everything a collector needs besides the system itself. */
export type CollectOptions = {
  paths: SystemPaths;
  /** Longest a single probe may take before it is reported unavailable, ms. */
  probeTimeoutMs: number;
  /** Longest an external command (`dmesg`, `resolvectl`) may run, ms. */
  commandTimeoutMs: number;
  /** Rows of the process table kept (by CPU then memory). */
  processLimit: number;
  /** Sockets kept in the snapshot. */
  socketLimit: number;
  /** Processes whose shared libraries are listed (the largest by resident memory). */
  sharedLibrariesProcessLimit: number;
  /** Lines of the kernel message buffer kept (the most recent). */
  kernelLogLines: number;
  tlsServers: TlsServer[];
  sensorPlugins: SensorPlugin[];
  owner: { ownerId: string | null; location: { latitude: number; longitude: number } | null };
  /** Wall clock in ms; injected so tests control time. */
  now: () => number;
  /** Packet capture (absent: off). */
  capture?: CaptureSettings | undefined;
  /** Overrides of what node's `os` module reports; absent on a device. */
  host?: HostHooks | undefined;
};

/**
 * What node's `os` module reports about the host. The collector calls `os` itself unless a hook is given here;
 * tests that point {@link SystemPaths} at a fixture tree give matching hooks so the fixture is self-consistent.
 */
export type HostHooks = {
  /** `uname -m` (default `os.machine()`). */
  machine?: () => string;
  /** Addresses of each interface (default `os.networkInterfaces()`). */
  networkInterfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Fallbacks when /proc/sys/kernel has no answer (default `os.hostname()`, `os.type()`, `os.release()`, `os.version()`). */
  hostname?: () => string;
  type?: () => string;
  release?: () => string;
  version?: () => string;
  /** Runs an external command (`dmesg`, `resolvectl`) with a timeout (default child_process.execFile). */
  runCommand?: (file: string, args: string[], timeoutMs: number) => Promise<string>;
};
