import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { FetchRequest, makeError, type FetchGetUrlFunc } from 'ethers';

/**
 * ethers' HTTP transport for Node with the response body gathered in linear time. ethers' own (`geturl.js`) copies
 * the whole body so far on every chunk: quadratic, so one `eth_getLogs` answer of tens of megabytes (10,000 twins
 * minted in a few blocks) took minutes of CPU. Same requests, headers, timeout, cancellation and gzip handling.
 */
const linearGetUrl: FetchGetUrlFunc = async (request, signal) => {
  const protocol = request.url.split(':')[0]!.toLowerCase();
  if (protocol !== 'http' && protocol !== 'https') {
    throw makeError(`unsupported protocol ${protocol}`, 'UNSUPPORTED_OPERATION', { operation: 'request' });
  }
  if (protocol === 'http' && request.credentials && !request.allowInsecureAuthentication) {
    throw makeError('insecure authorized connections unsupported', 'UNSUPPORTED_OPERATION', { operation: 'request' });
  }
  signal?.checkSignal();
  const abort = new AbortController();
  const outgoing = (protocol === 'http' ? http : https).request(request.url, {
    method: request.method,
    headers: { ...request.headers },
    signal: abort.signal,
  });
  outgoing.setTimeout(request.timeout);
  if (request.body) outgoing.write(Buffer.from(request.body));
  outgoing.end();
  return new Promise((resolve, reject) => {
    signal?.addListener(() => {
      abort.abort();
      reject(makeError('request cancelled', 'CANCELLED'));
    });
    outgoing.on('timeout', () => {
      // The socket is given up too: a node that never answers would otherwise keep one open per timed-out request.
      abort.abort();
      reject(makeError('request timeout', 'TIMEOUT'));
    });
    outgoing.on('error', reject);
    outgoing.once('response', (response) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        headers[name] = Array.isArray(value) ? value.join(', ') : value ?? '';
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        try {
          let body: Uint8Array | null = chunks.length === 0 ? null : Buffer.concat(chunks);
          if (headers['content-encoding'] === 'gzip' && body !== null) body = new Uint8Array(gunzipSync(body));
          resolve({ statusCode: response.statusCode ?? 0, statusMessage: response.statusMessage ?? '', headers, body });
        } catch (error) {
          reject(makeError('bad response data', 'SERVER_ERROR', { request, info: { error } }));
        }
      });
    });
  });
};

let registered = false;

/**
 * Makes every ethers HTTP request of this process use {@link linearGetUrl} (idempotent): what the oracle, the API and
 * the security service call at start.
 *
 * @example
 * useLinearGetUrl()
 * const provider = new JsonRpcProvider(config.rpcUrl)
 */
export function useLinearGetUrl(): void {
  if (registered) return;
  FetchRequest.registerGetUrl(linearGetUrl);
  registered = true;
}
