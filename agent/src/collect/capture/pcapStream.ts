/** One captured frame: its time, link type, the captured bytes (≤ snaplen) and its length on the wire. */
export type CapturedFrame = {
  /** Capture time, ms since the epoch (sub-millisecond precision). */
  atMs: number;
  linkType: number;
  bytes: Uint8Array;
  wireLength: number;
};

/** Result of {@link createPcapParser}. */
export type PcapParser = {
  /** Feeds the next chunk of the pcap stream (tcpdump `-w -`); calls `onFrame` for each complete record. */
  push(chunk: Uint8Array): void;
  /** Bytes buffered waiting for the rest of a record. */
  readonly buffered: number;
};

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;

/**
 * A streaming parser of the classic pcap format (libpcap, as `tcpdump -w -` writes it): the 24-byte global header
 * (either byte order, micro- or nanosecond timestamps), then 16-byte record headers and their bytes. A record
 * claiming more than `maxRecordBytes` (the snaplen bound) is an error: the stream is not pcap.
 *
 * @example
 * const parser = createPcapParser((frame) => decodeFrame(frame), 262_144)
 * child.stdout.on('data', (chunk) => parser.push(chunk))
 */
export function createPcapParser(onFrame: (frame: CapturedFrame) => void, maxRecordBytes = 262_144): PcapParser {
  let pending: Uint8Array = new Uint8Array(0);
  let little = true;
  let nano = false;
  let linkType = -1;
  const u32 = (view: DataView, offset: number) => view.getUint32(offset, little);

  return {
    get buffered() {
      return pending.length;
    },
    push(chunk) {
      let data: Uint8Array;
      if (pending.length === 0) data = chunk;
      else {
        data = new Uint8Array(pending.length + chunk.length);
        data.set(pending, 0);
        data.set(chunk, pending.length);
      }
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      let offset = 0;
      if (linkType < 0) {
        if (data.length < 24) {
          pending = data.slice();
          return;
        }
        const magicBig = view.getUint32(0, false);
        const magicLittle = view.getUint32(0, true);
        if (magicLittle === MAGIC_MICRO || magicLittle === MAGIC_NANO) little = true;
        else if (magicBig === MAGIC_MICRO || magicBig === MAGIC_NANO) little = false;
        else throw new Error(`not a pcap stream (magic 0x${magicBig.toString(16)})`);
        nano = (little ? magicLittle : magicBig) === MAGIC_NANO;
        linkType = u32(view, 20) & 0x0fffffff;
        offset = 24;
      }
      while (data.length - offset >= 16) {
        const seconds = u32(view, offset);
        const fraction = u32(view, offset + 4);
        const captured = u32(view, offset + 8);
        const wireLength = u32(view, offset + 12);
        if (captured > maxRecordBytes) throw new Error(`pcap record of ${captured} bytes exceeds ${maxRecordBytes}`);
        if (data.length - offset - 16 < captured) break;
        const start = offset + 16;
        onFrame({
          atMs: seconds * 1000 + (nano ? fraction / 1e6 : fraction / 1e3),
          linkType,
          bytes: data.subarray(start, start + captured),
          wireLength,
        });
        offset = start + captured;
      }
      pending = offset >= data.length ? new Uint8Array(0) : data.slice(offset);
    },
  };
}
