import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  readIpc,
  formatIpcKey,
  parseMessageQueues,
  parseSemaphores,
  parseSharedMemory,
} from '../../../agent/src/collect/ipc';
import { parseDmesg, parseKmsg, readKernelLog, readKmsg } from '../../../agent/src/collect/kernelLog';
import { readPciDevices } from '../../../agent/src/collect/pci';
import { runProbe } from '../../../agent/src/collect/runProbe';
import { parseBootTime, parseLoadavg, parseUptime, readSystem } from '../../../agent/src/collect/system';
import { isUsbDeviceEntry, readUsbDevices } from '../../../agent/src/collect/usb';
import { copyTree, fixture, fixtureOptions, fixturePaths } from './helpers';

describe('agent collect: system, kernel log, USB, PCI, IPC', function () {
  describe('system', function () {
    it('parses loadavg, uptime and btime captured on this machine', function () {
      expect(parseLoadavg(fixture('linux-vm', 'proc/loadavg'))).to.deep.equal({
        load: [0.86, 1.07, 0.92],
        running: 3,
        total: 102,
        lastPid: 21146,
      });
      expect(parseUptime(fixture('linux-vm', 'proc/uptime'))).to.equal(2774.77);
      expect(parseBootTime(fixture('linux-vm', 'proc/stat'))).to.equal(1795251708);
      expect(() => parseLoadavg('garbage')).to.throw('malformed /proc/loadavg');
    });

    it('reads hostname, uptime, last restart and load of the Pi', async function () {
      expect(await readSystem(fixtureOptions('pi4'))).to.deep.equal({
        hostname: 'garden-pi',
        uptimeSeconds: 86400.52,
        bootTime: '2026-10-31T08:12:17.000Z',
        loadAverage: [0.42, 0.31, 0.25],
      });
    });

    it('derives the last restart from the clock and uptime when /proc/stat has no btime', async function () {
      const tree = copyTree('pi4');
      try {
        writeFileSync(join(tree.paths.proc, 'stat'), 'cpu  1 2 3 4 5 6 7 8 0 0\n');
        const options = fixtureOptions('pi4', { paths: tree.paths });
        const system = await readSystem(options);
        expect(system.bootTime).to.equal(new Date(options.clock.ms - 86400520).toISOString());
      } finally {
        tree.dispose();
      }
    });
  });

  describe('kernel log', function () {
    it('parses kmsg records: level, seconds since boot, message; metadata lines skipped', function () {
      const lines = parseKmsg(fixture('pi4', 'dev/kmsg'));
      expect(lines).to.have.length(9);
      expect(lines[0]).to.deep.equal({ uptimeSeconds: 0, priority: 5, message: 'Booting Linux on physical CPU 0x0' });
      expect(lines[4]).to.deep.equal({
        uptimeSeconds: 2.874512,
        priority: 6,
        message: 'usb 1-1: new high-speed USB device number 2 using xhci_hcd',
      });
      expect(lines[7]).to.deep.equal({
        uptimeSeconds: 86100.123456,
        priority: 3,
        message: 'mmc0: timeout waiting for hardware interrupt.',
      });
    });

    it('parses dmesg -r output, facility bits removed', function () {
      expect(
        parseDmesg('<6>[    1.437146] random: crng reseeded\n<30>[   12.500000] systemd[1]: Started\nno prefix\n'),
      ).to.deep.equal([
        { uptimeSeconds: 1.437146, priority: 6, message: 'random: crng reseeded' },
        { uptimeSeconds: 12.5, priority: 6, message: 'systemd[1]: Started' },
        { uptimeSeconds: null, priority: null, message: 'no prefix' },
      ]);
    });

    it('keeps the last lines of /dev/kmsg', async function () {
      const log = await readKernelLog(fixtureOptions('pi4', { kernelLogLines: 2 }));
      expect(log).to.deep.equal({
        source: '/dev/kmsg',
        lines: [
          { uptimeSeconds: 86100.123456, priority: 3, message: 'mmc0: timeout waiting for hardware interrupt.' },
          {
            uptimeSeconds: 86390.000001,
            priority: 6,
            message: 'bcmgenet fd580000.ethernet eth0: Link is Up - 1Gbps/Full - flow control rx/tx',
          },
        ],
      });
    });

    it('reads a buffer longer than one read without losing or cutting records', function () {
      const tree = copyTree('pi4');
      try {
        const records = Array.from(
          { length: 3000 },
          (_, index) => `6,${index},${index * 1000},-;record number ${index} ${'x'.repeat(index % 50)}\n`,
        );
        writeFileSync(join(tree.paths.dev, 'kmsg'), records.join(''));
        const lines = readKmsg(join(tree.paths.dev, 'kmsg'), 3);
        expect(lines.map((line) => line.message.split(' ').slice(0, 3).join(' '))).to.deep.equal([
          'record number 2997',
          'record number 2998',
          'record number 2999',
        ]);
        expect(readKmsg(join(tree.paths.dev, 'kmsg'), 0)).to.deep.equal([]);
      } finally {
        tree.dispose();
      }
    });

    it('falls back to dmesg -r when /dev/kmsg cannot be read', async function () {
      const calls: string[][] = [];
      const options = fixtureOptions('linux-vm');
      options.host = {
        ...options.host,
        runCommand: async (file, args, timeoutMs) => {
          calls.push([file, ...args, String(timeoutMs)]);
          return '<4>[    3.000000] first\n<6>[    4.000000] second\n';
        },
      };
      const log = await readKernelLog(options);
      expect(calls).to.deep.equal([['dmesg', '-r', '1000']]);
      expect(log).to.deep.equal({
        source: 'dmesg',
        lines: [
          { uptimeSeconds: 3, priority: 4, message: 'first' },
          { uptimeSeconds: 4, priority: 6, message: 'second' },
        ],
      });
    });

    it('is unavailable with both reasons when neither kmsg nor dmesg works', async function () {
      const options = fixtureOptions('linux-vm');
      const result = await runProbe('kernelLog', 1000, () => readKernelLog(options));
      expect(result).to.deep.equal({
        available: false,
        reason: `${options.paths.dev}/kmsg does not exist; dmesg is not installed`,
      });
    });
  });

  describe('USB and PCI', function () {
    it('recognises device entries, not interfaces', function () {
      expect(['usb1', '1-1', '1-1.3', '2-1.4.2'].every(isUsbDeviceEntry)).to.equal(true);
      expect(['1-1:1.0', 'usb1:1.0', 'driver'].some(isUsbDeviceEntry)).to.equal(false);
    });

    it("lists the Pi's USB buses and devices with speed and class", async function () {
      const devices = await readUsbDevices(fixturePaths('pi4'));
      expect(devices.map((device) => device.path)).to.deep.equal(['usb1', '1-1', '1-1.3', 'usb2']);
      expect(devices[0]).to.deep.equal({
        path: 'usb1',
        bus: 1,
        device: 1,
        vendorId: '1d6b',
        productId: '0002',
        manufacturer: 'Linux 6.6.51+rpt-rpi-v7l xhci-hcd',
        product: 'xHCI Host Controller',
        deviceClass: '09',
        speedMbps: 480,
        usbVersion: '2.00',
      });
      expect(devices[1]).to.include({
        product: 'USB2.0 Hub',
        manufacturer: null,
        deviceClass: '09',
        usbVersion: '2.10',
      });
      expect(devices[2]).to.include({ vendorId: '0403', productId: '6001', speedMbps: 12, deviceClass: '00' });
      expect(devices[3]).to.include({ bus: 2, speedMbps: 5000, usbVersion: '3.00' });
    });

    it('is unavailable with the reason when there is no USB bus in sysfs', async function () {
      const paths = fixturePaths('linux-vm');
      expect(await runProbe('usb', 1000, () => readUsbDevices(paths))).to.deep.equal({
        available: false,
        reason: `${paths.sys}/bus/usb/devices does not exist`,
      });
    });

    it("lists the Pi 4's PCIe bridge and USB controller with their drivers", async function () {
      expect(await readPciDevices(fixturePaths('pi4'))).to.deep.equal([
        { address: '0000:00:00.0', vendorId: '14e4', deviceId: '2711', classCode: '060400', driver: 'pcieport' },
        { address: '0000:01:00.0', vendorId: '1106', deviceId: '3483', classCode: '0c0330', driver: 'xhci_hcd' },
      ]);
    });
  });

  describe('IPC', function () {
    it('formats keys as ipcs does', function () {
      expect(formatIpcKey('12345678')).to.equal('0x00bc614e');
      expect(formatIpcKey('-16777216')).to.equal('0xff000000');
      expect(formatIpcKey('0')).to.equal('0x00000000');
    });

    it('reads one queue, one semaphore set and one segment on the Pi', async function () {
      expect(await readIpc(fixturePaths('pi4'))).to.deep.equal({
        messageQueues: [{ key: '0x00bc614e', id: 0, perms: '666', uid: 1000, bytes: 64, messages: 2 }],
        semaphores: [{ key: '0x00000000', id: 1, perms: '600', uid: 0, semaphores: 1 }],
        sharedMemory: [{ key: '0xff000000', id: 2, perms: '1600', uid: 1000, sizeBytes: 65536, attached: 1 }],
      });
    });

    it('reads the tables captured on this machine (made with ipcmk)', function () {
      expect(parseMessageQueues(fixture('linux-vm', 'proc/sysvipc/msg'))).to.deep.equal([
        { key: '0xe2ae3111', id: 0, perms: '644', uid: 0, bytes: 0, messages: 0 },
      ]);
      expect(parseSemaphores(fixture('linux-vm', 'proc/sysvipc/sem'))).to.deep.equal([
        { key: '0x13269de8', id: 0, perms: '644', uid: 0, semaphores: 2 },
      ]);
      expect(parseSharedMemory(fixture('linux-vm', 'proc/sysvipc/shm'))).to.deep.equal([
        { key: '0x29e8e320', id: 0, perms: '644', uid: 0, sizeBytes: 4096, attached: 0 },
      ]);
    });

    it('is unavailable when the kernel has no System V IPC', async function () {
      const paths = { ...fixturePaths('pi4'), proc: '/nonexistent' };
      const result = await runProbe('ipc', 1000, () => readIpc(paths));
      expect(result).to.deep.equal({
        available: false,
        reason: '/nonexistent/sysvipc/{msg,sem,shm} do not exist: the kernel has no System V IPC (CONFIG_SYSVIPC)',
      });
    });
  });
});
