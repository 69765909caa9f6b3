import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KUBO_CHUNK_BYTES, referenceDag } from './referenceDag';

/** One request the stand-in received: the endpoint (after `/api/v0/`) and its query parameters. */
export type StandInRequest = { endpoint: string; query: URLSearchParams };

/**
 * KUBO STAND-IN, NOT KUBO. No Kubo binary can run on this machine, so the Kubo adapter's tests talk to this small
 * HTTP server on 127.0.0.1, which answers the few Kubo RPC endpoints the adapter calls the way Kubo does (POST,
 * query parameters, multipart upload, ndjson and JSON bodies, Kubo's JSON error shape with HTTP 500):
 * `/api/v0/add`, `/api/v0/block/get`, `/api/v0/block/stat`, `/api/v0/pin/add`, `/api/v0/pin/rm`, `/api/v0/pin/ls`.
 * It stores blocks in memory, builds DAGs with the independent `referenceDag`, records every request, and can be
 * told to misbehave (return wrong bytes for a block, chunk differently) so the adapter's checks are exercised.
 *
 * @example
 * const kubo = await KuboStandIn.start()
 * const store = new KuboBlobStore({ url: kubo.url })
 * await kubo.stop()
 */
export class KuboStandIn {
  /** Blocks by CID string. */
  readonly blocks = new Map<string, Uint8Array>();
  /** CIDs pinned recursively. */
  readonly pins = new Set<string>();
  /** Every request, in order. */
  readonly requests: StandInRequest[] = [];
  /** Bytes served instead of the stored block for these CIDs (a lying or corrupted node). */
  readonly tampered = new Map<string, Uint8Array>();
  /** Chunk size used by `add`, whatever the request says (to simulate a node importing with other settings). */
  forcedChunkBytes: number | undefined;

  private constructor(private readonly server: Server, readonly url: string) {}

  /** Listens on 127.0.0.1 on a free port. */
  static async start(): Promise<KuboStandIn> {
    let standIn: KuboStandIn | undefined;
    const server = createServer((request, response) => {
      standIn!.handle(request, response).catch((error: unknown) => {
        standIn!.fail(response, `stand-in failure: ${String(error)}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    standIn = new KuboStandIn(server, `http://127.0.0.1:${port}`);
    return standIn;
  }

  /** Requests made to one endpoint, e.g. `pin/add`. */
  requestsTo(endpoint: string): StandInRequest[] {
    return this.requests.filter((request) => request.endpoint === endpoint);
  }

  /** Stops listening and drops keep-alive connections, so nothing keeps the process alive. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const endpoint = url.pathname.replace(/^\/api\/v0\//, '');
    const body = await readBody(request);
    this.requests.push({ endpoint, query: url.searchParams });
    if (request.method !== 'POST') return this.fail(response, `${request.method} not allowed`, 405);
    const arg = url.searchParams.get('arg') ?? '';
    switch (endpoint) {
      case 'add':
        return this.add(request, url.searchParams, body, response);
      case 'block/get': {
        const block = this.tampered.get(arg) ?? this.blocks.get(arg);
        if (!block) return this.notFound(response, arg);
        response.writeHead(200, { 'Content-Type': 'text/plain' });
        return void response.end(block);
      }
      case 'block/stat': {
        const block = this.blocks.get(arg);
        if (!block) return this.notFound(response, arg);
        return this.json(response, { Key: arg, Size: block.length });
      }
      case 'pin/add':
        if (!this.blocks.has(arg)) return this.notFound(response, arg);
        this.pins.add(arg);
        return this.json(response, { Pins: [arg] });
      case 'pin/rm':
        if (!this.pins.delete(arg)) return this.fail(response, 'not pinned or pinned indirectly');
        return this.json(response, { Pins: [arg] });
      case 'pin/ls':
        if (!this.pins.has(arg)) return this.fail(response, `path '${arg}' is not pinned`);
        return this.json(response, { Cid: arg, Type: 'recursive', Name: '' });
      default:
        response.writeHead(404, { 'Content-Type': 'text/plain' });
        response.end('404 page not found');
    }
  }

  private add(request: IncomingMessage, query: URLSearchParams, body: Buffer, response: ServerResponse): void {
    if (query.get('cid-version') !== '1' || query.get('raw-leaves') !== 'true') {
      return this.fail(response, 'the stand-in only imports with cid-version=1 and raw-leaves=true', 400);
    }
    const content = firstMultipartPart(request.headers['content-type'] ?? '', body);
    if (!content) return this.fail(response, 'no file part in the multipart body', 400);
    const chunkBytes = this.forcedChunkBytes ?? Number((query.get('chunker') ?? `size-${KUBO_CHUNK_BYTES}`).slice(5));
    const dag = referenceDag(content, chunkBytes);
    for (const [cid, block] of dag.blocks) this.blocks.set(cid, block);
    if (query.get('pin') !== 'false') this.pins.add(dag.cid);
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(`${JSON.stringify({ Name: dag.cid, Hash: dag.cid, Size: String(content.length) })}\n`);
  }

  private json(response: ServerResponse, value: unknown): void {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(`${JSON.stringify(value)}\n`);
  }

  private notFound(response: ServerResponse, cid: string): void {
    this.fail(response, `block was not found locally (offline): ipld: could not find ${cid}`);
  }

  /** Kubo's error shape: HTTP 500 (or the given status) with `{ Message, Code, Type: 'error' }`. */
  private fail(response: ServerResponse, message: string, status = 500): void {
    if (response.headersSent) return void response.destroy();
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ Message: message, Code: 0, Type: 'error' }));
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The content of the first part of a multipart/form-data body. */
function firstMultipartPart(contentType: string, body: Buffer): Uint8Array | undefined {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  if (!boundary) return undefined;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const start = body.indexOf(delimiter);
  const headersEnd = body.indexOf('\r\n\r\n', start);
  const end = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd);
  if (start < 0 || headersEnd < 0 || end < 0) return undefined;
  return new Uint8Array(body.subarray(headersEnd + 4, end));
}
