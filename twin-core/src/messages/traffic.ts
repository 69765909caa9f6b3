import { z } from 'zod';

const count = z.number().int().nonnegative();
const port = z.number().int().min(0).max(65_535);
const text = (max: number) => z.string().max(max);
const at = z.iso.datetime();
const direction = z.enum(['in', 'out']);
const transport = z.enum(['tcp', 'udp', 'icmp', 'other']);

/**
 * One flow the device took part in (seed 002's network model reads these): protocol, the local and the peer end,
 * packets and bytes each way (IP bytes on the wire), first and last packet seen.
 */
export const flowSchema = z.strictObject({
  protocol: transport,
  localAddress: text(64),
  localPort: port,
  peerAddress: text(64),
  peerPort: port,
  packetsIn: count,
  packetsOut: count,
  bytesIn: count,
  bytesOut: count,
  firstSeen: at,
  lastSeen: at,
});

/** An ICMP message seen (seed 001 IV.13 a–c): type, code, source and destination. */
export const icmpRecordSchema = z.strictObject({
  at,
  direction,
  type: z.number().int().min(0).max(255),
  code: z.number().int().min(0).max(255),
  source: text(64),
  destination: text(64),
});

const dnsRecordSchema = z.strictObject({ name: text(253), type: text(16), ttl: count, data: text(512) });

/**
 * A DNS message seen (seed 001 IX.3): its header, questions (QD: QName, QType), answers (AN: rrName, type, TTL,
 * rData) and name-server records (NS; SOA data as `mname=… rname=… serial=… retry=… expire=…`), as far as the
 * snaplen captured them (`truncated`).
 */
export const dnsPacketRecordSchema = z.strictObject({
  at,
  direction,
  client: text(64),
  server: text(64),
  id: z.number().int().min(0).max(65_535),
  response: z.boolean(),
  rcode: text(16),
  questions: z.array(z.strictObject({ name: text(253), type: text(16) })).max(16),
  answers: z.array(dnsRecordSchema).max(16),
  authority: z.array(dnsRecordSchema).max(16),
  truncated: z.boolean(),
});

/**
 * A TLS ClientHello or ServerHello seen (seed 001 IX.2): addresses and ports, handshake type and length, record and
 * hello versions, the negotiated version and cipher (ServerHello), the ciphers offered and the server name (SNI) of a
 * ClientHello, ALPN. Header fields only: nothing after the hello is read.
 */
export const tlsHandshakeRecordSchema = z.strictObject({
  at,
  kind: z.enum(['client-hello', 'server-hello']),
  handshakeType: z.number().int().min(0).max(255),
  handshakeBytes: count,
  recordVersion: text(16),
  helloVersion: text(16),
  version: text(16).nullable(),
  cipher: text(64).nullable(),
  offeredCipherCount: count.nullable(),
  offeredCiphers: z.array(text(64)).max(8),
  serverName: text(253).nullable(),
  alpn: z.array(text(32)).max(8),
  truncated: z.boolean(),
  sourceAddress: text(64),
  sourcePort: port,
  destinationAddress: text(64),
  destinationPort: port,
});

/**
 * The snapshot's `traffic` section: what the capture process (tcpdump, headers only) saw since the previous
 * snapshot. Lists are bounded by the agent's `captureMaxRecords`; `dropped` counts what the bound left out.
 */
export const trafficSchema = z.strictObject({
  source: z.literal('tcpdump'),
  interface: text(32),
  snaplenBytes: count,
  /** Packets whose headers were decoded, and those only counted because of `captureMaxPacketsPerSec`. */
  packetsDecoded: count,
  packetsSkipped: count,
  flows: z.array(flowSchema).max(4096),
  icmp: z.array(icmpRecordSchema).max(1024),
  dns: z.array(dnsPacketRecordSchema).max(1024),
  tls: z.array(tlsHandshakeRecordSchema).max(1024),
  dropped: z.strictObject({ icmp: count, dns: count, tls: count }),
});
export type Traffic = z.output<typeof trafficSchema>;

/**
 * One connection-tracking entry (`/proc/net/nf_conntrack` or `conntrack -L`): the kernel's flow table, with bytes
 * and packets when `net.netfilter.nf_conntrack_acct` is on (null otherwise).
 */
export const conntrackFlowSchema = z.strictObject({
  protocol: transport,
  /** TCP state (ESTABLISHED, SYN_SENT, TIME_WAIT…), null for other protocols. */
  state: text(16).nullable(),
  localAddress: text(64),
  localPort: port,
  peerAddress: text(64),
  peerPort: port,
  /** Whether this device opened the flow (the original direction's source is local). */
  outbound: z.boolean(),
  packetsOut: count.nullable(),
  packetsIn: count.nullable(),
  bytesOut: count.nullable(),
  bytesIn: count.nullable(),
  /** Seconds until the kernel forgets the entry. */
  timeoutSeconds: count,
  /** The kernel saw traffic both ways (ASSURED / not UNREPLIED). */
  replied: z.boolean(),
  /** When this entry was listed: it is alive now. */
  lastSeen: at,
});

export const conntrackSchema = z.strictObject({
  source: z.enum(['/proc/net/nf_conntrack', 'conntrack -L']),
  flows: z.array(conntrackFlowSchema).max(4096),
  /** Entries beyond the agent's flow bound, not listed. */
  truncated: count,
});
export type Conntrack = z.output<typeof conntrackSchema>;
