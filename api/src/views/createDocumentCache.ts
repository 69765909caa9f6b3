import type { BlobStore } from '../../../blobs/src';

/** A JSON document read from IPFS, or why it could not be. */
export type DocumentRead = { value: Record<string, unknown> | null; error: string | null };

/** JSON documents by CID, read from IPFS once and then served from memory. */
export type DocumentCache = {
  /** The document `cid`, from memory or IPFS (within the timeout). Failures are not cached: the next read retries. */
  read(cid: string, timeoutMs: number): Promise<DocumentRead>;
  /** Documents held and their size in bytes, and reads answered from memory or from IPFS since start. */
  stats(): { entries: number; bytes: number; hits: number; misses: number };
};

/** Parameters of {@link createDocumentCache}. */
export type CreateDocumentCacheParameters = {
  store: BlobStore;
  /**
   * Bytes of documents held (their size on IPFS), the least recently read dropped first (0: no cache, every read
   * goes to IPFS). A document larger than a quarter of it is never held.
   */
  maxBytes: number;
};

/**
 * A cache of the immutable JSON documents the views show (static documents, snapshots): a CID names its bytes, so a
 * cached document can never be stale. Least recently read first out; concurrent reads of one CID share one IPFS
 * read. Served documents are shared between responses and must not be modified.
 *
 * @example
 * const documents = createDocumentCache({ store, maxBytes: 64 * 1024 * 1024 })
 * const { value, error } = await documents.read(twin.staticCid, 2_000)
 */
export function createDocumentCache(parameters: CreateDocumentCacheParameters): DocumentCache {
  const { store, maxBytes } = parameters;
  const entries = new Map<string, { value: Record<string, unknown>; bytes: number }>();
  let bytes = 0;
  const pending = new Map<string, Promise<DocumentRead & { bytes: number }>>();
  let hits = 0;
  let misses = 0;

  return {
    async read(cid, timeoutMs) {
      const cached = entries.get(cid);
      if (cached !== undefined) {
        hits++;
        entries.delete(cid);
        entries.set(cid, cached);
        return { value: cached.value, error: null };
      }
      misses++;
      let reading: Promise<DocumentRead & { bytes: number }> | undefined = pending.get(cid);
      if (reading === undefined) {
        reading = readJson(store, cid, timeoutMs).finally(() => pending.delete(cid));
        pending.set(cid, reading);
      }
      const read = await reading;
      if (read.value !== null && read.bytes * 4 <= maxBytes && !entries.has(cid)) {
        entries.set(cid, { value: read.value, bytes: read.bytes });
        bytes += read.bytes;
        for (const [oldest, entry] of entries) {
          if (bytes <= maxBytes) break;
          entries.delete(oldest);
          bytes -= entry.bytes;
        }
      }
      return { value: read.value, error: read.error };
    },
    stats: () => ({ entries: entries.size, bytes, hits, misses }),
  };
}

/**
 * Reads and parses a JSON blob from IPFS within the timeout; the error message on failure.
 *
 * @example
 * const { value, error } = await readJson(store, cid, 2_000)
 */
export async function readJson(
  store: BlobStore,
  cid: string,
  timeoutMs: number,
): Promise<DocumentRead & { bytes: number }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const bytes = await Promise.race([
      store.get(cid),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`IPFS did not answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return { value: null, error: 'the document is not a JSON object', bytes: 0 };
    }
    return { value: value as Record<string, unknown>, error: null, bytes: bytes.byteLength };
  } catch (error) {
    return { value: null, error: (error as Error).message.split('\n')[0]!, bytes: 0 };
  } finally {
    clearTimeout(timer);
  }
}
