import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { HeliaBlobStore } from '../../blobs/src';
import { spawnEntry, type EntryProcess } from '../../bench/lib/spawnEntry';
import { writeSwarmKey } from '../blobs/networkNodes';
import { freePort, waitForPort } from '../helpers/brokers';
import { eventually, startApiHarness, type ApiHarness } from './apiHarness';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { CAST } from '../oracle/chain/deployOnNode';

describe('API alone (npm run api, its own process) reading blobs from the oracle over the private IPFS network, no Kubo', function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let directory: string;
  let alone: EntryProcess;
  let aloneApi: string;
  let anchored: { deviceId: string; seq: number };
  /** Alice's sign-in on each API (each has its own token secret): snapshot messages are private (issue 14). */
  const sessions = new Map<string, TestSession>();
  const get = async (base: string, path: string) => {
    if (!sessions.has(base) && !path.startsWith('/health')) {
      sessions.set(base, await signInSession(base, h.wallet(CAST.alice)));
    }
    const response = await fetch(`${base}${path}`, {
      signal: AbortSignal.timeout(20_000),
      headers: sessions.get(base)?.headers ?? {},
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  before(async function () {
    directory = mkdtempSync(join(tmpdir(), 'api-alone-'));
    const key = writeSwarmKey(directory);
    const oraclePort = await freePort();
    // The oracle's embedded node joins the network; the in-process API of startServices shares it.
    h = await startApiHarness('api-alone', 2, {
      IPFS_SWARM_KEY_FILE: key,
      ORACLE_IPFS_LISTEN: `/ip4/127.0.0.1/tcp/${oraclePort}`,
    });
    const page = await eventually(
      () => h.request(`/twins/${h.aliceTwin}/snapshots?pageSize=50`),
      (answer) => answer.status === 200 && answer.body.items.some((item: { anchored: boolean }) => item.anchored),
      60_000,
      'an anchored snapshot',
    );
    anchored = page.body.items.find((item: { anchored: boolean }) => item.anchored);
    const oracleNode = (h.services.oracle.store as HeliaBlobStore).networkStatus()!;
    expect(oracleNode.listening).to.have.length(1);

    const port = await freePort();
    alone = spawnEntry({
      entry: 'api/src/cli.ts',
      env: {
        PATH: process.env.PATH,
        RPC_URL: h.harness.node.url,
        MQTT_URL: h.services.mqttUrl,
        API_DEPLOYMENT_FILE: h.harness.deploymentFile,
        // The index the oracle writes: the test file's database (the API alone no longer reads an oracle's file).
        DATABASE_URL: h.harness.database.url,
        API_PORT: String(port),
        API_DATA_DIR: join(directory, 'api'),
        IPFS_SWARM_KEY_FILE: key,
        IPFS_PEERS: oracleNode.listening[0],
        API_IPFS_LISTEN: 'none',
      },
    });
    await waitForPort(port, 90_000);
    aloneApi = `http://127.0.0.1:${port}/api/v1`;
    await eventually(
      () => get(aloneApi, '/health'),
      (answer) => String(answer.body.components?.ipfs?.detail).includes('1 of 1 configured peers connected'),
      30_000,
      "the API's node connected to the oracle's",
    );
  });

  after(async function () {
    await alone?.kill();
    await h?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('serves a snapshot document the oracle’s node added, the same document the oracle’s process serves', async function () {
    const path = `/twins/${anchored.deviceId}/snapshots/${anchored.seq}`;
    const [own, shared] = await Promise.all([get(aloneApi, path), get(h.api, path)]);
    expect(own.status, JSON.stringify(own.body)).to.equal(200);
    expect(own.body.message).to.include({ kind: 'snapshot', deviceId: anchored.deviceId, seq: anchored.seq });
    expect(own.body).to.deep.equal(shared.body);
    // Fetched, verified and pinned into the API's own store (IPFS_KEEP_FETCHED defaults to pin).
    expect(readdirSync(join(directory, 'api', 'ipfs', 'blocks'), { recursive: true }).length).to.be.greaterThan(0);
  });

  it('serves the twin view with its static document, also held by the oracle’s node only', async function () {
    const { status, body } = await get(aloneApi, `/twins/${h.aliceTwin}`);
    expect(status, JSON.stringify(body)).to.equal(200);
    const shared = await get(h.api, `/twins/${h.aliceTwin}`);
    expect(body.static).to.deep.equal(shared.body.static);
    expect(body.static).to.not.equal(null);
  });

  it('reports its own IPFS node on the private network, connected to the oracle’s, in /health', async function () {
    const { body } = await get(aloneApi, '/health');
    expect(body.components.ipfs.up).to.equal(true);
    expect(body.components.ipfs.detail)
      .to.include('private IPFS network')
      .and.include('1 of 1 configured peers connected');
    const oracleHealth = await get(h.api, '/health');
    expect(oracleHealth.body.components.ipfs.detail).to.include(
      (h.services.oracle.store as HeliaBlobStore).networkStatus()!.peerId,
    );
  });
});
