import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { FetchRequest, JsonRpcProvider } from 'ethers';
import { useLinearGetUrl } from '../../../oracle/src/chain/useLinearGetUrl';

describe('ethers over the linear HTTP transport (useLinearGetUrl)', function () {
  let server: Server;
  let url: string;
  const logs = Array.from({ length: 20_000 }, (_, index) => ({
    index,
    data: `0x${index.toString(16).padStart(64, '0')}`,
  }));

  before(async function () {
    useLinearGetUrl();
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const { id, method } = JSON.parse(body) as { id: number; method: string };
        if (method === 'slow') return void setTimeout(() => response.end('{}'), 2_000);
        const payload = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id, result: method === 'big' ? logs : 'small' }));
        if (method === 'gzip') {
          response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          return void response.end(gzipSync(payload));
        }
        response.writeHead(200, { 'content-type': 'application/json' });
        // Many small chunks, as a large getLogs answer arrives.
        for (let offset = 0; offset < payload.length; offset += 16_384)
          response.write(payload.subarray(offset, offset + 16_384));
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(function () {
    server.close();
  });

  it('reads a multi-megabyte answer arriving in many chunks, byte for byte', async function () {
    const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, batchMaxCount: 1 });
    const result = (await provider.send('big', [])) as typeof logs;
    expect(result).to.have.length(logs.length);
    expect(result[12_345]).to.deep.equal(logs[12_345]);
    expect(await provider.send('small', [])).to.equal('small');
    provider.destroy();
  });

  it('inflates a gzip answer', async function () {
    const provider = new JsonRpcProvider(url, 31337, { staticNetwork: true, batchMaxCount: 1 });
    expect(await provider.send('gzip', [])).to.equal('small');
    provider.destroy();
  });

  it('fails with TIMEOUT when the node does not answer in time', async function () {
    const request = new FetchRequest(url);
    request.timeout = 200;
    request.body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'slow', params: [] });
    request.setHeader('content-type', 'application/json');
    const error = await request.send().then(
      () => undefined,
      (caught: Error & { code?: string }) => caught,
    );
    expect(error?.code).to.equal('TIMEOUT');
  });
});
