import { brokerRealm } from '../../twin-core/src/broker/principal';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig } from '../../agent/src/config';
import { runSimulator } from '../../agent/src/runSimulator';
import { createSimulation } from '../../agent/src/simulate/createSimulation';
import type { Store } from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { writeDeployment } from '../../twin-core/src/deployment/deployment';
import { twinMintFields } from '../../twin-core/src/static/mintFields';
import { CAST, deployOnNode, mintOnNode, type NodeRegistry } from './chain/deployOnNode';
import { startHardhatNode, type HardhatNode } from './chain/hardhatNode';

/** A chain with the registry and the twins of `devices` simulated devices minted, mining a block every 250 ms. */
export type OracleHarness = {
  node: HardhatNode;
  registry: NodeRegistry;
  directory: string;
  deploymentFile: string;
  /** The test file's database: every oracle instance of the harness indexes into it (`DATABASE_URL`). */
  database: TestDatabase;
  /** A store on that database, for the test's reads. */
  index: Store;
  /** Environment for an oracle instance (its own key of the node's accounts, its own data directory, the database). */
  oracleEnvironment(brokerUrl: string, extra?: Record<string, string>): Record<string, string>;
  /** Runs the simulated devices (the minted ones) against `brokerUrl` for `seconds`, waits until all is sent, and returns how many snapshots they published. */
  publishFromDevices(brokerUrl: string, seconds: number, during?: () => Promise<void>): Promise<number>;
  /** The simulated devices whose twins are minted. */
  devices: ReturnType<typeof createSimulation>['devices'];
  /** Every snapshot in the shared index with its batch root and proof. */
  anchoredSnapshots(): Promise<
    {
      deviceId: string;
      seq: number;
      hash: string;
      root: string | null;
      status: string | null;
      proof: string[] | null;
    }[]
  >;
  stop(): Promise<void>;
};

export async function startOracleHarness(seed: string, devices: number): Promise<OracleHarness> {
  const database = await createTestDatabase();
  const index = await database.open();
  const node = await startHardhatNode();
  const registry = await deployOnNode(node);
  const directory = mkdtempSync(join(tmpdir(), 'oracle-harness-'));
  const deploymentFile = join(directory, 'deployment.json');
  writeDeployment(deploymentFile, registry.deployment);
  const simulation = createSimulation({
    devices,
    ratePerSecond: 1,
    snapshotIntervalSeconds: 1,
    scenario: 'normal',
    seed,
    startTimeMs: Date.now(),
  });
  for (const device of simulation.devices) {
    await mintOnNode(node, registry, twinMintFields(device.staticDocument), device.privateKey);
  }
  const miner = setInterval(() => void node.mine(1).catch(() => undefined), 250);
  return {
    node,
    registry,
    directory,
    database,
    index,
    deploymentFile,
    oracleEnvironment: (brokerUrl, extra = {}) => ({
      RPC_URL: node.url,
      ORACLE_ORACLE_KEY: node.wallet(CAST.oracle).privateKey,
      ORACLE_DEPLOYMENT_FILE: deploymentFile,
      MQTT_URL: brokerUrl,
      ORACLE_BATCH_SIZE: '8',
      ORACLE_BATCH_AGE_MS: '500',
      ORACLE_CONFIRMATIONS: '1',
      ORACLE_DATA_DIR: join(directory, 'oracle'),
      DATABASE_URL: database.url,
      ...extra,
    }),
    devices: simulation.devices,
    async publishFromDevices(brokerUrl, seconds, during) {
      const config = loadAgentConfig({
        environment: {
          TWIN_AGENT_MQTT_URL: brokerUrl,
          // A broker of the registry (the embedded one with auth) wants the fleet's signed token for this deployment.
          TWIN_AGENT_MQTT_REALM: brokerRealm(readDeployment(deploymentFile)),
          TWIN_AGENT_DATA_DIR: join(directory, 'devices'),
        },
      });
      const simulator = await runSimulator({
        config,
        devices,
        ratePerSecond: 2,
        scenario: 'normal',
        seed,
        snapshotIntervalSeconds: 1,
        durationSeconds: seconds,
      });
      await during?.();
      await simulator.finished;
      await simulator.signed(30_000);
      await simulator.publisher.drain(30_000);
      await simulator.stop();
      return simulator.produced.snapshot;
    },
    async anchoredSnapshots() {
      const { rows } = await index.query<{
        device_id: string;
        seq: number;
        hash: string;
        proof: string[] | null;
        root: string | null;
        status: string | null;
      }>(
        `SELECT s.device_id, s.seq, s.hash, m.proof, b.root, b.status FROM snapshots s
         LEFT JOIN batch_members m ON m.device_id = s.device_id AND m.seq = s.seq
         LEFT JOIN batches b ON b.id = m.batch_id ORDER BY s.device_id, s.seq`,
      );
      return rows.map((row) => ({
        deviceId: row.device_id,
        seq: Number(row.seq),
        hash: row.hash,
        root: row.root,
        status: row.status,
        proof: row.proof,
      }));
    },
    async stop() {
      clearInterval(miner);
      await index.close();
      await node.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
