import { expect } from 'chai';
import { loadApiConfig } from '../../api/src/config';
import { runApi, type RunningApi } from '../../api/src/runApi';
import { CAST } from '../oracle/chain/deployOnNode';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { eventually, nextEvent, startApiHarness, type ApiHarness } from './apiHarness';

/**
 * Two API instances on one index (issue 15): the system's API and a second one with a pool of its own on the same
 * database (no oracle of its own), so what one instance or the oracle wrote, the other serves and streams.
 */
describe('API: two instances on one PostgreSQL index answer and stream alike', function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let second: RunningApi;
  let other: string;
  const sessions = new Map<string, TestSession>();
  const get = async (base: string, path: string) => {
    if (!sessions.has(base)) sessions.set(base, await signInSession(base, h.wallet(CAST.alice)));
    const response = await fetch(`${base}${path}`, { headers: sessions.get(base)!.headers });
    return { status: response.status, body: (await response.json()) as any };
  };

  before(async function () {
    h = await startApiHarness('api-two', 2);
    // Its own store (pool) on the test file's database, as a second process would open it from DATABASE_URL.
    const index = await h.harness.database.open();
    second = await runApi({
      config: loadApiConfig({
        environment: {
          API_PORT: '0',
          RPC_URL: h.harness.node.url,
          MQTT_URL: h.services.mqttUrl,
          API_DEPLOYMENT_FILE: h.harness.deploymentFile,
          API_RATE_LIMIT_PER_MINUTE: '100000',
        },
      }),
      shared: { index, store: h.services.oracle.store },
    });
    other = `${second.url}/api/v1`;
    await eventually(
      () => h.request(`/twins/${h.aliceTwin}/snapshots?pageSize=50`),
      (answer) => answer.status === 200 && answer.body.items.some((item: { anchored: boolean }) => item.anchored),
      60_000,
      'an anchored snapshot',
    );
  });

  after(async function () {
    await second?.stop();
    await h?.stop();
  });

  it('serves the same twin view, snapshots and proof from either instance', async function () {
    // Ingestion goes on: compare what both say about a settled snapshot, and the twin's chain record.
    const [a, b] = await Promise.all([get(h.api, `/twins/${h.aliceTwin}`), get(other, `/twins/${h.aliceTwin}`)]);
    expect(a.status).to.equal(200);
    expect(b.body.twin).to.deep.equal({ ...a.body.twin, latestSnapshot: b.body.twin.latestSnapshot });
    expect(b.body.static).to.deep.equal(a.body.static);
    expect(b.body.owner).to.deep.equal(a.body.owner);
    const page = await get(h.api, `/twins/${h.aliceTwin}/snapshots?pageSize=50`);
    const anchored = page.body.items.find((item: { anchored: boolean }) => item.anchored);
    const path = `/twins/${h.aliceTwin}/snapshots/${anchored.seq}/proof`;
    const [proofA, proofB] = await Promise.all([get(h.api, path), get(other, path)]);
    expect(proofB.body).to.deep.equal({ ...proofA.body, verifiedAtBlock: proofB.body.verifiedAtBlock });
    expect(proofB.body.verified).to.equal(true);
  });

  it('streams the same events with the same ids on both instances, whichever process wrote them', async function () {
    // The next snapshot of Alice's twin (written by the oracle) as each instance streams it.
    const url = (base: string) => `${base}/events?deviceId=${h.aliceTwin}&types=snapshot`;
    const [a, b] = await Promise.all([
      nextEvent(url(h.api), 'snapshot', () => true, 20_000),
      nextEvent(url(other), 'snapshot', () => true, 20_000),
    ]);
    // Both streams opened at about the same time: the first snapshot each saw may differ by one; the later one is
    // also on the other stream, with the same id and data (resume on the other instance from the earlier id).
    const [earlier, later] = a.id! <= b.id! ? [a, b] : [b, a];
    const resumed = await nextEvent(
      url(a.id! <= b.id! ? other : h.api),
      'snapshot',
      (data) => data.seq === later.data.seq,
      20_000,
      {
        'Last-Event-ID': String(earlier.id! - 1),
      },
    );
    expect(resumed.id).to.equal(later.id);
    expect(resumed.data).to.deep.equal(later.data);
  });

  it("streams a command one instance relayed on the other instance's feed", async function () {
    const session = sessions.get(other) ?? (await signInSession(other, h.wallet(CAST.alice)));
    const stream = nextEvent(
      `${other}/events?deviceId=${h.aliceTwin}&types=command&access_token=${session.token}`,
      'command',
      () => true,
      30_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // the stream is open
    const built = await eventually(
      () =>
        h.request(`/twins/${h.aliceTwin}/commands/typed-data`, {
          method: 'POST',
          body: JSON.stringify({ command: 'ping' }),
        }),
      (response) => response.status === 200,
      20_000,
    );
    const { domain, types, message } = built.body.typedData;
    const sig = await h.wallet(CAST.alice).signTypedData(domain, types, message);
    const sent = await h.request(`/twins/${h.aliceTwin}/commands`, {
      method: 'POST',
      body: JSON.stringify({ ...built.body.command, sig }),
    });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(202);
    const { data } = await stream;
    expect(data.commandId).to.equal(built.body.commandId);
    // And the other instance reads it back.
    const read = await get(other, `/twins/${h.aliceTwin}/commands/${built.body.commandId}`);
    expect(read.status).to.equal(200);
    expect(read.body.commandId).to.equal(built.body.commandId);
  });
});
