/** The processes a small Debian-based device runs, and the remote services it normally talks to. */

/**
 * One row of the process-table template. Memory in KiB, `cpu` the mean %CPU, `priority` as top shows it.
 */
export type ProcessTemplate = {
  name: string;
  command: string;
  user: string;
  priority: number | 'rt';
  nice: number;
  virtKiB: number;
  resKiB: number;
  shrKiB: number;
  threads: number;
  cpu: number;
  kernel?: boolean;
  libraries?: readonly string[];
};

const LIBC = ['/lib/arm-linux-gnueabihf/libc.so.6', '/lib/ld-linux-armhf.so.3'];
const SYSTEMD = ['/usr/lib/arm-linux-gnueabihf/systemd/libsystemd-shared-252.so', ...LIBC];
const SSL = ['/lib/arm-linux-gnueabihf/libssl.so.3', ...LIBC];
const CRYPTO = ['/lib/arm-linux-gnueabihf/libcrypto.so.3', ...LIBC];
const NODE = ['/usr/lib/arm-linux-gnueabihf/libstdc++.so.6', ...SSL];

/** A kernel thread (no memory, parent kthreadd). */
function kernel(name: string, cpu: number, priority: number | 'rt' = 20): ProcessTemplate {
  const memory = { virtKiB: 0, resKiB: 0, shrKiB: 0 };
  return { name, command: `[${name}]`, user: 'root', priority, nice: 0, ...memory, threads: 1, cpu, kernel: true };
}

/** A user-space daemon: memory as [VIRT, RES, SHR] KiB. */
function daemon(
  name: string,
  command: string,
  user: string,
  [virtKiB, resKiB, shrKiB]: [number, number, number],
  threads: number,
  cpu: number,
  libraries: readonly string[],
): ProcessTemplate {
  return { name, command, user, priority: 20, nice: 0, virtKiB, resKiB, shrKiB, threads, cpu, libraries };
}

/** The processes every virtual device runs (besides its role's program); `%host%` is replaced by its hostname. */
export const BASE_PROCESSES: readonly ProcessTemplate[] = [
  daemon('systemd', '/sbin/init splash', 'root', [33_812, 9_940, 7_120], 1, 0.1, SYSTEMD),
  kernel('kthreadd', 0),
  kernel('ksoftirqd/0', 0.2),
  kernel('rcu_preempt', 0.1),
  kernel('migration/0', 0, 'rt'),
  kernel('kworker/0:1-events', 0.1),
  kernel('kswapd0', 0),
  daemon('systemd-journal', '/lib/systemd/systemd-journald', 'root', [40_528, 12_480, 11_200], 1, 0.1, SYSTEMD),
  daemon('systemd-udevd', '/lib/systemd/systemd-udevd', 'root', [20_664, 5_540, 4_112], 1, 0, SYSTEMD),
  daemon(
    'systemd-timesyn',
    '/lib/systemd/systemd-timesyncd',
    'systemd-timesync',
    [87_092, 6_640, 5_760],
    2,
    0,
    SYSTEMD,
  ),
  daemon('avahi-daemon', 'avahi-daemon: running [%host%.local]', 'avahi', [7_440, 3_084, 2_720], 1, 0, LIBC),
  daemon(
    'dbus-daemon',
    '/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only',
    'messagebus',
    [8_624, 4_296, 3_456],
    1,
    0,
    LIBC,
  ),
  daemon('cron', '/usr/sbin/cron -f', 'root', [7_560, 2_412, 2_204], 1, 0, LIBC),
  daemon('rsyslogd', '/usr/sbin/rsyslogd -n -iNONE', 'root', [25_780, 3_880, 2_896], 4, 0, LIBC),
  daemon(
    'wpa_supplicant',
    '/sbin/wpa_supplicant -u -s -O DIR=/run/wpa_supplicant GROUP=netdev',
    'root',
    [12_140, 4_740, 4_048],
    1,
    0,
    SSL,
  ),
  daemon('dhcpcd', 'dhcpcd: [manager] [ip4] [ip6]', 'root', [3_208, 1_788, 1_472], 1, 0, LIBC),
  daemon('bluetoothd', '/usr/libexec/bluetooth/bluetoothd', 'root', [9_580, 5_208, 4_632], 1, 0, LIBC),
  daemon('systemd-logind', '/lib/systemd/systemd-logind', 'root', [13_920, 6_472, 5_632], 1, 0, SYSTEMD),
  daemon(
    'sshd',
    'sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups',
    'root',
    [11_660, 6_940, 6_060],
    1,
    0,
    CRYPTO,
  ),
  daemon('agetty', '/sbin/agetty -o -p -- \\u --noclear - linux', 'root', [5_676, 1_488, 1_376], 1, 0, LIBC),
  daemon('node', 'node /opt/twin-agent/dist/agent/src/cli.js run', 'twin', [298_220, 62_400, 38_120], 11, 1.5, NODE),
];

/** Remote services a device normally talks to: its broker, time and package servers (documentation addresses). */
export const NORMAL_PEERS: readonly { address: string; port: number }[] = [
  { address: '203.0.113.10', port: 8883 },
  { address: '203.0.113.25', port: 443 },
  { address: '198.51.100.7', port: 443 },
  { address: '198.51.100.40', port: 123 },
];
