import { expect } from 'chai';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { eventually, startApiHarness, type ApiHarness } from './apiHarness';
import { signInSession } from '../helpers/siweSession';

/** The gateway every simulated device routes through (agent/src/simulate/snapshotNetwork.ts). */
const SIMULATED_GATEWAY = 'host:10.0.0.1@02:00:5e:00:00:01';

describe('API: GET /topology and /topology/what-if (real server, oracle, chain, broker, IPFS, simulated devices)', function () {
  this.timeout(120_000);
  let h: ApiHarness;
  const tokens: Record<'alice' | 'bob' | 'manufacturer' | 'security', string> = {} as never;
  const as = (who: keyof typeof tokens | null) =>
    who === null ? {} : { headers: { authorization: `Bearer ${tokens[who]}` } };

  before(async function () {
    h = await startApiHarness('api-topology', 3);
    await eventually(
      () => h.request('/topology'),
      (answer) => answer.status === 200 && answer.body.sources.snapshots === 3,
      60_000,
      'a snapshot of every twin in the topology',
    );
    for (const who of ['alice', 'bob', 'manufacturer', 'security'] as const) {
      tokens[who] = (await signInSession(h.api, h.wallet(CAST[who]))).token;
    }
  });

  after(async function () {
    await h?.stop();
  });

  describe('GET /topology', function () {
    it('shows the public every twin with its state and nothing of their internals', async function () {
      const { status, body } = await h.request('/topology');
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.viewer).to.deep.equal({ address: null, role: null, internalsOf: 0 });
      expect(body.sources).to.include({ twins: 3, twinsLeftOut: 0, snapshots: 3, withoutSnapshot: 0 });
      expect(body.nodes.map((node: { id: string }) => node.id).sort()).to.deep.equal(
        h.harness.devices.map((device) => device.deviceId).sort(),
      );
      for (const node of body.nodes) expect(node).to.include({ kind: 'twin', state: 'active', mac: null });
      expect(body.links.every((link: { kind: string }) => link.kind === 'link')).to.equal(true);
      expect(JSON.stringify(body)).to.not.include('host:').and.not.include('10.0.0.');
    });

    it("shows an owner its own twin's gateway, flows and outside hosts, and no other twin's", async function () {
      const { status, body } = await h.request('/topology', as('alice'));
      expect(status, JSON.stringify(body)).to.equal(200);
      expect(body.viewer).to.include({ address: h.wallet(CAST.alice).address, role: 'owner', internalsOf: 1 });
      const alice = body.nodes.find((node: { id: string }) => node.id === h.aliceTwin);
      expect(alice.addresses).to.have.length.greaterThan(0);
      for (const other of h.manufacturerTwins) {
        expect(body.nodes.find((node: { id: string }) => node.id === other).addresses).to.deep.equal([]);
      }
      const gateway = body.nodes.find((node: { id: string }) => node.id === SIMULATED_GATEWAY);
      expect(gateway).to.include({ kind: 'gateway' });
      expect(gateway.gatewayFor).to.deep.equal([h.aliceTwin]);
      const flows = body.links.filter((link: { kind: string }) => link.kind === 'flow');
      expect(flows.length).to.be.greaterThan(0);
      for (const flow of flows) {
        expect(flow.source).to.equal(h.aliceTwin);
        expect(flow.observations.map((entry: { by: string }) => entry.by)).to.deep.equal([h.aliceTwin]);
        expect(flow.observations[0].via).to.equal(SIMULATED_GATEWAY);
        expect(Date.parse(flow.lastSeen)).to.be.a('number').and.not.NaN;
      }
      expect(body.nodes.some((node: { kind: string }) => node.kind === 'outside')).to.equal(true);
    });

    it('shows the manufacturer and a security entity every twin it may read; an owner of none, none', async function () {
      for (const who of ['manufacturer', 'security'] as const) {
        const { body } = await h.request('/topology', as(who));
        expect(body.viewer.internalsOf, who).to.equal(3);
        const gateway = body.nodes.find((node: { id: string }) => node.id === SIMULATED_GATEWAY);
        expect(gateway.gatewayFor, who).to.have.length(3);
      }
      const bob = await h.request('/topology', as('bob'));
      expect(bob.body.viewer).to.include({ role: 'owner', internalsOf: 0 });
      expect(JSON.stringify(bob.body)).to.not.include('host:');
    });

    it('answers the part around one twin, to the depth asked', async function () {
      const zero = await h.request(`/topology?around=${h.aliceTwin}&depth=0`, as('alice'));
      expect(zero.status).to.equal(200);
      expect(zero.body).to.include({ around: h.aliceTwin, depth: 0 });
      expect(zero.body.nodes.map((node: { id: string }) => node.id)).to.deep.equal([h.aliceTwin]);
      const one = await h.request(`/topology?around=${h.aliceTwin}`, as('alice'));
      expect(one.body.depth).to.equal(1);
      const ids = one.body.nodes.map((node: { id: string }) => node.id);
      expect(ids).to.include(SIMULATED_GATEWAY);
      expect(ids).to.not.include.members(h.manufacturerTwins);
    });

    it('refuses a bad depth or DeviceID (400 naming it), an unknown twin (404) and a bad token (401)', async function () {
      const depth = await h.request(`/topology?around=${h.aliceTwin}&depth=9`);
      expect(depth.status).to.equal(400);
      expect(depth.body.error.details.map((detail: { field: string }) => detail.field)).to.deep.equal(['depth']);
      const malformed = await h.request('/topology?around=0x12');
      expect(malformed.status).to.equal(400);
      expect(malformed.body.error.message).to.include('around');
      const unknown = await h.request(`/topology?around=0x${'1'.repeat(64)}`);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.code).to.equal('twin-not-found');
      const bad = await h.request('/topology', { headers: { authorization: 'Bearer not.a.token' } });
      expect(bad.status).to.equal(401);
      expect(bad.body.error.code).to.equal('token-invalid');
    });
  });

  describe('GET /topology/what-if', function () {
    it("isolating Alice's twin stops its flows: the owner sees which, the public only who is affected", async function () {
      const owner = await h.request(`/topology/what-if?isolate=${h.aliceTwin}`, as('alice'));
      expect(owner.status, JSON.stringify(owner.body)).to.equal(200);
      expect(owner.body.isolated).to.deep.equal([h.aliceTwin]);
      // The simulated devices route through a router that is no twin: nobody loses a gateway.
      expect(owner.body.lostGateway).to.deep.equal([]);
      expect(owner.body.stoppedFlows.length).to.be.greaterThan(0);
      for (const flow of owner.body.stoppedFlows) {
        expect(flow).to.include({ source: h.aliceTwin, reason: 'endpoint-isolated' });
      }
      expect(owner.body.summary.flowsStopped).to.equal(owner.body.stoppedFlows.length);
      const publicView = await h.request(`/topology/what-if?isolate=${h.aliceTwin}`);
      expect(publicView.body.stoppedFlows).to.deep.equal([]);
      expect(publicView.body.summary).to.include({ flowsStopped: 0, flows: 0 });
      expect(publicView.body.isolated).to.deep.equal([h.aliceTwin]);
    });

    it('with suspended=true, isolates every twin suspended on chain now', async function () {
      const none = await h.request('/topology/what-if?suspended=true', as('alice'));
      expect(none.status, JSON.stringify(none.body)).to.equal(200);
      expect(none.body.isolated).to.deep.equal([]);
      expect(none.body.stoppedFlows).to.deep.equal([]);
      const security = h.harness.registry.twins.connect(h.wallet(CAST.security));
      await mined(security.getFunction('setState')(h.aliceTwin, 1, 'topology what-if test'));
      const answer = await eventually(
        () => h.request('/topology/what-if?suspended=true', as('alice')),
        (reply) => reply.status === 200 && reply.body.isolated.includes(h.aliceTwin),
        20_000,
        "the suspension in the topology's what-if",
      );
      expect(answer.body.isolated).to.deep.equal([h.aliceTwin]);
      expect(answer.body.stoppedFlows.length).to.be.greaterThan(0);
      const topology = await h.request('/topology');
      expect(topology.body.nodes.find((node: { id: string }) => node.id === h.aliceTwin).state).to.equal('suspended');
      await mined(security.getFunction('setState')(h.aliceTwin, 0, 'topology what-if test done'));
    });

    it('refuses an empty or malformed list (400 naming isolate) and unknown twins (404 naming them)', async function () {
      for (const query of ['', '?isolate=', `?isolate=${h.aliceTwin},0x12`]) {
        const { status, body } = await h.request(`/topology/what-if${query}`);
        expect(status, query).to.equal(400);
        expect(body.error.details[0].field, query).to.match(/^isolate/);
      }
      const missing = `0x${'2'.repeat(64)}`;
      const unknown = await h.request(`/topology/what-if?isolate=${h.aliceTwin},${missing}`);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.error.details.deviceIds).to.deep.equal([missing]);
    });
  });

  it('is in the OpenAPI document with its query parameters', async function () {
    const { body } = await h.request('/openapi.json');
    expect(body.paths['/api/v1/topology'].get.operationId).to.equal('getTopology');
    expect(body.paths['/api/v1/topology'].get.parameters.map((p: { name: string }) => p.name)).to.include.members([
      'around',
      'depth',
    ]);
    expect(body.paths['/api/v1/topology/what-if'].get.operationId).to.equal('topologyWhatIf');
    expect(body.components.schemas).to.have.property('Topology');
  });
});
