import { ipv6String } from './decodePacket';

/** A DNS question (QD): the name and the type asked. */
export type DnsQuestion = { name: string; type: string };

/** A DNS resource record (AN or NS section): owner name, type, TTL and the data as text. */
export type DnsRecord = { name: string; type: string; ttl: number; data: string };

/** The header fields and sections of one DNS message, as far as the captured bytes hold them. */
export type DnsMessage = {
  id: number;
  response: boolean;
  /** RCODE name (NOERROR, NXDOMAIN, SERVFAIL…). */
  rcode: string;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authority: DnsRecord[];
  /** The message went past the captured bytes (snaplen) or the record bound before its end. */
  truncated: boolean;
};

const TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 41: 'OPT', 65: 'HTTPS', 255: 'ANY',
};
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

class Truncated extends Error {}

/** A (possibly compressed) domain name at `offset`: the name and the offset after it. */
function readName(bytes: Uint8Array, start: number): { name: string; next: number } {
  const labels: string[] = [];
  let offset = start;
  let next = -1;
  let jumps = 0;
  let length = 0;
  for (;;) {
    if (offset >= bytes.length) throw new Truncated();
    const size = bytes[offset]!;
    if ((size & 0xc0) === 0xc0) {
      if (offset + 1 >= bytes.length) throw new Truncated();
      if (next < 0) next = offset + 2;
      offset = ((size & 0x3f) << 8) | bytes[offset + 1]!;
      if (++jumps > 16) throw new Error('DNS name compression loop');
      continue;
    }
    if (size === 0) {
      if (next < 0) next = offset + 1;
      break;
    }
    if (size > 63) throw new Error(`DNS label length ${size}`);
    if (offset + 1 + size > bytes.length) throw new Truncated();
    let label = '';
    for (let index = offset + 1; index <= offset + size; index++) {
      const code = bytes[index]!;
      label += code > 32 && code < 127 && code !== 46 ? String.fromCharCode(code) : `\\${code.toString().padStart(3, '0')}`;
    }
    length += size + 1;
    if (length > 255) throw new Error('DNS name longer than 255 bytes');
    labels.push(label);
    offset += size + 1;
  }
  return { name: labels.length === 0 ? '.' : labels.join('.').slice(0, 253), next };
}

function u16(bytes: Uint8Array, offset: number): number {
  if (offset + 2 > bytes.length) throw new Truncated();
  return (bytes[offset]! << 8) | bytes[offset + 1]!;
}

function u32(bytes: Uint8Array, offset: number): number {
  return u16(bytes, offset) * 65_536 + u16(bytes, offset + 2);
}

function recordData(bytes: Uint8Array, type: number, offset: number, length: number): string {
  if (offset + length > bytes.length) throw new Truncated();
  switch (type) {
    case 1:
      return length === 4 ? `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}` : '';
    case 28:
      return length === 16 ? ipv6String(bytes, offset) : '';
    case 2:
    case 5:
    case 12:
      return readName(bytes, offset).name;
    case 15:
      return `${u16(bytes, offset)} ${readName(bytes, offset + 2).name}`;
    case 6: {
      // SOA: mname, rname, serial, refresh, retry, expire, minimum
      const mname = readName(bytes, offset);
      const rname = readName(bytes, mname.next);
      const at = rname.next;
      return `mname=${mname.name} rname=${rname.name} serial=${u32(bytes, at)} refresh=${u32(bytes, at + 4)} retry=${u32(
        bytes,
        at + 8,
      )} expire=${u32(bytes, at + 12)} minimum=${u32(bytes, at + 16)}`;
    }
    default:
      return `${length} bytes`;
  }
}

function readRecords(bytes: Uint8Array, start: number, count: number, into: DnsRecord[], limit: number): number {
  let offset = start;
  for (let index = 0; index < count; index++) {
    const { name, next } = readName(bytes, offset);
    const type = u16(bytes, next);
    const ttl = u32(bytes, next + 4);
    const length = u16(bytes, next + 8);
    const dataOffset = next + 10;
    if (into.length < limit) {
      into.push({ name, type: TYPES[type] ?? `TYPE${type}`, ttl, data: recordData(bytes, type, dataOffset, length).slice(0, 512) });
    }
    offset = dataOffset + length;
  }
  return offset;
}

/**
 * Parses a DNS message's header, questions (QD), answers (AN) and name-server records (NS), as far as the captured
 * bytes go (the rest is marked `truncated`); names may be compressed. At most `limit` records of each section are
 * kept. TCP messages start with their 2-byte length: pass `tcp: true`. Returns null for what is not DNS.
 *
 * @example
 * parseDnsMessage(udpPayload)?.questions // [{ name: 'example.com', type: 'A' }]
 */
export function parseDnsMessage(payload: Uint8Array, options: { tcp?: boolean; limit?: number } = {}): DnsMessage | null {
  const bytes = options.tcp ? payload.subarray(2) : payload;
  const limit = options.limit ?? 16;
  if (bytes.length < 12) return null;
  const flags = u16(bytes, 2);
  const counts = [u16(bytes, 4), u16(bytes, 6), u16(bytes, 8)];
  if (((flags >> 11) & 0x0f) > 2 || counts.some((count) => count > 256)) return null;
  const message: DnsMessage = {
    id: u16(bytes, 0),
    response: (flags & 0x8000) !== 0,
    rcode: RCODES[flags & 0x0f] ?? `RCODE${flags & 0x0f}`,
    questions: [],
    answers: [],
    authority: [],
    truncated: false,
  };
  try {
    let offset = 12;
    for (let index = 0; index < counts[0]!; index++) {
      const { name, next } = readName(bytes, offset);
      const type = u16(bytes, next);
      if (message.questions.length < limit) message.questions.push({ name, type: TYPES[type] ?? `TYPE${type}` });
      offset = next + 4;
    }
    offset = readRecords(bytes, offset, counts[1]!, message.answers, limit);
    readRecords(bytes, offset, counts[2]!, message.authority, limit);
  } catch (error) {
    if (!(error instanceof Truncated)) return null;
    message.truncated = true;
  }
  return message;
}
