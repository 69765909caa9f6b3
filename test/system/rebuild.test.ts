import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { computeBlobCid } from '../../blobs/src';
import { loadPeerIdentity } from '../../blobs/src/network/peerIdentity';
import {
  dryRunMessage,
  loadOracleConfig,
  loadRebuildConfig,
  runOracle,
  runRebuild,
  type RebuildSummary,
  type RunningOracle,
  type TwinDirectory,
} from '../../oracle/src';
import { getTwin, readSequenceLedger, type Store } from '../../store/src';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { buildSnapshotTree } from '../../twin-core/src/merkle/snapshotTree';
import type { DeviceMessage, UnsignedDeviceMessage } from '../../twin-core/src/messages/envelope';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { generatePrivateKey } from '../../twin-core/src/signing/deviceKey';
import { canonicalMessage, signDeviceMessage } from '../../twin-core/src/signing/messageSignature';
import { writeSwarmKey } from '../blobs/networkNodes';
import { freePort, startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';
import { waitFor } from '../oracle/waitFor';
import { runProcess } from '../helpers/runProcess';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from '../oracle/oracleHarness';

const ROOT = resolve(__dirname, '..', '..');
const DEVICES = 4;

/** The rows of the tables a rebuild restores, in a stable order, without what only a live index can have. */
async function tables(index: Store) {
  const rows = async (sql: string) => (await index.query(sql)).rows;
  return {
    twins: await rows('SELECT * FROM twins ORDER BY device_id'),
    entities: await rows('SELECT * FROM entities ORDER BY account'),
    chainEvents: await rows('SELECT * FROM chain_events ORDER BY block, log_index'),
    stateChanges: await rows(
      'SELECT device_id, previous, new, changed_by, reason, block, tx, log_index FROM twin_state_changes ORDER BY block, log_index',
    ),
    updates: await rows('SELECT * FROM twin_updates ORDER BY device_id, update_index'),
    notifications: await rows(
      'SELECT owner, device_id, kind, payload, block, tx, log_index FROM notifications ORDER BY block, log_index',
    ),
    snapshots: await rows(
      'SELECT device_id, seq, hash, cid, collected_at, received_at FROM snapshots ORDER BY device_id, seq',
    ),
    batches: await rows(
      `SELECT root, manifest_cid, leaf_count, status, tx_hash, block, chain_batch_id FROM batches
       WHERE status = 'confirmed' ORDER BY block, chain_batch_id`,
    ),
    members: await rows(
      `SELECT m.device_id, m.seq, b.root, m.leaf_index, m.proof FROM batch_members m JOIN batches b ON b.id = m.batch_id
       ORDER BY m.device_id, m.seq`,
    ),
    ledger: await rows(`SELECT device_id, seq FROM sequence_ledger WHERE kind = 'snapshot' ORDER BY device_id`),
  };
}

/** Runs `npm run rebuild` as a user would, with `env` on top of ours; its summary is stdout's JSON. */
async function rebuildCli(env: Record<string, string>, args: string[] = []) {
  const started = Date.now();
  const output = await runProcess('npm', ['run', '--silent', 'rebuild', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, FORCE_COLOR: '0' },
  });
  let summary: RebuildSummary | undefined;
  try {
    summary = JSON.parse(output.stdout) as RebuildSummary;
  } catch {
    summary = undefined;
  }
  return { ...output, summary, elapsedMs: Date.now() - started };
}

/**
 * Issue 15 item 4: a live system (an oracle with its networked Helia node, a Hardhat chain, simulated devices
 * publishing signed snapshots, several batches anchored, a twin suspended), then batches that cannot be rebuilt
 * (a manifest nobody holds, a tampered manifest, a batch with a forged and a missing snapshot), then `npm run
 * rebuild` into a fresh database, reading the blobs over the private IPFS network: the rebuilt index matches the live
 * one, the bad batches are reported by name and the rest rebuilt, a second run changes nothing, a database holding
 * an index is refused without --resume.
 */
describe('npm run rebuild: the index rebuilt from the chain and IPFS matches the live one', function () {
  this.timeout(480_000);
  let harness: OracleHarness;
  let broker: AedesBroker;
  let oracle: RunningOracle | undefined;
  let target: TestDatabase;
  let rebuilt: Store;
  let rebuildEnv: Record<string, string>;
  let first: Awaited<ReturnType<typeof rebuildCli>>;
  const bad = { missingCid: '', tamperedCid: '', partialCid: '', forgedCid: '', absentLeafCid: '' };

  before(async function () {
    harness = await startOracleHarness('rebuild', DEVICES);
    broker = await startAedes();
    const key = writeSwarmKey(harness.directory);
    const dataDir = join(harness.directory, 'oracle');
    mkdirSync(join(dataDir, 'ipfs', 'ipfs'), { recursive: true });
    const { peerId } = await loadPeerIdentity(join(dataDir, 'ipfs', 'ipfs'));
    const port = await freePort();
    const config = loadOracleConfig({
      environment: harness.oracleEnvironment(broker.url, {
        ORACLE_MQTT_PROTOCOL_VERSION: '4',
        ORACLE_MQTT_SHARED: 'false',
        ORACLE_DATA_DIR: dataDir,
        IPFS_SWARM_KEY_FILE: key,
        ORACLE_IPFS_LISTEN: `/ip4/127.0.0.1/tcp/${port}`,
      }),
    });
    oracle = await runOracle(config, () => undefined, { index: harness.index });
    target = await createTestDatabase({ empty: true });
    rebuildEnv = {
      RPC_URL: harness.node.url,
      ORACLE_DEPLOYMENT_FILE: harness.deploymentFile,
      ORACLE_CONFIRMATIONS: '1',
      ORACLE_DATA_DIR: join(harness.directory, 'rebuild'),
      DATABASE_URL: target.url,
      IPFS_SWARM_KEY_FILE: key,
      IPFS_PEERS: `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`,
      ORACLE_IPFS_LISTEN: 'none',
      IPFS_FETCH_TIMEOUT_MS: '5000',
      REBUILD_FETCH_TIMEOUT_MS: '5000',
    };
  });

  after(async () => {
    await rebuilt?.close().catch(() => undefined);
    await oracle?.stop().catch(() => undefined);
    await broker?.stop();
    await harness?.stop();
  });

  it('runs a live system: signed snapshots anchored in several batches, a twin suspended, bad batches anchored', async function () {
    const produced = await harness.publishFromDevices(broker.url, 3);
    await waitUntil(() => oracle!.stats().anchoredSnapshots >= produced, 60_000, 'every snapshot anchored');
    const { registry, node } = harness;
    await mined(registry.twins.connect(node.wallet(CAST.security)).setState(harness.devices[0]!.deviceId, 1, 'bafy-x'));

    // Batches no rebuild can restore whole, anchored by a second oracle key (the live oracle's nonces stay its own).
    const anchorer = node.wallet(CAST.newSigner);
    await mined(registry.entities.grantRole(await registry.entities.ORACLE_ROLE(), anchorer.address));
    const anchor = registry.anchor.connect(anchorer);
    const randomHash = () => `0x${randomBytes(32).toString('hex')}` as Hex;
    // 1. A manifest nobody holds (its blob lost).
    bad.missingCid = await computeBlobCid(randomBytes(64));
    await mined(anchor.anchor(randomHash(), 1, bad.missingCid));
    // 2. A tampered manifest: its leaves do not rebuild the anchored root.
    const device = harness.devices[1]!;
    const [live] = (await harness.anchoredSnapshots()).filter((row) => row.deviceId === device.deviceId);
    const liveCid = (
      await harness.index.query<{ cid: string }>('SELECT cid FROM snapshots WHERE hash = $1', [live!.hash])
    ).rows[0]!.cid;
    const leaf = (seq: number, snapshotHash: string, cid: string) => ({
      deviceId: device.deviceId,
      seq: String(seq),
      snapshotHash,
      cid,
      receivedAt: new Date().toISOString(),
    });
    const manifest = (root: string, leaves: ReturnType<typeof leaf>[]) =>
      new TextEncoder().encode(
        JSON.stringify({
          v: 1,
          createdAt: new Date().toISOString(),
          root,
          leafEncoding: ['uint256', 'uint64', 'bytes32'],
          leaves,
        }),
      );
    const tamperedRoot = randomHash();
    bad.tamperedCid = await oracle!.store.add(manifest(tamperedRoot, [leaf(live!.seq, live!.hash, liveCid)]));
    await mined(anchor.anchor(tamperedRoot, 1, bad.tamperedCid));
    // 3. A valid manifest of three leaves: a good snapshot, one signed by another key, one whose blob is missing.
    const original = JSON.parse(new TextDecoder().decode(await oracle!.store.get(liveCid))) as DeviceMessage;
    const resigned = (seq: number, key: Hex) => {
      const { sig: _sig, ...unsigned } = { ...original, seq };
      return canonicalMessage(signDeviceMessage(unsigned as UnsignedDeviceMessage, key));
    };
    const good = resigned(50_000, device.privateKey as Hex);
    const forged = resigned(50_001, generatePrivateKey() as Hex);
    const goodCid = await oracle!.store.add(new TextEncoder().encode(good.stored));
    bad.forgedCid = await oracle!.store.add(new TextEncoder().encode(forged.stored));
    bad.absentLeafCid = await computeBlobCid(randomBytes(80));
    const leaves = [
      leaf(50_000, good.hash, goodCid),
      leaf(50_001, forged.hash, bad.forgedCid),
      leaf(50_002, randomHash(), bad.absentLeafCid),
    ];
    const tree = buildSnapshotTree(
      leaves.map((entry) => ({
        deviceId: BigInt(entry.deviceId),
        sequence: BigInt(entry.seq),
        snapshotHash: entry.snapshotHash as Hex,
      })),
    );
    bad.partialCid = await oracle!.store.add(manifest(tree.root, leaves));
    await mined(anchor.anchor(tree.root, 3, bad.partialCid));

    // The live index has mirrored everything (the suspension, the three foreign batches logged).
    const batchCount = Number(await registry.anchor.batchCount());
    expect(batchCount - 3, 'batches the live oracle anchored').to.be.greaterThanOrEqual(3);
    await waitFor(
      async () =>
        (await getTwin(harness.index, harness.devices[0]!.deviceId))?.state === 'suspended' &&
        Number(
          (
            await harness.index.query(`SELECT count(*) AS n FROM chain_events WHERE name = 'BatchAnchored'`)
          ).rows[0]!.n,
        ) === batchCount,
      30_000,
      'the live mirror to catch up',
    );
  });

  it('rebuilds into a fresh database (the CLI), reporting each bad batch and leaf by name', async function () {
    first = await rebuildCli(rebuildEnv);
    expect(first.code, first.stderr.slice(-3_000)).to.equal(3);
    const summary = first.summary!;
    const live = await tables(harness.index);
    expect(summary.batches).to.deep.equal({
      anchored: live.batches.length + 3,
      rebuilt: live.batches.length,
      held: 0,
      partial: 1,
      failed: 2,
    });
    expect(summary.complete).to.equal(false);
    const reasons = summary.problems.map(
      (problem) => `${problem.manifestCid} ${problem.leaf?.cid ?? '-'}: ${problem.reason}`,
    );
    expect(summary.problemCount, reasons.join('\n')).to.equal(4);
    const about = (manifestCid: string, leafCid?: string) =>
      summary.problems.find((problem) => problem.manifestCid === manifestCid && problem.leaf?.cid === leafCid);
    expect(about(bad.missingCid)?.reason).to.contain('the manifest cannot be fetched');
    expect(about(bad.tamperedCid)?.reason).to.contain('does not rebuild the anchored root');
    expect(about(bad.partialCid, bad.forgedCid)?.reason).to.contain('not by a device signer the chain recorded');
    expect(about(bad.partialCid, bad.absentLeafCid)?.reason).to.contain('cannot be fetched');
    expect(summary.snapshots.restored).to.equal(live.snapshots.length + 1);
    console.log(
      `      rebuilt ${summary.snapshots.restored} snapshots in ${summary.batches.rebuilt + summary.batches.partial} ` +
        `batches and ${summary.chain.events} chain events in ${summary.durationMs} ms (the CLI process: ${first.elapsedMs} ms)`,
    );
    // The log names them too, one line each, with progress lines.
    expect(first.stderr).to.contain('rebuild: chain replayed');
    expect(first.stderr.match(/rebuild: batch rebuilt/g)?.length).to.equal(live.batches.length);
    expect(first.stderr).to.contain(bad.missingCid).and.contain(bad.absentLeafCid);
  });

  it('matches the live index: twins, entities, states, snapshots, batches, memberships; proofs verify on chain', async function () {
    rebuilt = await target.open();
    const live = await tables(harness.index);
    const again = await tables(rebuilt);
    expect(again.twins).to.deep.equal(live.twins);
    expect(
      (again.twins.find((twin) => twin.device_id === harness.devices[0]!.deviceId) as { state: string }).state,
    ).to.equal('suspended');
    expect(again.entities).to.deep.equal(live.entities);
    expect(again.chainEvents).to.deep.equal(live.chainEvents);
    expect(again.stateChanges).to.deep.equal(live.stateChanges).and.have.length(1);
    expect(again.updates).to.deep.equal(live.updates);
    expect(again.notifications).to.deep.equal(live.notifications);
    // Every live snapshot, and the one good leaf of the partial batch (which only the chain held).
    const extra = (row: Record<string, unknown>) => Number(row.seq) >= 50_000;
    expect(again.snapshots.filter((row) => !extra(row))).to.deep.equal(live.snapshots);
    expect(again.snapshots.filter(extra).map((row) => Number(row.seq))).to.deep.equal([50_000]);
    const partialRoot = again.batches.find((batch) => batch.manifest_cid === bad.partialCid)!.root;
    expect(again.batches.filter((batch) => batch.root !== partialRoot)).to.deep.equal(live.batches);
    expect(again.members.filter((row) => !extra(row))).to.deep.equal(live.members);
    for (const row of again.members as { device_id: string; seq: number; root: string; proof: string[] }[]) {
      const hash = again.snapshots.find((s) => s.device_id === row.device_id && Number(s.seq) === Number(row.seq))!
        .hash as string;
      expect(await harness.registry.anchor.verifySnapshot(row.root, row.proof, row.device_id, row.seq, hash)).to.equal(
        true,
      );
    }
    // The ledger: each device's highest rebuilt number, the live one's for the devices the foreign batch left alone.
    const device = harness.devices[1]!.deviceId;
    expect(again.ledger.filter((row) => row.device_id !== device)).to.deep.equal(
      live.ledger.filter((row) => row.device_id !== device),
    );
    expect(again.ledger.find((row) => row.device_id === device)).to.deep.include({ seq: 50_000 });
  });

  it('refuses a replay of a rebuilt message with the rebuilt ledger', async function () {
    const deviceId = harness.devices[2]!.deviceId;
    const { rows } = await rebuilt.query<{ cid: string }>(
      'SELECT cid FROM snapshots WHERE device_id = $1 ORDER BY seq DESC LIMIT 1',
      [deviceId],
    );
    const payload = await oracle!.store.get(rows[0]!.cid);
    const message = JSON.parse(new TextDecoder().decode(payload)) as DeviceMessage;
    const twins: TwinDirectory = {
      async twin(id) {
        const twin = await getTwin(rebuilt, id);
        return (
          twin && {
            deviceSigner: twin.deviceSigner,
            state: twin.state === 'active' ? 0 : 1,
            staticHash: twin.staticHash,
          }
        );
      },
    };
    const judge = (ledger: ReturnType<typeof readSequenceLedger>) =>
      dryRunMessage({
        topic: deviceTopic(deviceId as Hex, 'snapshot'),
        payload,
        twins,
        ledger,
        now: Date.parse(message.ts),
      });
    const verdict = await judge(readSequenceLedger(rebuilt));
    expect(verdict.verdict, JSON.stringify(verdict)).to.equal('refused');
    expect(verdict.rejection?.reason).to.equal('replay');
    // The same message against an empty ledger would pass: the ledger refused it, nothing else.
    const empty = await createTestDatabase();
    const emptyStore = await empty.open();
    expect((await judge(readSequenceLedger(emptyStore))).verdict).to.equal('accepted');
    await emptyStore.close();
  });

  it('resumes a half-done rebuild with --resume: the batches missing rebuilt, the rest skipped; again, nothing changes', async function () {
    const before = await tables(rebuilt);
    // Half done: the last two batches the live oracle anchored never made it (as if the run had been killed).
    const { rows: last } = await rebuilt.query<{ id: number }>(
      `SELECT id FROM batches WHERE manifest_cid <> $1 ORDER BY block DESC, chain_batch_id DESC LIMIT 2`,
      [bad.partialCid],
    );
    const ids = last.map((row) => row.id);
    const { rows: dropped } = await rebuilt.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM batch_members WHERE batch_id = ANY($1::bigint[])',
      [ids],
    );
    expect(dropped[0]!.n).to.be.greaterThan(0);
    await rebuilt.query(
      `DELETE FROM snapshots s USING batch_members m WHERE m.device_id = s.device_id AND m.seq = s.seq
       AND m.batch_id = ANY($1::bigint[])`,
      [ids],
    );
    await rebuilt.query('DELETE FROM batches WHERE id = ANY($1::bigint[])', [ids]);
    const live = await tables(harness.index);
    const resume = () =>
      runRebuild(loadRebuildConfig({ environment: rebuildEnv }), () => undefined, {
        resume: true,
        environment: rebuildEnv,
      });
    const summary = await resume();
    expect(summary.batches).to.deep.include({ rebuilt: 2, held: live.batches.length - 2, partial: 1, failed: 2 });
    expect(summary.chain.events).to.equal(0);
    expect(summary.snapshots.restored).to.equal(dropped[0]!.n);
    const resumed = await tables(rebuilt);
    expect(resumed).to.deep.equal(before);

    // A second run (the CLI with --resume) changes nothing, and still reports what cannot be rebuilt.
    const again = await rebuildCli(rebuildEnv, ['--resume']);
    expect(again.code, again.stderr.slice(-2_000)).to.equal(3);
    expect(again.summary!.batches).to.deep.include({ rebuilt: 0, held: live.batches.length, partial: 1, failed: 2 });
    expect(again.summary!.snapshots.restored).to.equal(0);
    expect(again.summary!.problemCount).to.equal(4);
    expect(await tables(rebuilt)).to.deep.equal(resumed);
  });

  it('resumes a rebuild killed (SIGKILL) halfway: the same index as a run to the end', async function () {
    const killedTarget = await createTestDatabase({ empty: true });
    const env = { ...rebuildEnv, DATABASE_URL: killedTarget.url, ORACLE_DATA_DIR: join(harness.directory, 'killed') };
    const live = await tables(harness.index);
    const child = spawn('npm', ['run', '--silent', 'rebuild'], {
      cwd: ROOT,
      env: { ...process.env, ...env, FORCE_COLOR: '0' },
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    // Killed while it waits on the manifest nobody holds: the live batches rebuilt, the last ones not yet.
    await waitUntil(
      () => (stderr.match(/rebuild: batch rebuilt/g)?.length ?? 0) >= live.batches.length,
      120_000,
      `the live batches rebuilt\n${stderr.slice(-2_000)}`,
    );
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    const store = await killedTarget.open();
    try {
      const halfway = await tables(store);
      expect(halfway.batches).to.deep.equal(live.batches);
      const summary = await runRebuild(loadRebuildConfig({ environment: env }), () => undefined, {
        resume: true,
        environment: env,
      });
      expect(summary.batches).to.deep.include({ rebuilt: 0, held: live.batches.length, partial: 1, failed: 2 });
      expect(await tables(store)).to.deep.equal(await tables(rebuilt));
    } finally {
      await store.close();
    }
  });

  it('refuses a database that holds an index without --resume', async function () {
    const refused = await rebuildCli(rebuildEnv);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('The database already holds an index.').and.contain('--resume');
    // The live index too: nothing rebuilt into it.
    const intoLive = await rebuildCli({ ...rebuildEnv, DATABASE_URL: harness.database.url });
    expect(intoLive.code).to.equal(2);
    expect(intoLive.stderr).to.contain('already holds an index');
  });
});
