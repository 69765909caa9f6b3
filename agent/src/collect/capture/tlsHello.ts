/** What the header of a TLS ClientHello or ServerHello says (seed 001 IX.2): no key material, no payload. */
export type TlsHello = {
  kind: 'client-hello' | 'server-hello';
  /** Handshake type (1 ClientHello, 2 ServerHello) and its length from the handshake header, bytes. */
  handshakeType: number;
  handshakeBytes: number;
  /** Version of the record layer and of the hello (the legacy field), e.g. `TLSv1.2`. */
  recordVersion: string;
  helloVersion: string;
  /** ServerHello: the negotiated version (supported_versions, else the hello's); ClientHello: the highest offered. */
  version: string | null;
  /** ServerHello: the cipher suite agreed; ClientHello: null (see `offeredCiphers`). */
  cipher: string | null;
  /** ClientHello: the number of cipher suites offered and the first few. */
  offeredCipherCount: number | null;
  offeredCiphers: string[];
  /** ClientHello: the server name asked for (SNI), null when absent or beyond the captured bytes. */
  serverName: string | null;
  /** ALPN protocols (ClientHello offers, ServerHello selection). */
  alpn: string[];
  /** The hello went past the captured bytes (snaplen) before its extensions were read. */
  truncated: boolean;
};

const VERSIONS: Record<number, string> = { 0x0300: 'SSLv3', 0x0301: 'TLSv1', 0x0302: 'TLSv1.1', 0x0303: 'TLSv1.2', 0x0304: 'TLSv1.3' };
const CIPHERS: Record<number, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
  0xc02b: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  0xc02c: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  0xc02f: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  0xc030: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  0xcca8: 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  0xcca9: 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  0x009c: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
  0x009d: 'TLS_RSA_WITH_AES_256_GCM_SHA384',
  0x002f: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  0x0035: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  0x00ff: 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV',
};

const hex = (value: number) => `0x${value.toString(16).padStart(4, '0')}`;
const versionName = (value: number) => VERSIONS[value] ?? hex(value);
const cipherName = (value: number) => CIPHERS[value] ?? hex(value);
/** GREASE values (RFC 8701): 0x?a?a, never real versions or suites. */
const isGrease = (value: number) => (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);

/**
 * Parses the TLS record and handshake headers at the start of a TCP payload when they hold a ClientHello or a
 * ServerHello: versions, the agreed cipher (ServerHello), offered ciphers, SNI and ALPN (ClientHello), as far as the
 * captured bytes go. Returns null for anything else (application data, other handshake messages).
 *
 * @example
 * parseTlsHello(payload)?.serverName // 'device.example'
 */
export function parseTlsHello(bytes: Uint8Array): TlsHello | null {
  if (bytes.length < 9 || bytes[0] !== 22 || bytes[1] !== 3 || bytes[2]! > 4) return null;
  const handshakeType = bytes[5]!;
  if (handshakeType !== 1 && handshakeType !== 2) return null;
  const u16 = (offset: number) => (bytes[offset]! << 8) | bytes[offset + 1]!;
  const has = (offset: number, length: number) => offset + length <= bytes.length;
  const hello: TlsHello = {
    kind: handshakeType === 1 ? 'client-hello' : 'server-hello',
    handshakeType,
    handshakeBytes: (bytes[6]! << 16) | (bytes[7]! << 8) | bytes[8]!,
    recordVersion: versionName(u16(1)),
    helloVersion: has(9, 2) ? versionName(u16(9)) : '',
    version: null,
    cipher: null,
    offeredCipherCount: null,
    offeredCiphers: [],
    serverName: null,
    alpn: [],
    truncated: true,
  };
  if (!has(9, 2)) return hello;
  hello.version = hello.helloVersion;
  let offset = 9 + 2 + 32;
  if (!has(offset, 1)) return hello;
  offset += 1 + bytes[offset]!; // session id
  if (handshakeType === 2) {
    if (!has(offset, 3)) return hello;
    hello.cipher = cipherName(u16(offset));
    offset += 3; // cipher + compression method
  } else {
    if (!has(offset, 2)) return hello;
    const length = u16(offset);
    offset += 2;
    const suites: number[] = [];
    for (let at = offset; at + 2 <= offset + length && at + 2 <= bytes.length; at += 2) {
      if (!isGrease(u16(at))) suites.push(u16(at));
    }
    hello.offeredCipherCount = Math.floor(length / 2);
    hello.offeredCiphers = suites.slice(0, 8).map(cipherName);
    offset += length;
    if (!has(offset, 1)) return hello;
    offset += 1 + bytes[offset]!; // compression methods
  }
  if (!has(offset, 2)) {
    // no extensions at all is a complete hello when the handshake ends here
    hello.truncated = offset < 9 + hello.handshakeBytes;
    return hello;
  }
  const end = offset + 2 + u16(offset);
  offset += 2;
  let highest = 0;
  while (offset + 4 <= Math.min(end, bytes.length)) {
    const type = u16(offset);
    const length = u16(offset + 2);
    const data = offset + 4;
    if (!has(data, length)) break;
    if (type === 0 && handshakeType === 1 && length >= 5) {
      const nameLength = u16(data + 3);
      if (bytes[data + 2] === 0 && has(data + 5, nameLength)) {
        hello.serverName = String.fromCharCode(...bytes.subarray(data + 5, data + 5 + Math.min(nameLength, 253)))
          .replace(/[^\x21-\x7e]/g, '?');
      }
    } else if (type === 43) {
      if (handshakeType === 2 && length >= 2) highest = u16(data);
      else
        for (let at = data + 1; at + 2 <= data + 1 + bytes[data]! && at + 2 <= data + length; at += 2)
          if (!isGrease(u16(at))) highest = Math.max(highest, u16(at));
    } else if (type === 16 && length >= 2) {
      for (let at = data + 2; at < data + length && hello.alpn.length < 8; ) {
        const size = bytes[at]!;
        if (at + 1 + size > data + length) break;
        hello.alpn.push(String.fromCharCode(...bytes.subarray(at + 1, at + 1 + Math.min(size, 32))));
        at += 1 + size;
      }
    }
    offset = data + length;
  }
  if (highest > 0) hello.version = versionName(highest);
  hello.truncated = offset < end;
  return hello;
}
