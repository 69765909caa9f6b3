import type { BlobStore } from '../../../blobs/src';
import { FetchTimeoutError } from './errors';

/**
 * Reads a blob from the store, or fails with a {@link FetchTimeoutError} after `timeoutMs` (the read goes on in the
 * background; its result is dropped).
 *
 * @example
 * const bytes = await fetchWithin(blobs, event.manifestCid, 30_000, 'manifest')
 */
export async function fetchWithin(blobs: BlobStore, cid: string, timeoutMs: number, what: string): Promise<Uint8Array> {
  const reading = blobs.get(cid);
  reading.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FetchTimeoutError(what, cid, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([reading, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
