import { expect } from 'chai';
import type { Wallet } from 'ethers';
import { loadApiConfig } from '../../api/src/config';
import { runApi, type RunningApi } from '../../api/src/runApi';
import { withAdvisoryLock, type Store } from '../../store/src';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { RELAYER_ACCOUNT, startApiHarness, type ApiHarness } from './apiHarness';

const BUDGET = { API_RELAY_BUDGET_REQUESTS: '3', API_RELAY_BUDGET_WINDOW_SECONDS: '900' };

/**
 * Two API instances relaying with one relayer key on one index (issue 15: no instance-dependent data): the system's
 * API and a second one with a pool of its own on the same database, the same key and the same budgets. An entity's
 * budget is one, whichever instance it spends through, and the instances never take the same relayer nonce.
 */
describe('API: two instances on one PostgreSQL, relaying with one key, share the sign-in, the budgets and the nonces', function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let second: RunningApi;
  let secondIndex: Store;
  let lockIndex: Store;
  let first: string;
  let other: string;
  let bobTwin: string;
  let manufacturerTwin: string;
  const relayer = () => h.wallet(RELAYER_ACCOUNT);
  const relayerNonce = () => h.harness.node.provider.getTransactionCount(relayer().address);

  const post = async (base: string, path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
  };
  /** Prepares (on `base`), signs and relays (on `base`) a `recordUpdate` of `deviceId` by its owner. */
  const relayUpdate = async (base: string, owner: Wallet, deviceId: string, version: string) => {
    const prepared = await post(base, '/relay/prepare', {
      from: owner.address,
      action: 'recordUpdate',
      deviceId,
      args: { component: 'firmware', version },
    });
    expect(prepared.status, JSON.stringify(prepared.body)).to.equal(200);
    const { domain, types, message } = prepared.body;
    return post(base, '/relay', { request: message, signature: await owner.signTypedData(domain, types, message) });
  };
  const standing = async (base: string, address: string) =>
    (await (await fetch(`${base}/relay/budget/${address}`)).json()) as any;

  before(async function () {
    h = await startApiHarness('api-relay-two', 3, BUDGET);
    [manufacturerTwin, bobTwin] = h.manufacturerTwins as [string, string];
    const manufacturer = h.wallet(CAST.manufacturer);
    await mined(
      h.harness.registry.twins
        .connect(manufacturer)
        ['safeTransferFrom(address,address,uint256)'](manufacturer.address, h.wallet(CAST.bob).address, bobTwin),
    );
    // As a second process would open it from DATABASE_URL: its own pool, the same key, the same budgets.
    secondIndex = await h.harness.database.open();
    lockIndex = await h.harness.database.open();
    second = await runApi({
      config: loadApiConfig({
        environment: {
          API_PORT: '0',
          RPC_URL: h.harness.node.url,
          MQTT_URL: h.services.mqttUrl,
          API_DEPLOYMENT_FILE: h.harness.deploymentFile,
          API_RATE_LIMIT_PER_MINUTE: '100000',
          API_RELAYER_KEY: relayer().privateKey,
          // Behind one load balancer both serve one public URL: the sign-in messages' domain.
          API_PUBLIC_URL: h.services.api.url,
          ...BUDGET,
        },
      }),
      shared: { index: secondIndex, store: h.services.oracle.store },
    });
    first = h.api;
    other = `${second.url}/api/v1`;
  });

  after(async function () {
    await second?.stop();
    await secondIndex?.close();
    await lockIndex?.close();
    await h?.stop();
  });

  it('signs in across instances: the nonce from one, the sign-in on the other, the session good on both, once', async function () {
    const alice = h.wallet(CAST.alice);
    const nonce = await post(first, '/auth/nonce', {});
    expect(nonce.status).to.equal(200);
    const built = await post(other, '/auth/message', { address: alice.address, nonce: nonce.body.nonce });
    expect(built.status, JSON.stringify(built.body)).to.equal(200);
    const signed = { message: built.body.message, signature: await alice.signMessage(built.body.message) };
    const session = await post(other, '/auth/sign-in', signed);
    expect(session.status, JSON.stringify(session.body)).to.equal(200);
    for (const base of [first, other]) {
      const read = await fetch(`${base}/auth/session`, { headers: { authorization: `Bearer ${session.body.token}` } });
      expect(read.status, base).to.equal(200);
      expect(((await read.json()) as any).address).to.equal(alice.address);
      // The same signed message again, on either instance: refused.
      const replay = await post(base, '/auth/sign-in', signed);
      expect([replay.status, replay.body.error.code]).to.deep.equal([401, 'siwe-nonce-invalid']);
    }
  });

  it('sends once a signed request posted to both instances at once (the other 409 or 401, spending nothing)', async function () {
    const before = await relayerNonce();
    const bob = h.wallet(CAST.bob);
    const prepared = await post(first, '/relay/prepare', {
      from: bob.address,
      action: 'recordUpdate',
      deviceId: bobTwin,
      args: { component: 'firmware', version: '1.9.0' },
    });
    const { domain, types, message } = prepared.body;
    const body = { request: message, signature: await bob.signTypedData(domain, types, message) };
    const results = await Promise.all([post(first, '/relay', body), post(other, '/relay', body)]);
    const statuses = results.map((result) => result.status).sort();
    expect(statuses[0], JSON.stringify(results.map((result) => result.body))).to.equal(200);
    // 409: it waited for the send lock and found the request sent; 401: it checked after the send was mined.
    expect([401, 409], JSON.stringify(results[1]!.body)).to.include(statuses[1]);
    expect(await relayerNonce()).to.equal(before + 1);
    const [a, b] = await Promise.all([first, other].map((base) => standing(base, bob.address)));
    expect(b).to.deep.equal(a);
    expect(a.used.requests).to.equal(1); // the refused one's reservation given back
  });

  it('relays requests sent to both instances at once: every one mined, no relayer nonce taken twice', async function () {
    const before = await relayerNonce();
    const hashes: string[] = [];
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all([
        relayUpdate(first, h.wallet(CAST.alice), h.aliceTwin, `2.${round}.0`),
        relayUpdate(other, h.wallet(CAST.bob), bobTwin, `2.${round}.0`),
        relayUpdate(other, h.wallet(CAST.manufacturer), manufacturerTwin, `2.${round}.0`),
      ]);
      for (const result of results) expect(result.status, JSON.stringify(result.body)).to.equal(200);
      hashes.push(...results.map((result) => result.body.txHash as string));
    }
    expect(new Set(hashes).size).to.equal(6);
    expect(await relayerNonce()).to.equal(before + 6);
  });

  it("waits to send while another instance holds the relayer's send lock", async function () {
    const before = await relayerNonce();
    let released = 0;
    const held = withAdvisoryLock(lockIndex, `relayer-send:${relayer().address.toLowerCase()}`, async () => {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      // Nothing was sent while the lock was held.
      expect(await relayerNonce()).to.equal(before);
      released = Date.now();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const result = await relayUpdate(other, h.wallet(CAST.alice), h.aliceTwin, '2.9.0');
    await held;
    expect(result.status, JSON.stringify(result.body)).to.equal(200);
    expect(released).to.be.greaterThan(0);
    expect(Date.now()).to.be.at.least(released);
    expect(await relayerNonce()).to.equal(before + 1);
  });

  it("refuses on one instance the entity's budget spent through the other, and both show the same standing", async function () {
    // Alice relayed 2 requests through the first instance and 1 through the second: her 3 are spent on both.
    const before = await relayerNonce();
    for (const base of [first, other]) {
      const refused = await relayUpdate(base, h.wallet(CAST.alice), h.aliceTwin, '2.10.0');
      expect(refused.status, JSON.stringify(refused.body)).to.equal(429);
      expect(refused.body.error.code).to.equal('relay-budget-exceeded');
      expect(refused.body.error.details.remaining.requests).to.equal(0);
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 900);
    }
    expect(await relayerNonce()).to.equal(before);
    const [a, b] = await Promise.all([first, other].map((base) => standing(base, h.wallet(CAST.alice).address)));
    expect(b).to.deep.equal(a);
    expect(a).to.deep.include({ windowSeconds: 900, limit: { gas: '2000000', requests: 3 } });
    expect(a.used.requests).to.equal(3);
    expect(Number(a.used.gas)).to.be.greaterThan(0);
    // The manufacturer spent 2 through the second instance: the first says so too, and still relays a third.
    const maker = h.wallet(CAST.manufacturer);
    expect((await standing(first, maker.address)).used).to.deep.equal((await standing(other, maker.address)).used);
    expect((await standing(first, maker.address)).remaining.requests).to.equal(1);
    expect((await relayUpdate(first, maker, manufacturerTwin, '2.10.0')).status).to.equal(200);
    expect((await standing(other, maker.address)).remaining.requests).to.equal(0);
  });
});
