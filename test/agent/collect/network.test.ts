import { expect } from 'chai';
import { readInterfaces, readNetwork } from '../../../agent/src/collect/network';
import { decodeHexIpv4, decodeHexIpv6, decodeHexIpv6Words, formatIpv6 } from '../../../agent/src/collect/ipAddress';
import { formatRouteFlags, parseIpv4Routes, parseIpv6Routes } from '../../../agent/src/collect/routes';
import { listeningPorts, parseSockets, socketCounts } from '../../../agent/src/collect/sockets';
import { networkSchema } from '../../../twin-core/src/messages/snapshot';
import { fixture, fixtureOptions } from './helpers';

describe('agent collect: network', function () {
  describe('addresses', function () {
    it('decodes host-order IPv4 words as /proc/net writes them (little-endian hosts)', function () {
      expect(decodeHexIpv4('0100007F', true)).to.equal('127.0.0.1');
      expect(decodeHexIpv4('2801A8C0', true)).to.equal('192.168.1.40');
      expect(decodeHexIpv4('C0A80128', false)).to.equal('192.168.1.40');
    });

    it('writes IPv6 as RFC 5952 text', function () {
      const bytes = (hex: string) => hex.match(/../g)!.map((pair) => Number.parseInt(pair, 16));
      expect(formatIpv6(bytes('00000000000000000000000000000001'))).to.equal('::1');
      expect(formatIpv6(bytes('00000000000000000000000000000000'))).to.equal('::');
      expect(formatIpv6(bytes('20010db8000000010000000000000001'))).to.equal('2001:db8:0:1::1');
      expect(formatIpv6(bytes('20010db8000000000001000000000001'))).to.equal('2001:db8::1:0:0:1');
      expect(formatIpv6(bytes('20010db8000100020003000400050006'))).to.equal('2001:db8:1:2:3:4:5:6');
      expect(formatIpv6(bytes('00000000000000000000ffffc0a80128'))).to.equal('::ffff:192.168.1.40');
    });

    it('decodes tcp6 words (host order) and ipv6_route addresses (network order)', function () {
      expect(decodeHexIpv6Words('00000000000000000000000001000000', true)).to.equal('::1');
      expect(decodeHexIpv6Words('0000000000000000FFFF00002801A8C0', true)).to.equal('::ffff:192.168.1.40');
      expect(decodeHexIpv6('fe80000000000000e68d8cfffe112233')).to.equal('fe80::e68d:8cff:fe11:2233');
    });
  });

  describe('routes', function () {
    it('formats route flags as route -n does', function () {
      expect(formatRouteFlags(0x0003)).to.equal('UG');
      expect(formatRouteFlags(0x0001)).to.equal('U');
      expect(formatRouteFlags(0x0205)).to.equal('UH!');
      expect(formatRouteFlags(0x40003)).to.equal('UGA');
    });

    it('parses the Pi routing tables', function () {
      expect(parseIpv4Routes(fixture('pi4', 'proc/net/route'), true)).to.deep.equal([
        {
          family: 'IPv4',
          destination: '0.0.0.0/0',
          gateway: '192.168.1.1',
          interface: 'eth0',
          metric: 202,
          flags: 'UG',
        },
        { family: 'IPv4', destination: '192.168.1.0/24', gateway: null, interface: 'eth0', metric: 202, flags: 'U' },
      ]);
      expect(parseIpv6Routes(fixture('pi4', 'proc/net/ipv6_route'))).to.deep.equal([
        { family: 'IPv6', destination: 'fd00::/64', gateway: null, interface: 'eth0', metric: 256, flags: 'U' },
        { family: 'IPv6', destination: 'fe80::/64', gateway: null, interface: 'eth0', metric: 256, flags: 'U' },
        {
          family: 'IPv6',
          destination: '::/0',
          gateway: 'fe80::e68d:8cff:fe11:2233',
          interface: 'eth0',
          metric: 1024,
          flags: 'UGA',
        },
        { family: 'IPv6', destination: '::1/128', gateway: null, interface: 'lo', metric: 0, flags: 'U' },
      ]);
    });

    it('parses the routing tables captured on this machine', function () {
      expect(parseIpv4Routes(fixture('linux-vm', 'proc/net/route'), true)).to.deep.equal([
        { family: 'IPv4', destination: '0.0.0.0/0', gateway: '192.0.2.1', interface: 'eth0', metric: 0, flags: 'UG' },
        { family: 'IPv4', destination: '192.0.2.0/24', gateway: null, interface: 'eth0', metric: 0, flags: 'U' },
      ]);
      const routes6 = parseIpv6Routes(fixture('linux-vm', 'proc/net/ipv6_route'));
      expect(routes6).to.have.length(8);
      expect(routes6[2]).to.deep.equal({
        family: 'IPv6',
        destination: '::/0',
        gateway: 'fd00::1',
        interface: 'eth0',
        metric: 1024,
        flags: 'UG',
      });
      expect(routes6[6]).to.include({ destination: 'ff00::/8', metric: 256 });
      expect(routes6[7]).to.include({ destination: '::/0', interface: 'lo', metric: 4294967295, flags: '!' });
    });
  });

  describe('sockets', function () {
    it('parses TCP and UDP sockets of the Pi, IPv4 and IPv6', function () {
      const tcp = parseSockets('tcp', fixture('pi4', 'proc/net/tcp'), true);
      expect(
        tcp.map(
          (socket) =>
            `${socket.localAddress}:${socket.localPort} ${socket.remoteAddress}:${socket.remotePort} ${socket.state}`,
        ),
      ).to.deep.equal([
        '0.0.0.0:22 0.0.0.0:0 LISTEN',
        '127.0.0.1:631 0.0.0.0:0 LISTEN',
        '192.168.1.40:22 192.168.1.20:51514 ESTABLISHED',
        '192.168.1.40:40312 192.168.1.10:8883 ESTABLISHED',
        '192.168.1.40:48220 93.184.215.14:443 TIME_WAIT',
      ]);
      expect(tcp[3]).to.deep.equal({
        protocol: 'tcp',
        localAddress: '192.168.1.40',
        localPort: 40312,
        remoteAddress: '192.168.1.10',
        remotePort: 8883,
        state: 'ESTABLISHED',
        uid: 1000,
        inode: 21877,
      });
      const tcp6 = parseSockets('tcp6', fixture('pi4', 'proc/net/tcp6'), true);
      expect(tcp6[1]).to.include({
        localAddress: '::ffff:192.168.1.40',
        remoteAddress: '::ffff:192.168.1.21',
        remotePort: 54321,
        state: 'ESTABLISHED',
      });
      const udp = parseSockets('udp', fixture('pi4', 'proc/net/udp'), true);
      expect(udp.map((socket) => [socket.localPort, socket.state, socket.uid])).to.deep.equal([
        [68, 'UNCONN', 0],
        [5353, 'UNCONN', 108],
        [41000, 'ESTABLISHED', 1000],
      ]);
    });

    it('parses the sockets captured on this machine (a loopback server and client, IPv4 and IPv6)', function () {
      const tcp = parseSockets('tcp', fixture('linux-vm', 'proc/net/tcp'), true);
      expect(tcp).to.have.length(7);
      expect(tcp[0]).to.include({ localAddress: '127.0.0.1', localPort: 38287, state: 'LISTEN' });
      expect(tcp[3]).to.include({
        localPort: 56076,
        remoteAddress: '127.0.0.1',
        remotePort: 38287,
        state: 'ESTABLISHED',
        inode: 59430,
      });
      expect(tcp[2]!.state).to.equal('TIME_WAIT');
      const tcp6 = parseSockets('tcp6', fixture('linux-vm', 'proc/net/tcp6'), true);
      expect(
        tcp6.map((socket) => [
          socket.localAddress,
          socket.localPort,
          socket.remoteAddress,
          socket.remotePort,
          socket.state,
        ]),
      ).to.deep.equal([
        ['::', 33199, '::', 0, 'LISTEN'],
        ['::1', 33199, '::1', 59052, 'ESTABLISHED'],
        ['::1', 59052, '::1', 33199, 'ESTABLISHED'],
      ]);
      expect(parseSockets('udp6', fixture('linux-vm', 'proc/net/udp6'), true)[0]).to.include({
        localAddress: '::',
        localPort: 42861,
        state: 'UNCONN',
      });
    });

    it('lists listening ports and counts sockets', function () {
      const sockets = [
        ...parseSockets('tcp', fixture('pi4', 'proc/net/tcp'), true),
        ...parseSockets('tcp6', fixture('pi4', 'proc/net/tcp6'), true),
        ...parseSockets('udp', fixture('pi4', 'proc/net/udp'), true),
        ...parseSockets('udp6', fixture('pi4', 'proc/net/udp6'), true),
      ];
      expect(listeningPorts(sockets)).to.deep.equal([
        { protocol: 'tcp', address: '0.0.0.0', port: 22 },
        { protocol: 'tcp6', address: '::', port: 22 },
        { protocol: 'udp', address: '0.0.0.0', port: 68 },
        { protocol: 'tcp', address: '127.0.0.1', port: 631 },
        { protocol: 'udp', address: '0.0.0.0', port: 5353 },
        { protocol: 'udp6', address: '::', port: 5353 },
      ]);
      expect(socketCounts(sockets)).to.deep.equal({ tcp: 7, udp: 4, tcpEstablished: 3, tcpListening: 3 });
    });
  });

  describe('interfaces and the network probe', function () {
    it("reads the Pi's interfaces: sysfs attributes, /proc/net/dev counters, node's addresses", async function () {
      const interfaces = await readInterfaces(fixtureOptions('pi4'));
      expect(interfaces.map((entry) => entry.name)).to.deep.equal(['eth0', 'lo', 'wlan0']);
      expect(interfaces[0]).to.deep.equal({
        name: 'eth0',
        mac: 'dc:a6:32:0a:1b:2c',
        mtu: 1500,
        operState: 'up',
        speedMbps: 1000,
        addresses: [
          { family: 'IPv4', address: '192.168.1.40', cidr: '192.168.1.40/24', broadcast: '192.168.1.255' },
          { family: 'IPv6', address: 'fe80::dea6:32ff:fe0a:1b2c', cidr: 'fe80::dea6:32ff:fe0a:1b2c/64', broadcast: null },
        ],
        statistics: {
          rxBytes: 812345678,
          rxPackets: 901234,
          rxErrors: 0,
          rxDropped: 12,
          txBytes: 98765432,
          txPackets: 456789,
          txErrors: 0,
          txDropped: 0,
        },
      });
      expect(interfaces[2]).to.deep.include({ name: 'wlan0', operState: 'dormant', speedMbps: null, addresses: [] });
    });

    it('assembles the network section, keeping listening and established sockets first under the limit', async function () {
      const network = await readNetwork(fixtureOptions('pi4', { socketLimit: 4 }));
      expect(networkSchema.parse(network)).to.deep.equal(network);
      expect(network.routes).to.have.length(6);
      expect(network.socketsTruncated).to.equal(true);
      expect(network.sockets.map((socket) => `${socket.protocol} ${socket.localPort} ${socket.state}`)).to.deep.equal([
        'tcp 22 LISTEN',
        'tcp 631 LISTEN',
        'tcp6 22 LISTEN',
        'udp 68 UNCONN',
      ]);
      expect(network.listening).to.have.length(6);
      expect(network.counts).to.deep.equal({ tcp: 7, udp: 4, tcpEstablished: 3, tcpListening: 3 });
    });
  });
});
