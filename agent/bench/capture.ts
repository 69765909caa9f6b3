/**
 * Packet-capture cost on the device (issue 17): CPU of the agent's side of the capture (the pcap stream parser, the
 * header decoder and the traffic state) per 1,000 packets, i.e. CPU milliseconds per second at 1,000 packets/s.
 * The stream is Linux cooked capture (as `tcpdump -i any` writes it) of a mix of TCP data and ACKs to 64 peers,
 * handshakes, DNS queries and answers, TLS ClientHellos and ICMP. tcpdump's own CPU (a separate process, mostly in the
 * kernel) comes on top and is not measured here.
 */
import { createPcapParser } from '../src/collect/capture/pcapStream';
import { decodePacket, LINK_TYPES } from '../src/collect/capture/decodePacket';
import { createTrafficState } from '../src/collect/capture/trafficState';

const u16 = (value: number) => [value >> 8, value & 0xff];

function frame(outgoing: boolean, protocol: number, peer: number, ports: [number, number], flags: number, payload: number[], payloadBytes: number) {
  const local = [10, 0, 0, 2];
  const remote = [10, 0, 1, peer];
  const transport =
    protocol === 6
      ? [...u16(ports[0]), ...u16(ports[1]), 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]
      : protocol === 17
      ? [...u16(ports[0]), ...u16(ports[1]), ...u16(8 + payloadBytes), 0, 0]
      : [8, 0, 0, 0, 0, 1, 0, 1];
  const ipLength = 20 + transport.length + payloadBytes;
  const [source, destination] = outgoing ? [local, remote] : [remote, local];
  const [sport, dport] = outgoing ? ports : [ports[1], ports[0]];
  if (protocol !== 1) transport.splice(0, 4, ...u16(sport), ...u16(dport));
  const ip = [0x45, 0, ...u16(ipLength), 0, 0, 0x40, 0, 64, protocol, 0, 0, ...source, ...destination];
  const sll = [0, outgoing ? 4 : 0, 0, 1, 0, 6, ...Array(8).fill(0), 0x08, 0x00];
  return Uint8Array.from([...sll, ...ip, ...transport, ...payload.slice(0, Math.max(0, 256))]);
}

function stream(packets: number): Buffer {
  const dnsQuery = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 115, 118, 99, 3, 108, 97, 98, 0, 0, 1, 0, 1];
  const dnsAnswer = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, 115, 118, 99, 3, 108, 97, 98, 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 1, 1];
  const hello = [22, 3, 1, 0, 60, 1, 0, 0, 56, 3, 3, ...Array(32).fill(7), 0, 0, 4, 0x13, 0x01, 0x13, 0x02, 1, 0, 0, 0];
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(512, 16);
  header.writeUInt32LE(LINK_TYPES.linuxSll, 20);
  const parts: Buffer[] = [header];
  for (let index = 0; index < packets; index++) {
    const peer = index % 64;
    const kind = index % 20;
    const bytes =
      kind === 0
        ? frame(true, 17, 53, [40000 + (index % 1000), 53], 0, dnsQuery, dnsQuery.length)
        : kind === 1
        ? frame(false, 17, 53, [40000 + (index % 1000), 53], 0, dnsAnswer, dnsAnswer.length)
        : kind === 2
        ? frame(true, 6, peer, [50000 + peer, 443], 0x02, [], 0)
        : kind === 3
        ? frame(false, 6, peer, [50000 + peer, 443], 0x12, [], 0)
        : kind === 4
        ? frame(true, 6, peer, [50000 + peer, 443], 0x18, hello, hello.length)
        : kind === 5
        ? frame(true, 1, peer, [0, 0], 0, [], 56)
        : frame(index % 2 === 0, 6, peer, [50000 + peer, 443], 0x18, [23, 3, 3], 100 + ((index * 37) % 1300));
    const record = Buffer.alloc(16);
    const atMs = 1_700_000_000_000 + index; // 1,000 packets per second
    record.writeUInt32LE(Math.floor(atMs / 1000), 0);
    record.writeUInt32LE((atMs % 1000) * 1000, 4);
    record.writeUInt32LE(bytes.length, 8);
    record.writeUInt32LE(bytes.length + 1000, 12);
    parts.push(record, Buffer.from(bytes));
  }
  return Buffer.concat(parts);
}

/** CPU ms per 1,000 packets through parser, decoder and traffic state (median of `rounds`). */
export function captureCpuPer1000Packets(rounds = 5, packets = 20_000): { cpuMsPer1000: number; packets: number } {
  const data = stream(packets);
  const results: number[] = [];
  for (let round = 0; round < rounds + 1; round++) {
    const state = createTrafficState({ maxFlows: 1024, maxRecords: 64, burstGapMs: 50 });
    const window = state.openInterval(0);
    const parser = createPcapParser((captured) => {
      const packet = decodePacket(captured);
      if (packet) state.add(packet, packet.outgoing ?? true);
    });
    const cpu = process.cpuUsage();
    for (let offset = 0; offset < data.length; offset += 65_536) parser.push(data.subarray(offset, offset + 65_536));
    state.metrics(window, 1_700_000_000_000 + packets);
    state.drainRecords();
    const used = process.cpuUsage(cpu);
    if (round > 0) results.push((used.user + used.system) / 1000 / (packets / 1000));
  }
  results.sort((a, b) => a - b);
  return { cpuMsPer1000: results[Math.floor(results.length / 2)]!, packets };
}

/**
 * tcpdump's own CPU at about 1,000 packets/s on a real link: in the lab's device namespace, `ping -i 0.002` (500
 * echo requests and 500 replies per second) for `seconds` while the agent's capture command runs as the agent starts
 * it; CPU from /proc/<pid>/stat (user + system ticks). Null, with the reason, where namespaces are not allowed.
 */
export async function tcpdumpCpuAt1000PacketsPerSec(seconds = 10): Promise<{ cpuPercent: number | null; reason?: string }> {
  const { createLab, labUnavailable } = await import('../../lab/src');
  const { readFileSync } = await import('node:fs');
  const reason = labUnavailable();
  if (reason) return { cpuPercent: null, reason };
  const lab = createLab({ id: `b${process.pid % 100000}` });
  try {
    const dump = lab.spawnIn(lab.device, 'tcpdump', ['-i', 'any', '-n', '-s', '512', '-U', '--immediate-mode', '-w', '-', '-y', 'LINUX_SLL'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let bytes = 0;
    dump.stdout!.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ticks = () => {
      const fields = readFileSync(`/proc/${dump.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    };
    const before = ticks();
    const ping = lab.spawnIn(lab.device, 'ping', ['-q', '-i', '0.002', '-w', String(seconds), lab.network.address]);
    await new Promise((resolve) => ping.once('exit', resolve));
    const used = (ticks() - before) / 100; // USER_HZ is 100 on Linux
    return { cpuPercent: (used / seconds) * 100 };
  } finally {
    await lab.close();
  }
}
