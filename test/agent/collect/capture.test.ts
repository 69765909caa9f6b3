import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer, connect as netConnect, type AddressInfo } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { decodePacket, LINK_TYPES } from '../../../agent/src/collect/capture/decodePacket';
import { parseDnsMessage } from '../../../agent/src/collect/capture/dnsMessage';
import { createPcapParser, type CapturedFrame } from '../../../agent/src/collect/capture/pcapStream';
import { parseTlsHello } from '../../../agent/src/collect/capture/tlsHello';
import { createTrafficState } from '../../../agent/src/collect/capture/trafficState';
import { parseConntrack } from '../../../agent/src/collect/conntrack';
import { withCapture, networkBehaviour, bootSample } from '../../../agent/src/collect/behaviour';
import { createLab, labUnavailable, startLabServices, type Lab } from '../../../lab/src';
import { snapshotBodySchema } from '../../../twin-core/src/messages/snapshot';
import { telemetryBodySchema } from '../../../twin-core/src/messages/telemetry';
import { createTestPki } from '../../helpers/certificates';

const ROOT = join(__dirname, '..', '..', '..');

/** A DNS message by hand: header, one question, answers given as raw record bytes. */
function dnsMessage(flags: number, question: number[], answers: number[][], authority: number[][] = []): Uint8Array {
  const header = [0x12, 0x34, flags >> 8, flags & 0xff, 0, 1, 0, answers.length, 0, authority.length, 0, 0];
  return Uint8Array.from([...header, ...question, ...answers.flat(), ...authority.flat()]);
}
const name = (...labels: string[]) => [...labels.flatMap((label) => [label.length, ...Buffer.from(label)]), 0];
const u16 = (value: number) => [value >> 8, value & 0xff];
const u32 = (value: number) => [...u16(Math.floor(value / 65536)), ...u16(value & 0xffff)];

/** An Ethernet + IPv4 + UDP frame carrying `payload`. */
function udpFrame(source: number[], destination: number[], sourcePort: number, destinationPort: number, payload: Uint8Array) {
  const ipLength = 20 + 8 + payload.length;
  return Uint8Array.from([
    ...Array(12).fill(0), 0x08, 0x00,
    0x45, 0, ...u16(ipLength), 0, 0, 0, 0, 64, 17, 0, 0, ...source, ...destination,
    ...u16(sourcePort), ...u16(destinationPort), ...u16(8 + payload.length), 0, 0,
    ...payload,
  ]);
}

/** A pcap stream (little-endian, microseconds) of `frames` with link type `linkType`. */
function pcap(linkType: number, frames: Array<{ atMs: number; bytes: Uint8Array }>): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(linkType, 20);
  const records = frames.map(({ atMs, bytes }) => {
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(atMs / 1000), 0);
    record.writeUInt32LE(Math.round((atMs % 1000) * 1000), 4);
    record.writeUInt32LE(bytes.length, 8);
    record.writeUInt32LE(bytes.length, 12);
    return Buffer.concat([record, Buffer.from(bytes)]);
  });
  return Buffer.concat([header, ...records]);
}

/** The first bytes each side of a real TLS handshake sends (node's client and server over loopback, port 0). */
async function realHellos(): Promise<{ client: Buffer; server: Buffer }> {
  const pki = createTestPki();
  const server = createTlsServer({ key: readFileSync(pki.serverKeyFile), cert: readFileSync(pki.serverCertFile) });
  server.on('secureConnection', (socket) => socket.end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let client: Buffer | undefined;
  let serverBytes: Buffer | undefined;
  const proxy = createNetServer((inbound) => {
    const outbound = netConnect((server.address() as AddressInfo).port, '127.0.0.1');
    inbound.on('data', (chunk) => {
      client ??= chunk;
      outbound.write(chunk);
    });
    outbound.on('data', (chunk) => {
      serverBytes ??= chunk;
      inbound.write(chunk);
    });
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => {
    const socket = tlsConnect({
      port: (proxy.address() as AddressInfo).port,
      host: '127.0.0.1',
      servername: 'device.example',
      ALPNProtocols: ['mqtt'],
      rejectUnauthorized: false,
    });
    socket.once('secureConnect', () => socket.end());
    socket.once('close', () => resolve());
    socket.once('error', () => resolve());
  });
  await new Promise((resolve) => proxy.close(resolve));
  await new Promise((resolve) => server.close(resolve));
  return { client: client!, server: serverBytes! };
}

describe('Packet capture: headers only (issue 17)', function () {
  describe('the pcap stream and the header decoder', function () {
    it('decodes every record of a stream fed in arbitrary chunks, Ethernet and Linux cooked capture', function () {
      const query = dnsMessage(0x0100, [...name('svc', 'lab'), ...u16(1), ...u16(1)], []);
      const frame = udpFrame([10, 99, 0, 2], [10, 99, 0, 1], 40000, 53, query);
      const stream = pcap(LINK_TYPES.ethernet, [
        { atMs: 1_700_000_000_123.5, bytes: frame },
        { atMs: 1_700_000_000_500, bytes: frame },
      ]);
      const frames: CapturedFrame[] = [];
      const parser = createPcapParser((captured) => frames.push({ ...captured, bytes: captured.bytes.slice() }));
      for (let offset = 0; offset < stream.length; offset += 7) parser.push(stream.subarray(offset, offset + 7));
      expect(frames).to.have.length(2);
      expect(frames[0]!.atMs).to.be.closeTo(1_700_000_000_123.5, 0.001);
      const packet = decodePacket(frames[0]!)!;
      expect(packet).to.deep.include({
        family: 4,
        source: '10.99.0.2',
        destination: '10.99.0.1',
        protocol: 'udp',
        sourcePort: 40000,
        destinationPort: 53,
        outgoing: null,
        payloadBytes: query.length,
      });
      expect(parseDnsMessage(packet.payload)!.questions).to.deep.equal([{ name: 'svc.lab', type: 'A' }]);
      // Linux cooked capture v1: packet type 4 = sent by this host.
      const cooked = Uint8Array.from([0, 4, 0, 1, 0, 6, ...Array(8).fill(0), 0x08, 0x00, ...frame.subarray(14)]);
      expect(decodePacket({ atMs: 0, linkType: LINK_TYPES.linuxSll, bytes: cooked, wireLength: cooked.length })).to.deep.include({
        outgoing: true,
        loopback: false,
      });
    });

    it('refuses a stream that is not pcap, and a record larger than the bound', function () {
      expect(() => createPcapParser(() => undefined).push(Buffer.alloc(24, 7))).to.throw(/not a pcap stream/);
      const stream = pcap(LINK_TYPES.ethernet, [{ atMs: 0, bytes: new Uint8Array(600) }]);
      expect(() => createPcapParser(() => undefined, 512).push(stream)).to.throw(/exceeds 512/);
    });

    it('returns null for frames too short to hold their headers, and for non-IP frames', function () {
      expect(decodePacket({ atMs: 0, linkType: LINK_TYPES.ethernet, bytes: new Uint8Array(10), wireLength: 10 })).to.equal(null);
      const arp = Uint8Array.from([...Array(12).fill(0), 0x08, 0x06, ...Array(28).fill(0)]);
      expect(decodePacket({ atMs: 0, linkType: LINK_TYPES.ethernet, bytes: arp, wireLength: arp.length })).to.equal(null);
    });
  });

  describe('DNS messages (seed 001 IX.3: QD, AN, NS)', function () {
    it('reads questions, compressed answers (CNAME, A) and an SOA name-server record', function () {
      const question = [...name('www', 'svc', 'lab'), ...u16(1), ...u16(1)];
      const cname = [0xc0, 12, ...u16(5), ...u16(1), ...u32(300), ...u16(2), 0xc0, 16];
      const a = [0xc0, 16, ...u16(1), ...u16(1), ...u32(60), ...u16(4), 10, 99, 0, 1];
      const soaData = [...name('ns', 'lab'), ...name('admin', 'lab'), ...u32(7), ...u32(3600), ...u32(600), ...u32(86400), ...u32(60)];
      const soa = [0xc0, 20, ...u16(6), ...u16(1), ...u32(900), ...u16(soaData.length), ...soaData];
      const message = parseDnsMessage(dnsMessage(0x8180, question, [cname, a], [soa]))!;
      expect(message).to.deep.include({ id: 0x1234, response: true, rcode: 'NOERROR', truncated: false });
      expect(message.questions).to.deep.equal([{ name: 'www.svc.lab', type: 'A' }]);
      expect(message.answers).to.deep.equal([
        { name: 'www.svc.lab', type: 'CNAME', ttl: 300, data: 'svc.lab' },
        { name: 'svc.lab', type: 'A', ttl: 60, data: '10.99.0.1' },
      ]);
      expect(message.authority[0]).to.deep.equal({
        name: 'lab',
        type: 'SOA',
        ttl: 900,
        data: 'mname=ns.lab rname=admin.lab serial=7 refresh=3600 retry=600 expire=86400 minimum=60',
      });
    });

    it('marks a message cut by the snaplen as truncated and refuses a compression loop', function () {
      const question = [...name('svc', 'lab'), ...u16(1), ...u16(1)];
      const a = [0xc0, 12, ...u16(1), ...u16(1), ...u32(60), ...u16(4), 10, 99, 0, 1];
      const whole = dnsMessage(0x8180, question, [a]);
      expect(parseDnsMessage(whole.subarray(0, whole.length - 3))).to.deep.include({ truncated: true, answers: [] });
      const loop = dnsMessage(0x0100, [0xc0, 12, ...u16(1), ...u16(1)], []);
      expect(parseDnsMessage(loop)).to.equal(null);
      expect(parseDnsMessage(new Uint8Array(5))).to.equal(null);
    });
  });

  describe('TLS hellos (seed 001 IX.2)', function () {
    let hellos: { client: Buffer; server: Buffer };
    before(async function () {
      hellos = await realHellos();
    });

    it("reads a real ClientHello's versions, offered ciphers, SNI and ALPN", function () {
      const hello = parseTlsHello(hellos.client)!;
      expect(hello).to.deep.include({ kind: 'client-hello', handshakeType: 1, serverName: 'device.example', version: 'TLSv1.3', truncated: false });
      expect(hello.alpn).to.deep.equal(['mqtt']);
      expect(hello.offeredCipherCount).to.be.greaterThan(3);
      expect(hello.offeredCiphers).to.include('TLS_AES_256_GCM_SHA384');
      expect(hello.handshakeBytes).to.equal(hellos.client.readUIntBE(6, 3));
    });

    it("reads a real ServerHello's negotiated version and cipher", function () {
      const hello = parseTlsHello(hellos.server)!;
      expect(hello).to.deep.include({ kind: 'server-hello', handshakeType: 2, version: 'TLSv1.3', recordVersion: 'TLSv1.2' });
      expect(hello.cipher).to.match(/^TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/);
    });

    it('keeps what a snaplen-cut ClientHello holds, and ignores what is not a hello', function () {
      const cut = parseTlsHello(hellos.client.subarray(0, 60))!;
      expect(cut).to.deep.include({ kind: 'client-hello', truncated: true, serverName: null });
      expect(parseTlsHello(Buffer.from([23, 3, 3, 0, 5, 1, 2, 3, 4, 5]))).to.equal(null);
    });
  });

  describe('the traffic state', function () {
    const packet = (atMs: number, outgoing: boolean, fields: Record<string, unknown>) =>
      ({
        atMs,
        outgoing,
        loopback: false,
        family: 4,
        source: outgoing ? '10.0.0.2' : '10.0.0.1',
        destination: outgoing ? '10.0.0.1' : '10.0.0.2',
        protocol: 'tcp',
        ipProtocol: 6,
        sourcePort: outgoing ? 40000 : 443,
        destinationPort: outgoing ? 443 : 40000,
        tcpFlags: 0,
        tcpSeq: 0,
        icmpType: -1,
        icmpCode: -1,
        ipBytes: 60,
        payloadBytes: 0,
        payload: new Uint8Array(0),
        ...fields,
      }) as Parameters<ReturnType<typeof createTrafficState>['add']>[0];

    it('measures handshake RTT, jitter, session duration, payload entropy and beacon-like regularity', function () {
      const state = createTrafficState({ maxFlows: 64, maxRecords: 8, burstGapMs: 50 });
      const interval = state.openInterval(0);
      const rtts = [2, 4, 3];
      rtts.forEach((rtt, index) => {
        const start = index * 1000;
        const port = 40000 + index;
        state.add(packet(start, true, { tcpFlags: 0x02, sourcePort: port }), true);
        state.add(packet(start + rtt, false, { tcpFlags: 0x12, destinationPort: port }), false);
        state.add(packet(start + 500, true, { tcpFlags: 0x11, sourcePort: port, payloadBytes: 100 }), true);
      });
      // A UDP beacon: 200 ms apart, one size.
      for (let index = 0; index < 20; index++) {
        state.add(packet(5000 + index * 200, true, { protocol: 'udp', ipProtocol: 17, destinationPort: 9999, payloadBytes: 64 }), true);
      }
      const metrics = state.metrics(interval, 10_000);
      expect(metrics.latencyMs).to.equal(3);
      expect(metrics.jitterMs).to.equal(1.5); // |4 − 2|, |3 − 4|
      expect(metrics.meanSessionSeconds).to.equal(0.5);
      expect(metrics.interArrivalCv).to.equal(0.005); // the floor: the beacon is exactly periodic
      // contributions: only the beacon's (200 ms): the HTTPS destination has too few gaps (< 8) to count
      expect(metrics.meanInterArrivalMs).to.equal(200);
      expect(metrics.meanPayloadBytes).to.be.closeTo((3 * 100 + 20 * 64) / 23, 0.01);
      // per destination: the beacon's one size is 0 bits; HTTPS has too few payloads (< 8) to count (pooled: 0.559)
      expect(metrics.payloadSizeEntropyBits).to.equal(0);
      const next = state.metrics(interval, 11_000);
      expect(next.meanSessionSeconds).to.equal(null);
      expect(next.dnsQueriesPerSec).to.equal(0);
    });

    const round4 = (value: number) => Math.round(value * 1e4) / 1e4;
    it('takes the payload-size entropy per destination: each payload adds its destination\'s, a beacon pulls it down', function () {
      const state = createTrafficState({ maxFlows: 64, maxRecords: 8, burstGapMs: 50 });
      const interval = state.openInterval(0);
      const send = (atMs: number, destinationPort: number, payloadBytes: number) =>
        state.add(packet(atMs, true, { protocol: 'udp', ipProtocol: 17, destinationPort, payloadBytes }), true);
      // :7 seven payloads: too few (< 8) for its entropy to count, nothing to report yet
      [1, 2, 3, 4, 5, 6, 7].forEach((size, index) => send(1000 + index * 10, 7, size));
      expect(state.metrics(interval, 1500).payloadSizeEntropyBits).to.equal(null);
      // :443 four sizes twice: its 8th payload adds 2 bits; :53 six of 40 and two of 50: −0.75·log2 0.75 − 0.25·log2 0.25
      [100, 100, 200, 200, 300, 300, 400, 400].forEach((size, index) => send(2000 + index * 10, 443, size));
      [40, 40, 40, 40, 40, 40, 50, 50].forEach((size, index) => send(3000 + index * 10, 53, size));
      expect(state.metrics(interval, 4000).payloadSizeEntropyBits).to.equal(round4((2 + 0.811278) / 2));
      // A beacon: 64 bytes sixteen times, its 8th to 16th each add 0 bits: (2 + 0.8113 + 9 × 0) / 11. Pooled, these
      // 39 payloads would still carry 2.99 bits (the beacon one symbol of 14), beside 3.41 without it.
      for (let index = 0; index < 16; index++) send(5000 + index * 200, 9000, 64);
      expect(state.metrics(interval, 9000).payloadSizeEntropyBits).to.equal(0.2556);
      // :443 again within 30 s: its nine sizes (4 × 2/9, 1/9) add 2.2810 bits
      send(30_000, 443, 500);
      expect(state.metrics(interval, 30_500).payloadSizeEntropyBits).to.equal(round4((2 + 0.811278 + 2.281036) / 12));
      // :53 after 30 s of silence starts afresh: eight of 45 add 0 bits (with its old sizes they would add 1.41)
      for (let index = 0; index < 8; index++) send(40_000 + index * 10, 53, 45);
      expect(state.metrics(interval, 41_000).payloadSizeEntropyBits).to.equal(round4((2 + 0.811278 + 2.281036) / 13));
      expect(state.stats().payloadDestinations).to.equal(4);
    });

    it('bounds flows and records, counting what it dropped', function () {
      const state = createTrafficState({ maxFlows: 4, maxRecords: 2, burstGapMs: 50 });
      for (let index = 0; index < 10; index++) {
        state.add(packet(index, true, { protocol: 'icmp', ipProtocol: 1, icmpType: 8, icmpCode: 0, sourcePort: 0, destination: `10.0.1.${index}` }), true);
      }
      expect(state.stats().flows).to.equal(4);
      expect(state.flows(10).map((flow) => flow.peerAddress)).to.deep.equal(['10.0.1.9', '10.0.1.8', '10.0.1.7', '10.0.1.6']);
      const records = state.drainRecords();
      expect(records.icmp).to.have.length(2);
      expect(records.dropped.icmp).to.equal(8);
      expect(state.drainRecords().dropped.icmp).to.equal(0);
    });
  });

  describe('conntrack', function () {
    it('parses /proc/net/nf_conntrack and conntrack -L lines, local end first', function () {
      const text = [
        'ipv4     2 tcp      6 431999 ESTABLISHED src=10.99.0.2 dst=10.99.0.1 sport=40000 dport=443 packets=10 bytes=800 src=10.99.0.1 dst=10.99.0.2 sport=443 dport=40000 packets=8 bytes=5000 [ASSURED] mark=0 zone=0 use=2',
        'udp      17 29 src=10.99.0.1 dst=10.99.0.2 sport=5353 dport=9000 [UNREPLIED] src=10.99.0.2 dst=10.99.0.1 sport=9000 dport=5353 mark=0 use=1',
        'garbage line',
      ].join('\n');
      const { flows, truncated } = parseConntrack(text, new Set(['10.99.0.2']), 10, '2026-12-02T00:00:00.000Z');
      expect(truncated).to.equal(0);
      expect(flows[0]).to.deep.equal({
        protocol: 'tcp',
        state: 'ESTABLISHED',
        localAddress: '10.99.0.2',
        localPort: 40000,
        peerAddress: '10.99.0.1',
        peerPort: 443,
        outbound: true,
        packetsOut: 10,
        packetsIn: 8,
        bytesOut: 800,
        bytesIn: 5000,
        timeoutSeconds: 431999,
        replied: true,
        lastSeen: '2026-12-02T00:00:00.000Z',
      });
      expect(flows[1]).to.deep.include({ protocol: 'udp', outbound: false, localPort: 9000, peerPort: 5353, replied: false, bytesIn: null });
      expect(parseConntrack(text, new Set(), 1, '2026-12-02T00:00:00.000Z').truncated).to.equal(1);
    });
  });

  describe('the behaviour report', function () {
    it('says why each captured metric is null when the capture cannot run', function () {
      const sample = { at: 10_000, uptimeSeconds: 10, tcpSegments: 0, udpDatagrams: 0, icmpMessages: 0, opens: 0, attemptFails: 0, resets: 0, retransmits: 0, established: 0, packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0 };
      const report = withCapture(networkBehaviour(bootSample(sample), sample), { reason: 'tcpdump is not installed' });
      expect(report.latencyMs).to.equal(null);
      expect(report.unavailable!.latencyMs).to.match(/^tcpdump is not installed; \/proc\/net keeps no/);
      expect(Object.keys(report.unavailable!)).to.have.length(9);
    });
  });

  describe('on real traffic in network namespaces', function () {
    this.timeout(120_000);
    let lab: Lab | undefined;
    let child: ChildProcess | undefined;
    let lines: AsyncIterator<string> | undefined;

    const startChild = (environment: Record<string, string> = {}) => {
      child = lab!.spawnIn(lab!.device, process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'captureChild.ts')], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...environment },
      });
      lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    };
    const next = async () => JSON.parse((await lines!.next()).value as string);
    const ask = async (what: string) => {
      child!.stdin!.write(`${what}\n`);
      return next();
    };

    before(async function () {
      const reason = labUnavailable();
      if (reason) {
        process.stdout.write(`      skipped: ${reason}\n`);
        this.skip();
      }
      lab = createLab({ id: `c${process.pid % 100000}` });
      await startLabServices(lab);
    });

    afterEach(async function () {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.stdin!.write('exit\n');
        const timer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      child = undefined;
    });

    after(async function () {
      await lab?.close();
    });

    it('fills the nine metrics and the ICMP, DNS and TLS records of HTTPS, DNS, ping and a closed UDP port', async function () {
      startChild();
      expect((await next()).ready).to.equal(true);
      const python = '/usr/bin/python3';
      // 10 rounds: a destination needs 9 outgoing bursts (8 gaps) before its inter-arrival figures count
      for (let round = 0; round < 10; round++) {
        lab!.runIn(lab!.device, 'curl', ['-sk', '--max-time', '5', '-o', '/dev/null', 'https://svc.lab/']);
        lab!.runIn(lab!.device, 'getent', ['ahostsv4', 'www.svc.lab']);
        lab!.runIn(lab!.device, 'ping', ['-c', '1', '-W', '1', lab!.network.address]);
        lab!.runIn(lab!.device, python, ['-c', `import socket;socket.socket(socket.AF_INET,socket.SOCK_DGRAM).sendto(b'x'*${10 + round * 50},('${lab!.network.address}',7))`]);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const telemetry = telemetryBodySchema.parse(await ask('telemetry'));
      const network = telemetry.network;
      expect(network.dnsQueriesPerSec).to.be.greaterThan(0);
      expect(network.tlsHandshakesPerSec).to.be.greaterThan(0);
      expect(network.latencyMs).to.be.a('number').and.greaterThan(0);
      expect(network.jitterMs).to.be.a('number');
      expect(network.meanSessionSeconds).to.be.a('number').and.greaterThan(0);
      expect(network.meanPayloadBytes).to.be.a('number').and.greaterThan(0);
      expect(network.payloadSizeEntropyBits).to.be.a('number').and.greaterThan(0);
      expect(network.meanInterArrivalMs).to.be.a('number').and.greaterThan(0);
      expect(network.interArrivalCv).to.be.a('number');
      const snapshot = snapshotBodySchema.parse(await ask('snapshot'));
      expect(snapshot.traffic?.available).to.equal(true);
      const traffic = (snapshot.traffic as { value: any }).value;
      const dns = traffic.dns.find((record: any) => record.response && record.questions[0]?.name === 'www.svc.lab');
      expect(dns.answers).to.deep.include({ name: 'www.svc.lab', type: 'CNAME', ttl: dns.answers[0].ttl, data: 'svc.lab' });
      expect(dns.answers.map((answer: any) => answer.data)).to.include(lab!.network.address);
      expect(dns).to.deep.include({ client: lab!.device.address, server: lab!.network.address, direction: 'in' });
      const clientHello = traffic.tls.find((record: any) => record.kind === 'client-hello');
      expect(clientHello).to.deep.include({ serverName: 'svc.lab', sourceAddress: lab!.device.address, destinationPort: 443 });
      const serverHello = traffic.tls.find((record: any) => record.kind === 'server-hello');
      expect(serverHello.cipher).to.match(/^TLS_/);
      expect(serverHello.version).to.equal('TLSv1.3');
      expect(traffic.icmp).to.deep.include({ at: traffic.icmp.find((r: any) => r.type === 3).at, direction: 'in', type: 3, code: 3, source: lab!.network.address, destination: lab!.device.address });
      expect(traffic.icmp.some((record: any) => record.type === 8 && record.direction === 'out')).to.equal(true);
      const https = traffic.flows.find((flow: any) => flow.peerPort === 443 && flow.protocol === 'tcp');
      expect(https).to.deep.include({ localAddress: lab!.device.address, peerAddress: lab!.network.address });
      expect(https.bytesIn).to.be.greaterThan(500);
      expect(Date.parse(https.lastSeen)).to.be.at.least(Date.parse(https.firstSeen));
      // Seed 001 IV.4: the lab's DNS server (dnsmasq) by address, in binary, and its name from a real PTR query.
      const servers = (snapshot.dns.servers as { available: true; value: any[] }).value;
      expect(servers[0]).to.deep.include({ address: lab!.network.address, binary: '00001010.01100011.00000000.00000001', nameError: null });
      expect(servers[0].name).to.match(/^(svc|beacon)\.lab$/);
      // IV.12: the collector's own process (node) has readable direct dependencies.
      const libraries = (snapshot.sharedLibraries as { available: true; value: any[] }).value;
      expect(libraries.some((row) => row.dependencies?.available && row.dependencies.value.used.includes('libc.so.6'))).to.equal(true);
      expect(snapshot.processorPerformance?.available).to.equal(true);
      const addresses = (snapshot.network as { available: true; value: any }).value.interfaces.flatMap((i: any) => i.addresses);
      expect(addresses).to.deep.include({ family: 'IPv4', address: lab!.device.address, cidr: `${lab!.device.address}/24`, broadcast: '10.99.0.255' });
    });

    it('reports the capture unavailable, with the reason, where tcpdump is missing', async function () {
      startChild({ NET_CAPTURE_COMMAND: 'net-no-such-tcpdump' });
      const first = await next();
      expect(first.network.latencyMs).to.equal(null);
      expect(first.network.unavailable.latencyMs).to.match(/net-no-such-tcpdump is not installed/);
      const snapshot = snapshotBodySchema.parse(await ask('snapshot'));
      expect(snapshot.traffic).to.deep.include({ available: false });
    });
  });
});
