import { expect } from 'chai';
import { arpKind, parseArp, readArp } from '../../../agent/src/collect/arp';
import {
  parseResolvConf,
  parseResolvectlStatistics,
  readDnsCache,
  readDnsConfig,
} from '../../../agent/src/collect/dns';
import { parseIcmp, readIcmp } from '../../../agent/src/collect/icmp';
import { runProbe } from '../../../agent/src/collect/runProbe';
import { parseMapsLibraries, readSharedLibraries } from '../../../agent/src/collect/sharedLibraries';
import { fixture, fixtureOptions, fixturePaths } from './helpers';

describe('agent collect: ICMP, ARP, DNS and shared libraries', function () {
  describe('ICMP, ARP and DNS', function () {
    it('counts ICMP messages by type on the Pi', async function () {
      expect(await readIcmp(fixturePaths('pi4'))).to.deep.equal({
        inMessages: 57,
        inErrors: 2,
        outMessages: 56,
        outErrors: 0,
        inByType: { '0': 40, '3': 12, '8': 2, '11': 3 },
        outByType: { '0': 2, '3': 14, '8': 40 },
      });
    });

    it('counts the port-unreachable messages captured on this machine, and none without IcmpMsg lines', function () {
      expect(parseIcmp(fixture('linux-vm', 'proc/net/snmp'))).to.deep.equal({
        inMessages: 2,
        inErrors: 0,
        outMessages: 1,
        outErrors: 0,
        inByType: { '3': 2 },
        outByType: { '3': 1 },
      });
      const withoutMsg = fixture('pi4', 'proc/net/snmp').replace(/^IcmpMsg:.*\n/gm, '');
      expect(parseIcmp(withoutMsg)).to.include({ inMessages: 57 }).and.deep.include({ inByType: {}, outByType: {} });
    });

    it('tells static, dynamic and incomplete ARP entries apart', async function () {
      expect([0x6, 0x4, 0x2, 0x0].map(arpKind)).to.deep.equal(['static', 'static', 'dynamic', 'incomplete']);
      expect(await readArp(fixturePaths('pi4'))).to.deep.equal([
        { ip: '192.168.1.1', mac: 'e4:8d:8c:11:22:33', device: 'eth0', flags: '0x2', kind: 'dynamic' },
        { ip: '192.168.1.10', mac: 'b8:27:eb:44:55:66', device: 'eth0', flags: '0x6', kind: 'static' },
        { ip: '192.168.1.77', mac: '00:00:00:00:00:00', device: 'eth0', flags: '0x0', kind: 'incomplete' },
      ]);
      expect(parseArp(fixture('linux-vm', 'proc/net/arp'))).to.deep.equal([
        { ip: '192.0.2.1', mac: '02:fc:00:00:00:05', device: 'eth0', flags: '0x2', kind: 'dynamic' },
      ]);
    });

    it('reads resolv.conf', async function () {
      expect(await readDnsConfig(fixturePaths('pi4'))).to.deep.equal({
        nameservers: ['192.168.1.1', 'fd00::1'],
        search: ['lan'],
        options: ['edns0', 'trust-ad'],
      });
      expect(parseResolvConf('search a.example b.example\nnameserver 10.0.0.1 # office\n; comment\n')).to.deep.equal({
        nameservers: ['10.0.0.1'],
        search: ['a.example', 'b.example'],
        options: [],
      });
    });

    it("reads systemd-resolved's cache through resolvectl statistics", async function () {
      const output = [
        'DNSSEC supported by current servers: no',
        '',
        'Transactions',
        'Current Transactions: 0',
        '  Total Transactions: 1482',
        '',
        'Cache',
        '  Current Cache Size: 37',
        '          Cache Hits: 903',
        '        Cache Misses: 579',
        '',
      ].join('\n');
      expect(parseResolvectlStatistics(output)).to.deep.equal({
        source: 'systemd-resolved',
        entries: 37,
        hits: 903,
        misses: 579,
      });
      const options = fixtureOptions('pi4');
      const calls: string[] = [];
      options.host = {
        ...options.host,
        runCommand: async (file, args) => (calls.push(`${file} ${args.join(' ')}`), output),
      };
      expect(await readDnsCache(options)).to.include({ entries: 37 });
      expect(calls).to.deep.equal(['resolvectl statistics']);
    });

    it('says why there is no DNS cache when resolvectl is missing or fails', async function () {
      const options = fixtureOptions('pi4');
      const missing = await runProbe('dns.cache', 1000, () => readDnsCache(options));
      expect(missing).to.deep.equal({
        available: false,
        reason:
          'no DNS cache observable: resolvectl is not installed (the kernel keeps no DNS cache; systemd-resolved is the cache this agent reads)',
      });
      options.host = { ...options.host, runCommand: async () => 'Failed to get statistics\n' };
      const odd = await runProbe('dns.cache', 1000, () => readDnsCache(options));
      expect(odd.available).to.equal(false);
      expect(!odd.available && odd.reason).to.include('resolvectl statistics printed no cache figures');
    });
  });

  describe('shared libraries', function () {
    it('lists the shared objects mapped by a process, once each', function () {
      expect(parseMapsLibraries(fixture('pi4', 'proc/812/maps'))).to.deep.equal([
        '/usr/lib/arm-linux-gnueabihf/ld-linux-armhf.so.3',
        '/usr/lib/arm-linux-gnueabihf/libc.so.6',
        '/usr/lib/arm-linux-gnueabihf/libgcc_s.so.1',
        '/usr/lib/arm-linux-gnueabihf/libm.so.6',
        '/usr/lib/arm-linux-gnueabihf/libstdc++.so.6.0.30',
        '/usr/lib/arm-linux-gnueabihf/libz.so.1.2.13',
      ]);
      expect(parseMapsLibraries(fixture('linux-vm', 'proc/21140/maps'))).to.deep.equal([
        '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
        '/usr/lib/x86_64-linux-gnu/libc.so.6',
        '/usr/lib/x86_64-linux-gnu/libdl.so.2',
        '/usr/lib/x86_64-linux-gnu/libgcc_s.so.1',
        '/usr/lib/x86_64-linux-gnu/libm.so.6',
        '/usr/lib/x86_64-linux-gnu/libpthread.so.0',
        '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30',
      ]);
    });

    it('takes the largest processes whose maps it can read', async function () {
      const libraries = await readSharedLibraries(fixtureOptions('pi4'));
      expect(libraries.map((entry) => [entry.pid, entry.name, entry.libraries.length])).to.deep.equal([
        [812, 'node', 6],
        [1, 'systemd', 4],
      ]);
      expect(libraries[1]!.libraries).to.deep.equal([
        '/usr/lib/arm-linux-gnueabihf/ld-linux-armhf.so.3',
        '/usr/lib/arm-linux-gnueabihf/libc.so.6',
        '/usr/lib/arm-linux-gnueabihf/libcap.so.2.66',
        '/usr/lib/arm-linux-gnueabihf/systemd/libsystemd-shared-252.so',
      ]);
      expect(await readSharedLibraries(fixtureOptions('pi4', { sharedLibrariesProcessLimit: 0 }))).to.deep.equal([]);
    });
  });
});
