import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { binaryAddress, hostsNames } from '../../../agent/src/collect/dns';
import { parseLddUnused, readLibraryDependencies, readNeeded } from '../../../agent/src/collect/libraryDependencies';
import { ipv4Broadcast } from '../../../agent/src/collect/network';
import { createPlugAndPlayProbe, createProcessorProbe } from '../../../agent/src/collect/sarDevices';
import { plugAndPlaySchema, processorPerformanceSchema } from '../../../twin-core/src/messages/deviceActivity';
import { copyTree, fixtureOptions } from './helpers';

/** `DT_NEEDED` of a file on this machine, read by the agent's ELF reader. */
async function neededOf(path: string): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    return await readNeeded(async (offset, length) => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    });
  } finally {
    await file.close();
  }
}

describe('seed 001 parameters (issue 17 item 2)', function () {
  describe('broadcast address (IV.4)', function () {
    it('sets the host bits of the address, none for /31 and /32, null for what is not IPv4', function () {
      expect(ipv4Broadcast('192.168.1.40', '255.255.255.0')).to.equal('192.168.1.255');
      expect(ipv4Broadcast('10.99.1.2', '255.255.255.252')).to.equal('10.99.1.3');
      expect(ipv4Broadcast('172.16.5.9', '255.240.0.0')).to.equal('172.31.255.255');
      expect(ipv4Broadcast('10.0.0.1', '255.255.255.254')).to.equal(null);
      expect(ipv4Broadcast('10.0.0.1', '255.255.255.255')).to.equal(null);
      expect(ipv4Broadcast('fe80::1', 'ffff:ffff:ffff:ffff::')).to.equal(null);
    });
  });

  describe('DNS server information (IV.4)', function () {
    it('writes IPv4 and IPv6 addresses in binary, and refuses what is not an address', function () {
      expect(binaryAddress('192.168.1.1')).to.equal('11000000.10101000.00000001.00000001');
      expect(binaryAddress('fe80::1')).to.equal(
        ['1111111010000000', ...Array(6).fill('0000000000000000'), '0000000000000001'].join(':'),
      );
      expect(binaryAddress('resolver.lan')).to.equal(null);
    });

    it('reads the names /etc/hosts gives an address, comments left out', function () {
      const hosts = '127.0.0.1 localhost\n192.168.1.1 router.lan gw # the gateway\n192.168.1.1 dns.lan\n';
      expect(hostsNames(hosts, '192.168.1.1')).to.deep.equal(['router.lan', 'gw', 'dns.lan']);
      expect(hostsNames(hosts, '10.0.0.1')).to.deep.equal([]);
    });
  });

  describe('direct library dependencies, used and unused (IV.12 a–b)', function () {
    it("reads an executable's DT_NEEDED entries as ldd lists them", async function () {
      const needed = await neededOf(process.execPath);
      const ldd = execFileSync('ldd', [process.execPath], { encoding: 'utf8' });
      expect(needed).to.include('libc.so.6');
      for (const name of needed) expect(ldd).to.include(name);
    });

    it('splits them with ldd -u: used plus unused are exactly the direct ones', async function () {
      const options = fixtureOptions('pi4', { host: undefined });
      const dependencies = await readLibraryDependencies(process.execPath, options);
      expect(dependencies.executable).to.equal(process.execPath);
      expect([...dependencies.used, ...dependencies.unused].sort()).to.deep.equal((await neededOf(process.execPath)).sort());
      expect(parseLddUnused('Unused direct dependencies:\n\t/lib/x86_64-linux-gnu/libm.so.6\n\t/lib/libz.so.1\n')).to.deep.equal([
        '/lib/x86_64-linux-gnu/libm.so.6',
        '/lib/libz.so.1',
      ]);
    });

    it('refuses what is not ELF', async function () {
      const error = await readLibraryDependencies(__filename, fixtureOptions('pi4', { host: undefined })).catch((e) => e);
      expect(String(error)).to.match(/not an ELF file/);
    });
  });

  describe("sar's plug-and-play devices and processor performance (IV.9)", function () {
    it('lists the USB and PCI devices, then what was plugged in and removed', async function () {
      const tree = copyTree('pi4');
      try {
        const probe = createPlugAndPlayProbe(fixtureOptions('pi4', { paths: tree.paths }));
        const first = plugAndPlaySchema.parse(await probe());
        expect(first).to.deep.equal({ usbDevices: 4, pciDevices: 2, added: null, removed: null });
        mkdirSync(join(tree.paths.sys, 'bus', 'usb', 'devices', '1-1.4'));
        const second = await probe();
        expect(second).to.deep.include({ usbDevices: 5, added: ['usb:1-1.4'], removed: [] });
      } finally {
        tree.dispose();
      }
    });

    it('reports each CPU busy share over the interval, and why no frequency is known', async function () {
      const tree = copyTree('pi4');
      try {
        const options = fixtureOptions('pi4', { paths: tree.paths });
        const probe = createProcessorProbe(options);
        const first = processorPerformanceSchema.parse(await probe());
        expect(first.cpus.map((cpu) => cpu.cpu)).to.deep.equal([0, 1, 2, 3]);
        expect(first.cpus[0]!.busyPercent).to.equal(null);
        expect(first.frequencyUnavailable).to.match(/cpufreq: this kernel exposes no frequency scaling/);
        const freq = join(tree.paths.sys, 'devices', 'system', 'cpu', 'cpu0', 'cpufreq');
        mkdirSync(freq, { recursive: true });
        for (const [file, value] of [['scaling_cur_freq', '1500000'], ['cpuinfo_min_freq', '600000'], ['cpuinfo_max_freq', '1800000'], ['scaling_governor', 'ondemand']]) {
          writeFileSync(join(freq, file!), `${value}\n`);
        }
        // cpu0 spends 300 ticks in user and 700 idle: 30 % busy.
        const statFile = join(tree.paths.proc, 'stat');
        const stat = readFileSync(statFile, 'utf8').replace(/^cpu0 (\d+) (\d+) (\d+) (\d+)/m, (_, user, nice, system, idle) =>
          `cpu0 ${Number(user) + 300} ${nice} ${system} ${Number(idle) + 700}`);
        writeFileSync(statFile, stat);
        const second = processorPerformanceSchema.parse(await probe());
        expect(second.cpus[0]).to.deep.include({ currentMHz: 1500, minMHz: 600, maxMHz: 1800, governor: 'ondemand' });
        expect(second.cpus[0]!.busyPercent).to.equal(30);
        expect(second.cpus[1]!.busyPercent).to.equal(null); // no tick elapsed on cpu1
        expect(second.frequencyUnavailable).to.equal(null);
      } finally {
        tree.dispose();
      }
    });
  });
});
