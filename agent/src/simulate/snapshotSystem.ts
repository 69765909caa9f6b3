/** The system sections of a virtual device's snapshot: kernel log, memory, storage, USB/PCI and TLS. */
import type { z } from 'zod';
import type { usbDeviceSchema } from '../../../twin-core/src/messages/snapshot';
import { round, uptimeSeconds, type SnapshotContext } from './context';

const KERNEL_LINES = [
  { at: 0.0, priority: 5, message: 'Booting Linux on physical CPU 0x0' },
  { at: 1.9, priority: 6, message: 'mmc0: new ultra high speed DDR50 SDXC card at address aaaa' },
  {
    at: 3.4,
    priority: 6,
    message: 'EXT4-fs (mmcblk0p2): mounted filesystem with ordered data mode. Quota mode: none.',
  },
  { at: 6.8, priority: 6, message: 'systemd[1]: Started systemd-journald.service - Journal Service.' },
  { at: 9.2, priority: 6, message: 'brcmfmac: brcmf_cfg80211_set_power_mgmt: power save enabled' },
  { at: 11.7, priority: 6, message: '%if%: Link is Up - 1Gbps/Full - flow control rx/tx' },
];

/**
 * The kernel message buffer's tail: boot messages, and a SYN-flood warning during a connection flood.
 *
 * @example
 * kernelLog(context).lines.at(-1)?.message // 'TCP: request_sock_TCP: Possible SYN flooding on port …'
 */
export function kernelLog(context: SnapshotContext) {
  const { episode, device } = context;
  const uptime = uptimeSeconds(context);
  const lines = KERNEL_LINES.map((line) => ({
    uptimeSeconds: line.at,
    priority: line.priority,
    message: line.message.replace('%if%', device.profile.interfaceName),
  }));
  if (device.index % 5 === 0)
    lines.push({
      uptimeSeconds: round(uptime * 0.37, 6),
      priority: 4,
      message: 'hwmon hwmon1: Undervoltage detected!',
    });
  if (episode?.behaviour === 'connection-flood') {
    const since = Math.max(0, uptime - (context.atMs - episode.startMs) / 1000);
    lines.push({
      uptimeSeconds: round(since + 0.8, 6),
      priority: 6,
      message: `TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:${episode.params.roguePort}. Sending cookies.`,
    });
  }
  return { source: '/dev/kmsg' as const, lines };
}

/**
 * Memory and swap (KiB) consistent with the host's used share.
 *
 * @example
 * memory(context).usedPercent === context.host.memoryUsedPercent // true
 */
export function memory(context: SnapshotContext) {
  const { device, host, rng } = context;
  const totalKiB = Math.floor((device.profile.variant.memoryBytes / 1024) * 0.96);
  const usedKiB = Math.floor((totalKiB * host.memoryUsedPercent) / 100);
  const buffersKiB = Math.floor(totalKiB * 0.018);
  const cachedKiB = Math.min(totalKiB - usedKiB - buffersKiB, Math.floor(totalKiB * rng.uniform(0.18, 0.3)));
  const freeKiB = Math.max(0, totalKiB - usedKiB - buffersKiB - cachedKiB);
  const swapTotalKiB = 102_396;
  const swapUsedKiB = Math.floor(swapTotalKiB * (host.memoryUsedPercent > 70 ? 0.4 : 0.02));
  const committedKiB = Math.floor(usedKiB * 1.7);
  return {
    totalKiB,
    freeKiB,
    availableKiB: freeKiB + buffersKiB + Math.floor(cachedKiB * 0.8),
    usedKiB,
    buffersKiB,
    cachedKiB,
    activeKiB: Math.floor(usedKiB * 0.6 + cachedKiB * 0.4),
    inactiveKiB: Math.floor(usedKiB * 0.3 + cachedKiB * 0.6),
    dirtyKiB: rng.int(0, 400),
    committedKiB,
    commitPercent: round((committedKiB / (totalKiB + swapTotalKiB)) * 100, 2),
    usedPercent: host.memoryUsedPercent,
    swapTotalKiB,
    swapFreeKiB: swapTotalKiB - swapUsedKiB,
    swapUsedKiB,
    swapCachedKiB: Math.floor(swapUsedKiB * 0.1),
  };
}

/**
 * The SD card's counters and iostat-style rates, and the mounted filesystems.
 *
 * @example
 * storage(context).filesystems[0]!.mountPoint // '/'
 */
export function storage(context: SnapshotContext) {
  const { device, rng } = context;
  const { profile } = device;
  const uptime = uptimeSeconds(context);
  const name = profile.board.manufacturer === 'BeagleBoard.org' ? 'mmcblk1' : 'mmcblk0';
  const readTps = rng.uniform(0, 0.4);
  const writeTps = rng.uniform(0.5, 3);
  const reads = Math.floor(uptime * 0.2 + 9_000);
  const writes = Math.floor(uptime * 1.6);
  const disk = {
    name,
    readsCompleted: reads,
    sectorsRead: reads * 24,
    readMs: Math.floor(reads * 0.9),
    writesCompleted: writes,
    sectorsWritten: writes * 18,
    writeMs: Math.floor(writes * 6.5),
    inFlight: 0,
    ioMs: Math.floor(writes * 4.2 + reads * 0.8),
    weightedIoMs: Math.floor(writes * 7 + reads * 0.9),
    tps: round(readTps + writeTps, 2),
    readKBps: round(readTps * 12, 2),
    writeKBps: round(writeTps * 9, 2),
    awaitMs: round(rng.uniform(1.5, 9), 2),
    averageQueueLength: round(rng.uniform(0, 0.05), 3),
    utilPercent: round(rng.uniform(0.2, 2.5), 2),
  };
  const usedBytes = Math.floor(profile.diskBytes * profile.diskUsed);
  const filesystems = [
    {
      mountPoint: '/',
      device: `/dev/${name}p2`,
      type: 'ext4',
      sizeBytes: profile.diskBytes,
      usedBytes,
      availableBytes: profile.diskBytes - usedBytes,
      usedPercent: round(profile.diskUsed * 100, 1),
    },
  ];
  if (profile.image.name === 'Raspberry Pi OS') {
    const mountPoint = profile.image.version.startsWith('12') ? '/boot/firmware' : '/boot';
    filesystems.push({
      mountPoint,
      device: `/dev/${name}p1`,
      type: 'vfat',
      sizeBytes: 535_805_952,
      usedBytes: 66_319_360,
      availableBytes: 469_486_592,
      usedPercent: 12.4,
    });
  }
  return { disks: [disk], filesystems, io: { readTps, writeTps } };
}

/**
 * USB and PCI devices of the board (a Raspberry Pi 4's VL805 xHCI controller, a weather station's FTDI adapter…).
 *
 * @example
 * usbAndPci(context).usb[0]!.product // 'xHCI Host Controller'
 */
export function usbAndPci(context: SnapshotContext) {
  const { model } = context.device.profile.board;
  const rootHub = (bus: number, version: '2.0' | '3.0'): z.output<typeof usbDeviceSchema> => ({
    path: `usb${bus}`,
    bus,
    device: 1,
    vendorId: '1d6b',
    productId: version === '2.0' ? '0002' : '0003',
    manufacturer: `Linux ${context.device.profile.image.release} xhci-hcd`,
    product: 'xHCI Host Controller',
    deviceClass: '09',
    speedMbps: version === '2.0' ? 480 : 5000,
    usbVersion: version === '2.0' ? ' 2.00' : ' 3.00',
  });
  const usb = [rootHub(1, '2.0')];
  if (model.startsWith('Raspberry Pi 4')) {
    usb.push(rootHub(2, '3.0'));
    usb.push({
      path: '1-1',
      bus: 1,
      device: 2,
      vendorId: '2109',
      productId: '3431',
      manufacturer: null,
      product: 'USB2.0 Hub',
      deviceClass: '09',
      speedMbps: 480,
      usbVersion: ' 2.10',
    });
  }
  if (context.device.profile.role.name === 'weather') {
    usb.push({
      path: '1-1.3',
      bus: 1,
      device: 3,
      vendorId: '0403',
      productId: '6001',
      manufacturer: 'FTDI',
      product: 'FT232R USB UART',
      deviceClass: '00',
      speedMbps: 12,
      usbVersion: ' 2.00',
    });
  }
  const pci = model.startsWith('Raspberry Pi 4')
    ? [
        { address: '0000:00:00.0', vendorId: '14e4', deviceId: '2711', classCode: '060400', driver: 'pcieport' },
        { address: '0000:01:00.0', vendorId: '1106', deviceId: '3483', classCode: '0c0330', driver: 'xhci_hcd' },
      ]
    : model.startsWith('Raspberry Pi 5')
    ? [{ address: '0001:01:00.0', vendorId: '1de4', deviceId: '0001', classCode: '020000', driver: 'rp1' }]
    : [];
  return { usb, pci };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY_MS = 86_400_000;

/** A date as node's TLS certificate fields write it: `Dec  1 00:00:00 2025 GMT`. */
function certificateDate(ms: number): string {
  const date = new Date(ms);
  const time = date.toISOString().slice(11, 19);
  return `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(
    2,
    ' ',
  )} ${time} ${date.getUTCFullYear()} GMT`;
}

/**
 * The broker every virtual device connects to over TLS (documentation address): a 90-day certificate renewed every
 * 60 days, so it is always valid at the snapshot.
 *
 * @example
 * brokerTls(Date.UTC(2026, 0, 1)).certificate.validTo // 'Jan 26 23:59:59 2026 GMT'
 */
export function brokerTls(atMs: number) {
  const validFrom = Math.floor(atMs / (60 * DAY_MS)) * 60 * DAY_MS - 10 * DAY_MS;
  return {
    host: 'mqtt.twins.example',
    port: 8883,
    peerAddress: '203.0.113.10',
    protocol: 'TLSv1.3',
    cipher: { name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' },
    certificate: {
      subject: 'CN=mqtt.twins.example',
      issuer: "C=US\nO=Let's Encrypt\nCN=R11",
      validFrom: certificateDate(validFrom),
      validTo: certificateDate(validFrom + 90 * DAY_MS - 1000),
      serialNumber: (0x4a1c3e5f + Math.floor(validFrom / DAY_MS)).toString(16).toUpperCase().padStart(36, '0'),
      fingerprint256: '3F:7A:91:C2:5E:08:B4:D6:1A:2C:E3:47:98:F0:65:BD:0C:A9:14:72:E8:5B:36:D1:C7:4F:A2:09:83:6E:1B:5D',
      publicKeyBits: 2048,
    },
    authorized: true,
    error: null,
  };
}
