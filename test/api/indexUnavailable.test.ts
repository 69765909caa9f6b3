import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import { errorHandler } from '../../api/src/http/errorHandler';
import { defineRoute } from '../../api/src/http/defineRoute';
import { mountRoutes } from '../../api/src/http/mountRoutes';
import { deviceIdParams } from '../../api/src/schemas/common';
import { requireTwin } from '../../api/src/views/twinView';
import { upsertTwin, type Store } from '../../store/src';
import { createTestDatabase } from '../helpers/store';

const DEVICE = `0x${'01'.repeat(32)}` as const;

describe('api: the index unavailable (a StoreError answers 503, the process stays up)', function () {
  this.timeout(60_000);
  let store: Store;
  let url: string;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  const logged: string[] = [];

  before(async function () {
    store = await (await createTestDatabase()).open();
    await upsertTwin(store, {
      deviceId: DEVICE,
      owner: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      manufacturer: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
      deviceSigner: '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
      state: 'active',
      forSale: false,
      price: 0n,
      staticHash: `0x${'ab'.repeat(32)}`,
      staticCid: 'bafy-static',
      updateCount: 0,
      reviewRequested: false,
      mintedBlock: 1,
      updatedBlock: 1,
    });
    const app = express();
    const router = express.Router();
    mountRoutes(router, [
      defineRoute({
        method: 'get',
        path: '/twins/:deviceId',
        operationId: 'getTwin',
        summary: 'A twin',
        tag: 'twins',
        params: deviceIdParams,
        responses: {},
        handler: async ({ params }) => ({ owner: (await requireTwin(store, params.deviceId)).owner }),
      }),
    ]);
    app.use(router);
    app.use(errorHandler((_level, message, fields) => logged.push(`${message} ${JSON.stringify(fields)}`)));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async function () {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers from the index while it is up, 404 for an unknown twin', async function () {
    const found = await fetch(`${url}/twins/${DEVICE}`);
    expect(found.status).to.equal(200);
    expect(((await found.json()) as { owner: string }).owner).to.match(/^0x7099/);
    expect((await fetch(`${url}/twins/0x${'02'.repeat(32)}`)).status).to.equal(404);
  });

  it('answers 503 index-unavailable with Retry-After once the index is gone, and keeps serving', async function () {
    await store.close();
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await fetch(`${url}/twins/${DEVICE}`);
      expect(response.status).to.equal(503);
      expect(response.headers.get('retry-after')).to.equal('2');
      const body = (await response.json()) as { error: { code: string; message: string; details: { reason: string } } };
      expect(body.error.code).to.equal('index-unavailable');
      expect(body.error.message).to.match(/^The index \(PostgreSQL\) did not answer: /);
      expect(body.error.message).to.not.match(/postgres(ql)?:\/\//); // no connection string
    }
    expect(logged.length).to.equal(3);
  });
});
