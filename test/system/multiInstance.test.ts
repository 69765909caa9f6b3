import { expect } from 'chai';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { spawnEntry, type EntryProcess } from '../../bench/lib/spawnEntry';
import { loadPeerIdentity } from '../../blobs/src/network/peerIdentity';
import { writeSwarmKey } from '../blobs/networkNodes';
import {
  freePort,
  mosquittoPath,
  startMosquitto,
  waitForPort,
  waitUntil,
  type MosquittoBroker,
} from '../helpers/brokers';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { signDeviceMessage } from '../../twin-core/src';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from '../oracle/oracleHarness';
import { kill, startOracleProcess, type OracleProcess } from '../oracle/oracleProcess';

const DEVICES = 8;
const PUBLISH_SECONDS = 30;

/** One server-sent event as a client received it. */
type Received = { id: number; event: string; data: string };

/** Reads `url`'s event stream into `into` until aborted. */
function follow(url: string, into: Received[], signal: AbortSignal): Promise<void> {
  return (async () => {
    const response = await fetch(url, { signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (id !== undefined && event !== undefined && data !== undefined) into.push({ id: Number(id), event, data });
      }
    }
  })().catch((error: Error) => {
    if (!signal.aborted) throw error;
  });
}

/**
 * Issue 15's end-to-end test, every part a separate process: two oracles and two APIs on one PostgreSQL, Mosquitto
 * with the oracles on one shared subscription, every process's embedded IPFS node on one private network, the
 * simulator publishing, an independent subscriber counting every snapshot. One oracle is killed (SIGKILL) twice
 * mid-stream. Then every snapshot published is indexed once and anchored once, both APIs answer and stream alike,
 * and a message accepted through one instance is refused when sent again, whichever instance receives it.
 */
describe('Two oracles and two APIs on one PostgreSQL, one oracle killed twice (separate processes)', function () {
  this.timeout(600_000);
  let harness: OracleHarness;
  let broker: MosquittoBroker;
  let subscriber: MqttClient | undefined;
  const oracles: { name: string; env: Record<string, string>; process: OracleProcess }[] = [];
  const apis: { base: string; process: EntryProcess }[] = [];
  const streams = new AbortController();
  const received: Received[][] = [[], []];
  /** Every snapshot the independent subscriber saw, by device and seq, with its payload. */
  const seen = new Map<string, string>();
  let produced = 0;

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      return this.skip();
    }
    harness = await startOracleHarness('multi-instance', DEVICES);
    // The oracles' queue while one is down: well above what the devices send meanwhile (README: queue limits).
    broker = await startMosquitto({ settings: ['max_queued_messages 100000'] });
    const second = harness.node.wallet(CAST.newSigner);
    await mined(harness.registry.entities.grantRole(await harness.registry.entities.ORACLE_ROLE(), second.address));

    // One private IPFS network: each node's identity made first, so that every process can name the others.
    const key = writeSwarmKey(harness.directory);
    const nodes = await Promise.all(
      ['oracle-a', 'oracle-b'].map(async (name) => {
        const dataDir = join(harness.directory, name);
        mkdirSync(join(dataDir, 'ipfs', 'ipfs'), { recursive: true });
        const { peerId } = await loadPeerIdentity(join(dataDir, 'ipfs', 'ipfs'));
        const port = await freePort();
        return {
          name,
          dataDir,
          listen: `/ip4/127.0.0.1/tcp/${port}`,
          peer: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`,
        };
      }),
    );
    const keys = [harness.node.wallet(CAST.oracle).privateKey, second.privateKey];
    for (const [position, node] of nodes.entries()) {
      const env = harness.oracleEnvironment(broker.url, {
        ORACLE_ORACLE_KEY: keys[position]!,
        ORACLE_DATA_DIR: node.dataDir,
        ORACLE_MQTT_CLIENT_ID: `twin-oracle-multi-${node.name}`,
        ORACLE_BATCH_SIZE: '32',
        ORACLE_BATCH_AGE_MS: '1000',
        IPFS_SWARM_KEY_FILE: key,
        ORACLE_IPFS_LISTEN: node.listen,
        IPFS_PEERS: nodes
          .filter((other) => other !== node)
          .map((other) => other.peer)
          .join(','),
      });
      oracles.push({ name: node.name, env, process: startOracleProcess(env) });
    }
    for (const oracle of oracles) {
      await waitUntil(
        () => oracle.process.output().includes('oracle subscribed'),
        120_000,
        `${oracle.name}\n${oracle.process.output().slice(-2_000)}`,
      );
    }
    for (const name of ['api-x', 'api-y']) {
      const port = await freePort();
      const process_ = spawnEntry({
        entry: 'api/src/cli.ts',
        env: {
          PATH: process.env.PATH,
          RPC_URL: harness.node.url,
          MQTT_URL: broker.url,
          API_DEPLOYMENT_FILE: harness.deploymentFile,
          DATABASE_URL: harness.database.url,
          API_PORT: String(port),
          API_DATA_DIR: join(harness.directory, name),
          API_RATE_LIMIT_PER_MINUTE: '100000',
          IPFS_SWARM_KEY_FILE: key,
          IPFS_PEERS: nodes.map((node) => node.peer).join(','),
          API_IPFS_LISTEN: 'none',
        },
      });
      await waitForPort(port, 120_000).catch((error: Error) => {
        throw new Error(`${name}: ${error.message}\n${process_.stderrTail()}`);
      });
      apis.push({ base: `http://127.0.0.1:${port}/api/v1`, process: process_ });
    }
  });

  after(async () => {
    streams.abort();
    subscriber?.end(true);
    for (const api of apis) await api.process.kill().catch(() => undefined);
    for (const oracle of oracles) await kill(oracle.process.child, 'SIGKILL');
    await broker?.stop();
    await harness?.stop();
  });

  it('indexes and anchors every snapshot published exactly once, though one oracle is killed twice', async function () {
    subscriber = connect(broker.url, { clean: true, protocolVersion: 4, clientId: 'independent-counter' });
    await new Promise<void>((resolve, reject) => {
      subscriber!.once('connect', () =>
        subscriber!.subscribe('twins/+/snapshot', { qos: 1 }, (error) => (error ? reject(error) : resolve())),
      );
      subscriber!.once('error', reject);
    });
    subscriber.on('message', (_topic, payload) => {
      const message = JSON.parse(payload.toString()) as { deviceId: string; seq: number };
      seen.set(`${message.deviceId.toLowerCase()}:${message.seq}`, payload.toString());
    });
    // Both APIs' public streams, opened before anything is published.
    apis.forEach(
      (api, position) => void follow(`${api.base}/events?types=snapshot,anchored`, received[position]!, streams.signal),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const victim = oracles[0]!;
    const started = Date.now();
    const kills: number[] = [];
    produced = await harness.publishFromDevices(broker.url, PUBLISH_SECONDS, async () => {
      for (const delay of [2_000 + Math.random() * 3_000, 2_000 + Math.random() * 2_000]) {
        await new Promise((resolve) => setTimeout(resolve, delay));
        await kill(victim.process.child, 'SIGKILL');
        kills.push(Date.now() - started);
        victim.process = startOracleProcess(victim.env);
        await waitUntil(
          () => victim.process.output().includes('oracle subscribed'),
          120_000,
          `${victim.name} after the kill\n${victim.process.output().slice(-2_000)}`,
        );
      }
    });
    expect(produced).to.be.greaterThan(DEVICES * 10);
    // Both kills fell while the devices were publishing (mid-stream), not after.
    expect(kills, 'kill times, ms after the start').to.have.length(2);
    expect(Math.max(...kills)).to.be.below(PUBLISH_SECONDS * 1_000);
    await waitUntil(() => seen.size >= produced, 30_000, `the subscriber to see ${produced} snapshots`);

    const index = harness.index;
    const settled = async () => {
      const { rows } = await index.query<{ indexed: number; anchored: number }>(
        `SELECT count(*)::int AS indexed,
                count(*) FILTER (WHERE b.status = 'confirmed')::int AS anchored
           FROM snapshots s
           LEFT JOIN batch_members m ON m.device_id = s.device_id AND m.seq = s.seq
           LEFT JOIN batches b ON b.id = m.batch_id`,
      );
      return rows[0]!;
    };
    let last = await settled();
    const deadline = Date.now() + 120_000;
    while ((last.indexed < seen.size || last.anchored < last.indexed) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      last = await settled();
    }
    const rows = await harness.anchoredSnapshots();
    const indexed = new Set(rows.map((row) => `${row.deviceId.toLowerCase()}:${row.seq}`));
    const missing = [...seen.keys()].filter((key) => !indexed.has(key));
    expect(
      missing,
      `published but not indexed (${oracles.map((o) => o.process.output().slice(-1_500)).join('\n')})`,
    ).to.deep.equal([]);
    expect(rows.length, 'indexed once (no row the subscriber did not see)').to.equal(seen.size);
    expect(rows.filter((row) => row.status !== 'confirmed')).to.deep.equal([]);

    // Anchored once: the roots the chain holds cover every snapshot exactly once, in one batch each.
    const anchor = harness.registry.anchor;
    const events = await anchor.queryFilter(anchor.filters.BatchAnchored(), 0, 'latest');
    const onChain = new Map(events.map((event) => [String((event as { args: { root: string } }).args.root), event]));
    const { rows: batches } = await index.query<{ root: string; leaf_count: number }>(
      `SELECT root, leaf_count FROM batches WHERE status = 'confirmed'`,
    );
    expect(new Set(batches.map((batch) => batch.root)).size).to.equal(batches.length);
    for (const batch of batches) expect(onChain.has(batch.root), `root ${batch.root} on chain`).to.equal(true);
    expect(onChain.size, 'no root anchored that the index does not hold').to.equal(batches.length);
    expect(batches.reduce((sum, batch) => sum + batch.leaf_count, 0)).to.equal(seen.size);
  });

  it('answers the same twin views (latest telemetry included) and proofs on both APIs', async function () {
    const sessions: TestSession[] = [];
    for (const api of apis) sessions.push(await signInSession(api.base, harness.node.wallet(CAST.manufacturer)));
    const get = async (position: number, path: string) => {
      const response = await fetch(`${apis[position]!.base}${path}`, { headers: sessions[position]!.headers });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    for (const device of harness.devices) {
      const [x, y] = await Promise.all([get(0, `/twins/${device.deviceId}`), get(1, `/twins/${device.deviceId}`)]);
      expect(x.status, JSON.stringify(x.body)).to.equal(200);
      expect(x.body.latestTelemetry, 'the latest telemetry is in the view').to.be.an('object');
      // The static document came over the private IPFS network (the APIs' nodes hold no blocks of their own).
      expect(x.body.staticError ?? null, 'static document read').to.equal(null);
      expect(x.body.static).to.be.an('object');
      expect(y.body).to.deep.equal(x.body);
      const latest = await harness.index.query<{ seq: string }>(
        `SELECT max(m.seq) AS seq FROM batch_members m JOIN batches b ON b.id = m.batch_id
          WHERE m.device_id = $1 AND b.status = 'confirmed'`,
        [device.deviceId.toLowerCase()],
      );
      const path = `/twins/${device.deviceId}/snapshots/${latest.rows[0]!.seq}/proof`;
      const [proofX, proofY] = await Promise.all([get(0, path), get(1, path)]);
      expect(proofX.status, JSON.stringify(proofX.body)).to.equal(200);
      expect(proofX.body.verified).to.equal(true);
      expect(proofY.body).to.deep.equal({ ...proofX.body, verifiedAtBlock: proofY.body.verifiedAtBlock });
    }
  });

  it('streamed the same events, with the same ids, on both APIs', async function () {
    const [x, y] = received as [Received[], Received[]];
    expect(x.length).to.be.greaterThan(seen.size / 2);
    const from = Math.max(x[0]!.id, y[0]!.id);
    const to = Math.min(x[x.length - 1]!.id, y[y.length - 1]!.id);
    const window = (events: Received[]) => events.filter((event) => event.id >= from && event.id <= to);
    expect(window(y)).to.deep.equal(window(x));
    // Nearly everything is in the common window (the streams opened a moment apart), every snapshot once.
    const snapshots = window(x).filter((event) => event.event === 'snapshot');
    expect(snapshots.length).to.be.greaterThan(seen.size * 0.9);
    const keys = snapshots.map((event) => {
      const data = JSON.parse(event.data) as { deviceId: string; seq: number };
      return `${data.deviceId.toLowerCase()}:${data.seq}`;
    });
    expect(new Set(keys).size).to.equal(keys.length);
  });

  it('completes copies of a snapshot as duplicates and refuses another message under its number, whichever instance receives them', async function () {
    const [, payload] = [...seen][0]!;
    const counts = async () =>
      (
        await harness.index.query<{ snapshots: number; replays: number }>(
          `SELECT (SELECT count(*)::int FROM snapshots) AS snapshots,
                  (SELECT count(*)::int FROM rejections WHERE reason = 'replay') AS replays`,
        )
      ).rows[0]!;
    const before = await counts();
    const original = JSON.parse(payload) as Record<string, unknown> & { deviceId: string; ts: string };
    const topic = `twins/${original.deviceId}/snapshot`;
    // The shared subscription hands messages round: ten identical copies reach both instances, and each finds this
    // very snapshot in the shared index (a redelivery, not an attack): a duplicate, no rejection.
    for (let copy = 0; copy < 10; copy++) await subscriber!.publishAsync(topic, payload, { qos: 1 });
    // Then another message under that number, signed by the device: a replay, refused and recorded once.
    const device = harness.devices.find((one) => one.deviceId.toLowerCase() === original.deviceId.toLowerCase())!;
    const { sig: _sig, ...unsigned } = original;
    const other = signDeviceMessage(
      { ...unsigned, ts: new Date(Date.parse(original.ts) + 1).toISOString() } as never,
      device.privateKey,
    );
    await subscriber!.publishAsync(topic, JSON.stringify(other), { qos: 1 });
    let after = await counts();
    const deadline = Date.now() + 30_000;
    while (after.replays === before.replays && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await counts();
    }
    expect(after.replays, 'the other message refused as a replay').to.equal(before.replays + 1);
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // every copy judged too
    expect(await counts()).to.deep.equal({ snapshots: before.snapshots, replays: before.replays + 1 });
    // Stopped, each oracle logs its counters: the ten copies were duplicates, on one instance or the other.
    let duplicates = 0;
    for (const oracle of oracles) {
      await kill(oracle.process.child, 'SIGTERM');
      const stopped = oracle.process
        .output()
        .split('\n')
        .filter((line) => line.includes('"oracle stopped"'))
        .map((line) => JSON.parse(line) as { duplicates: number });
      expect(stopped, `${oracle.name} logs its counters at stop`).to.have.length(1);
      duplicates += stopped[0]!.duplicates;
    }
    expect(duplicates).to.be.at.least(10);
  });
});
