import { expect } from 'chai';
import { CAST } from '../oracle/chain/deployOnNode';
import { random } from '../helpers/random';
import { signInSession } from '../helpers/siweSession';
import { startApiHarness, type ApiHarness } from './apiHarness';

/** Path and query values that have broken parsers before: malformed escapes, huge, odd numbers, traversal, unicode. */
const NASTY = [
  '%ZZ',
  '%',
  '%E0%A4%A',
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  '-1',
  '1e309',
  'NaN',
  '0x',
  `0x${'f'.repeat(64)}`,
  `0x${'0'.repeat(40)}`,
  '9'.repeat(100),
  'x'.repeat(5_000),
  '%F0%9F%92%A9',
  '[]',
  '{}',
  'true',
  ' ',
];

/** Bodies of every JSON shape, and some that are not JSON. */
const BODIES: (string | undefined)[] = [
  undefined,
  '',
  'null',
  '[]',
  '"text"',
  '12',
  '{',
  '{"a":',
  JSON.stringify({ message: 1, signature: [], address: {}, nonce: null }),
  JSON.stringify({ request: { from: 'x', to: 1, gas: -1, deadline: 'soon', data: '0xzz' }, signature: 5 }),
  JSON.stringify({ from: `0x${'1'.repeat(40)}`, action: 'withdraw', args: { x: 1 } }),
  JSON.stringify({ command: 'set-intervals', snapshotSeconds: -5, telemetrySeconds: 1e308 }),
  JSON.stringify({ __proto__: { admin: true }, constructor: { prototype: {} } }),
  JSON.stringify(Array.from({ length: 2_000 }, () => ({ a: [1, 2, 3] }))),
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
];

type Operation = { method: string; path: string; parameters: { name: string; in: string }[] };

describe('API fuzz: every route of the OpenAPI document with malformed input answers a 4xx, never a 5xx (real server, chain)', function () {
  this.timeout(300_000);
  let h: ApiHarness;
  let operations: Operation[];
  let authorization: string;

  before(async function () {
    h = await startApiHarness('api-fuzz', 1, {
      API_RATE_LIMIT_PER_MINUTE: '1000000',
      API_CHECK_MESSAGE_PER_MINUTE: '100000',
    });
    authorization = (await signInSession(h.api, h.wallet(CAST.alice))).headers.authorization;
    const document = (await h.request('/openapi.json')).body as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ method, path, parameters: operation.parameters ?? [] })),
    );
  });

  after(async function () {
    await h?.stop();
  });

  it('covers every documented route', function () {
    expect(operations.length).to.be.at.least(25);
    expect(operations.map((operation) => operation.path)).to.include.members([
      '/ipfs/{cid}',
      '/api/v1/rejections',
      '/api/v1/messages/check',
    ]);
  });

  it('answers no 5xx to malformed path parameters, query values, bodies and tokens', async function () {
    const next = random(14);
    const pick = <item>(items: readonly item[]) => items[Math.floor(next() * items.length)]!;
    const origin = h.services.api.url;
    const failures: string[] = [];
    let requests = 0;
    const send = async (method: string, url: string, body: string | undefined, headers: Record<string, string>) => {
      requests++;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), 15_000);
      try {
        const response = await fetch(url, {
          method: method.toUpperCase(),
          headers: { 'content-type': 'application/json', ...headers },
          ...(body === undefined || method === 'get' ? {} : { body }),
          signal: controller.signal,
        });
        // Event streams stay open: the status is all that matters.
        if (response.headers.get('content-type')?.startsWith('text/event-stream')) controller.abort();
        else await response.arrayBuffer();
        if (response.status >= 500)
          failures.push(
            `${method.toUpperCase()} ${url.slice(origin.length, origin.length + 160)} → ${response.status}`,
          );
      } catch (error) {
        if (!controller.signal.aborted)
          failures.push(`${method.toUpperCase()} ${url.slice(0, 160)} → ${(error as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    };
    for (const operation of operations) {
      for (let round = 0; round < 12; round++) {
        let path = operation.path;
        const query = new URLSearchParams();
        let rawQuery = '';
        for (const parameter of operation.parameters) {
          const value = pick(NASTY);
          if (parameter.in === 'path') path = path.replace(`{${parameter.name}}`, value);
          else if (next() < 0.7) rawQuery += `${rawQuery === '' ? '?' : '&'}${parameter.name}=${value}`;
        }
        if (next() < 0.2) query.set('extra', pick(NASTY));
        const headers: Record<string, string> = {};
        const auth = next();
        if (auth < 0.3) headers.authorization = authorization;
        else if (auth < 0.5) headers.authorization = `Bearer ${pick(NASTY)}`;
        else if (auth < 0.6) headers.authorization = pick(['Basic abc', 'Bearer', '']);
        if (next() < 0.3)
          headers.accept = pick(['application/vnd.ipld.raw', 'application/vnd.ipld.car', '*/*', 'text/html;q=0']);
        const extra = query.toString();
        const url = `${origin}${path}${rawQuery}${extra === '' ? '' : `${rawQuery === '' ? '?' : '&'}${extra}`}`;
        await send(operation.method, url, pick(BODIES), headers);
      }
    }
    expect(failures, failures.slice(0, 20).join('\n')).to.deep.equal([]);
    expect(requests).to.be.at.least(operations.length * 12);
    // Still serving afterwards.
    expect((await h.request('/health')).status).to.equal(200);
  });
});
