import { expect } from 'chai';
import type { Wallet } from 'ethers';
import type { ApiContext } from '../../api/src/context';
import { ApiError } from '../../api/src/errors';
import { demoRoutes } from '../../api/src/routes/demo';
import { CAST } from '../oracle/chain/deployOnNode';
import { eventually, startApiHarness, type ApiHarness } from './apiHarness';

/** The demo cast as `npm start` hands it to the API. */
function demoAccounts(h: ApiHarness) {
  return [
    { label: 'Alice (demo owner)', key: h.wallet(CAST.alice).privateKey },
    { label: 'Twin SOC (demo security entity)', key: h.wallet(CAST.security).privateKey },
  ];
}

describe('API: fleet summary, twin directory, alert inbox and demo routes (real server, oracle, chain, broker)', function () {
  this.timeout(120_000);
  let h: ApiHarness;

  before(async function () {
    // The keys are only known once the node runs: the harness's node uses Hardhat's development mnemonic.
    const { HDNodeWallet } = await import('ethers');
    const phrase = 'test test test test test test test test test test test junk';
    const key = (index: number) => HDNodeWallet.fromPhrase(phrase, '', `m/44'/60'/0'/0/${index}`).privateKey;
    h = await startApiHarness('api-fleet', 3, {
      API_DEMO_ACCOUNTS: JSON.stringify([
        { label: 'Alice (demo owner)', key: key(CAST.alice) },
        { label: 'Twin SOC (demo security entity)', key: key(CAST.security) },
      ]),
    });
    await eventually(
      () => h.request('/fleet/twins?q=' + encodeURIComponent(h.aliceTwin.slice(0, 10))),
      (answer) => answer.status === 200 && answer.body.items[0]?.hostname !== null,
      30_000,
      "the twins' static documents",
    );
  });

  after(async function () {
    await h?.stop();
  });

  async function signIn(wallet: Wallet): Promise<string> {
    const nonce = await h.request('/auth/nonce', { method: 'POST' });
    const built = await h.request('/auth/message', {
      method: 'POST',
      body: JSON.stringify({ address: wallet.address, nonce: nonce.body.nonce }),
    });
    const signature = await wallet.signMessage(built.body.message);
    const signed = await h.request('/auth/sign-in', {
      method: 'POST',
      body: JSON.stringify({ message: built.body.message, signature }),
    });
    expect(signed.status, JSON.stringify(signed.body)).to.equal(200);
    return signed.body.token;
  }

  it('GET /fleet counts twins by state, alerts, and measures anchoring lag and ingest rate', async function () {
    const { body } = await eventually(
      () => h.request('/fleet'),
      (answer) => answer.body.anchoring?.confirmedBatches > 0 && answer.body.ingest?.snapshotsPerMinute > 0,
      60_000,
      'an anchored batch and ingested snapshots',
    );
    expect(body.twins).to.equal(3);
    expect(body.byState).to.deep.equal({ active: 3, suspended: 0, unknown: 0, deactivated: 0, lost: 0 });
    expect(body.openAlerts).to.equal(0);
    expect(body.chain.chainId).to.equal(31337);
    expect(body.chain.contracts.TwinRegistry).to.match(/^0x[0-9a-fA-F]{40}$/);
    expect(body.ingest.readingsPerMinute).to.be.greaterThan(0);
    expect(body.anchoring.lastConfirmedAt).to.be.a('string');
    if (body.anchoring.pendingSnapshots > 0) expect(body.anchoring.lagSeconds).to.be.a('number').at.least(0);
    else expect(body.anchoring.lagSeconds).to.equal(null);
  });

  it('GET /fleet/twins names owners, shows hostnames and models, searches and sorts', async function () {
    const all = await h.request('/fleet/twins?pageSize=50');
    expect(all.status).to.equal(200);
    expect(all.body.total).to.equal(3);
    const alices = all.body.items.find((item: { deviceId: string }) => item.deviceId === h.aliceTwin);
    expect(alices.ownerName).to.equal('Alice');
    expect(alices.manufacturerName).to.equal('Raspberry Pi Ltd');
    const device = h.harness.devices[0]!;
    expect(alices.hostname).to.equal(device.staticDocument.os.hostname);
    expect(alices.model).to.equal(device.staticDocument.identity.hardwareModel);

    const byOwner = await h.request('/fleet/twins?q=alice');
    expect(byOwner.body.items.map((item: { deviceId: string }) => item.deviceId)).to.deep.equal([h.aliceTwin]);
    const byHost = await h.request(
      `/fleet/twins?q=${encodeURIComponent(device.staticDocument.os.hostname.toUpperCase())}`,
    );
    expect(byHost.body.items.map((item: { deviceId: string }) => item.deviceId)).to.include(h.aliceTwin);
    const byPrefix = await h.request(`/fleet/twins?q=${h.aliceTwin.slice(0, 12)}`);
    expect(byPrefix.body.items[0].deviceId).to.equal(h.aliceTwin);
    const none = await h.request('/fleet/twins?q=no-such-host-anywhere');
    expect(none.body).to.include({ total: 0 });

    const asc = await h.request('/fleet/twins?sort=hostname&order=asc');
    const desc = await h.request('/fleet/twins?sort=hostname&order=desc');
    const hosts = asc.body.items.map((item: { hostname: string }) => item.hostname);
    expect(hosts).to.deep.equal([...hosts].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
    expect(desc.body.items.map((item: { hostname: string }) => item.hostname)).to.deep.equal([...hosts].reverse());

    const bad = await h.request('/fleet/twins?sort=colour');
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.include('sort');
  });

  it('GET /entities lists the registered entities with their names', async function () {
    const { status, body } = await h.request('/entities?role=owner');
    expect(status).to.equal(200);
    expect(body.items.map((entity: { name: string }) => entity.name)).to.deep.equal(['Alice', 'Bob']);
  });

  it("GET /alerts is the security entities' inbox: refused to strangers and owners, served to them", async function () {
    expect((await h.request('/alerts')).status).to.equal(401);
    const owner = await signIn(h.wallet(CAST.alice));
    const refused = await h.request('/alerts', { headers: { authorization: `Bearer ${owner}` } });
    expect(refused.status).to.equal(403);
    const security = await signIn(h.wallet(CAST.security));
    const inbox = await h.request('/alerts?status=open', { headers: { authorization: `Bearer ${security}` } });
    expect(inbox.status).to.equal(200);
    expect(inbox.body.items).to.be.an('array');
  });

  it('GET /demo/accounts serves the configured development keys with their entities', async function () {
    const { status, body } = await h.request('/demo/accounts');
    expect(status).to.equal(200);
    expect(body.development).to.equal(true);
    expect(
      body.items.map((item: { address: string; role: string; name: string }) => [item.address, item.role, item.name]),
    ).to.deep.equal([
      [h.wallet(CAST.alice).address, 'owner', 'Alice'],
      [h.wallet(CAST.security).address, 'security', 'Twin SOC'],
    ]);
  });

  it('POST /demo/rpc forwards only the allowed JSON-RPC methods', async function () {
    const ok = await h.request('/demo/rpc', {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
    });
    expect(ok.status).to.equal(200);
    expect(ok.body).to.deep.include({ jsonrpc: '2.0', id: 1, result: '0x7a69' });
    for (const method of ['eth_sendTransaction', 'hardhat_setBalance', 'eth_accounts']) {
      const refused = await h.request('/demo/rpc', {
        method: 'POST',
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method, params: [] }),
      });
      expect(refused.status, method).to.equal(400);
      expect(refused.body.error.message, method).to.include('method');
    }
  });

  it('POST /mint/prepare is for manufacturers, names a bad document, and refuses a minted DeviceID', async function () {
    const body = (document: unknown) =>
      JSON.stringify({ document, deviceSigner: h.wallet(CAST.newSigner).address, attestation: `0x${'11'.repeat(65)}` });
    expect((await h.request('/mint/prepare', { method: 'POST', body: body({}) })).status).to.equal(401);
    const owner = await signIn(h.wallet(CAST.alice));
    const asOwner = await h.request('/mint/prepare', {
      method: 'POST',
      body: body({}),
      headers: { authorization: `Bearer ${owner}` },
    });
    expect(asOwner.status).to.equal(403);
    const maker = await signIn(h.wallet(CAST.manufacturer));
    const auth = { authorization: `Bearer ${maker}` };
    const bad = await h.request('/mint/prepare', { method: 'POST', body: body({ identity: {} }), headers: auth });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.message).to.include('Invalid static document');
    const existing = await h.request('/mint/prepare', {
      method: 'POST',
      body: body(h.harness.devices[0]!.staticDocument),
      headers: auth,
    });
    expect(existing.status).to.equal(409);
    expect(existing.body.error.code).to.equal('twin-exists');
  });

  describe('demoRoutes', function () {
    const context = (chainId: number, accounts: { label: string; key: string }[]) =>
      ({
        config: { demoAccounts: accounts, rpcUrl: 'http://127.0.0.1:8545' },
        deployment: { chainId },
      } as unknown as ApiContext);

    it('mounts nothing without demo accounts', function () {
      expect(demoRoutes(context(31337, []))).to.deep.equal([]);
    });

    it('refuses demo accounts on a chain that is not a local development chain', function () {
      let thrown: unknown;
      try {
        demoRoutes(context(1, demoAccounts(h)));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.be.instanceOf(ApiError);
      expect((thrown as ApiError).code).to.equal('demo-accounts-refused');
      expect((thrown as ApiError).message).to.include('chain 1 ');
    });
  });
});
