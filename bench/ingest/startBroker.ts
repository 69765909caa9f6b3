import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { JsonRpcProvider } from 'ethers';
import { createVirtualDevice } from '../../agent/src/simulate/device';
import {
  brokerPrincipalsFromChain,
  mosquittoPassword,
  writeMosquittoFiles,
  type BrokerAuthStats,
} from '../../broker/src';
import { brokerClientId } from '../../twin-core/src/broker/brokerClientId';
import { brokerRealm, brokerUsername } from '../../twin-core/src/broker/principal';
import { generatePrivateKey, privateKeyToAddress } from '../../twin-core/src/signing/deviceKey';
import { BENCH_SEED } from '../benchEnvironment';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import { freePort, waitForPort } from '../lib/ports';
import { spawnEntry } from '../lib/spawnEntry';
import type { AedesProcessOptions } from './aedesProcess';

/** The brokers the ingest benchmark runs against. */
export type BrokerKind = 'aedes' | 'mosquitto';

/**
 * What the benchmark's aedes judges clients by (the chain, as `npm start`'s broker does), and how a client logs in.
 */
export type BenchBrokerChain = {
  rpcUrl: string;
  deploymentFile: string;
  /** The oracle's store (its database, migrated) the broker reads twins from (the chain mirror), when the run has one. */
  databaseUrl?: string;
  /** Mosquitto: the publisher's fleet, devices `0 … fleetDevices − 1` of {@link BENCH_SEED}, added to the ACL. */
  fleetDevices?: number;
};

/** How a client logs in to a broker with password and ACL files (Mosquitto from `broker-config`'s generator). */
export type PasswordLogin = {
  /** The password `broker-config --print-password <username>` would print. */
  password(username: string): string;
  /** The publisher's fleet principal in the ACL (its devices' topics), with its password. */
  fleet: { username: string; clientId: string; password: string };
};

/**
 * aedes' per-client limits in the benchmark: `DEFAULT_BROKER_LIMITS` with the sustained rates raised 100-fold, so the
 * publisher (at full speed, far above a real device's 20 a second) is never held back: the figures measure what the
 * checks cost, not the throttle's policy. Every bucket is still taken for every publish.
 */
export const BENCH_BROKER_LIMITS = { messagesPerSecond: 2_000, bytesPerSecond: 26_214_400 } as const;

/** A broker in its own process. */
export type BenchBroker = {
  kind: BrokerKind;
  url: string;
  pid: number;
  /** The deployment's broker realm, when clients log in with signed tokens (aedes); undefined: anonymous. */
  realm: string | undefined;
  /** Mosquitto: the password and ACL files generated from the chain, and how each client logs in. */
  passwordLogin: PasswordLogin | undefined;
  /** The broker's refusal counters (aedes), read at the time of the call. */
  authStats(): Promise<BrokerAuthStats | undefined>;
  /** The broker settings that matter to the figures, for the results. */
  settings: Record<string, string | number>;
  stop(): Promise<void>;
};

/**
 * Mosquitto settings: a QoS 1 queue per client large enough that nothing is dropped while the oracle is behind
 * (Mosquitto's default, 1,000 queued messages, drops the rest), in memory, no persistence.
 */
export const MOSQUITTO_SETTINGS = { max_queued_messages: 10_000_000, max_inflight_messages: 20 } as const;

/**
 * Where Mosquitto is installed (`/usr/sbin/mosquitto` on Debian), or undefined.
 *
 * @example
 * if (mosquittoBinary() === undefined) skipped = 'Mosquitto is not installed'
 */
export function mosquittoBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (existsSync(candidate)) return candidate;
  const which = spawnSync('which', ['mosquitto'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

/**
 * Starts a broker on a free port of 127.0.0.1 in its own process: aedes (the embedded broker `npm start` uses,
 * MQTT 3.1.1, every client authenticated against `chain` and held to the ACL, limits {@link BENCH_BROKER_LIMITS}) or
 * Mosquitto (MQTT 5, shared subscriptions; {@link MOSQUITTO_SETTINGS}; no anonymous client: the password and ACL
 * files `broker-config` generates from the chain, plus the publisher's fleet, {@link PasswordLogin}).
 *
 * @example
 * const broker = await startBroker('aedes', { rpcUrl, deploymentFile }); … await broker.stop()
 */
export async function startBroker(kind: BrokerKind, chain: BenchBrokerChain): Promise<BenchBroker> {
  const port = await freePort();
  if (kind === 'aedes') {
    const options: AedesProcessOptions = {
      rpcUrl: chain.rpcUrl,
      deploymentFile: chain.deploymentFile,
      mirror: chain.databaseUrl !== undefined,
      limits: BENCH_BROKER_LIMITS,
    };
    const env = { ...process.env };
    if (chain.databaseUrl !== undefined) env.DATABASE_URL = chain.databaseUrl;
    const child = spawnEntry({
      entry: 'bench/ingest/aedesProcess.ts',
      args: [String(port), JSON.stringify(options)],
      env,
    });
    const { url } = await child.waitFor(
      (message) => ((message as { type?: string }).type === 'ready' ? (message as { url: string }) : undefined),
      60_000,
      'aedes ready',
    );
    return {
      kind,
      url,
      pid: child.pid,
      realm: brokerRealm(readDeployment(chain.deploymentFile)),
      passwordLogin: undefined,
      async authStats() {
        if (!child.child.connected) return undefined;
        const answer = child.waitFor(
          (message) =>
            (message as { type?: string }).type === 'stats' ? (message as { stats: BrokerAuthStats }) : undefined,
          10_000,
          'aedes stats',
        );
        child.child.send({ type: 'stats' });
        return (await answer).stats;
      },
      settings: {
        implementation: 'aedes (system/embeddedBroker.ts), chain-backed authentication and ACL',
        protocol: 'MQTT 3.1.1',
        ...BENCH_BROKER_LIMITS,
      },
      stop: () => child.kill(5_000),
    };
  }
  const binary = mosquittoBinary();
  if (binary === undefined) throw new Error('mosquitto is not installed');
  const directory = mkdtempSync(join(tmpdir(), 'bench-mosquitto-'));
  // The files `npx hardhat broker-config` writes, from the chain, plus the publisher's fleet (the chain knows no fleet).
  const deployment = readDeployment(chain.deploymentFile);
  const provider = new JsonRpcProvider(chain.rpcUrl, deployment.chainId, { staticNetwork: true });
  const secret = randomBytes(32).toString('hex');
  const fleetPrincipal = { kind: 'fleet' as const, id: privateKeyToAddress(generatePrivateKey()) };
  let files: { passwordFile: string; aclFile: string };
  try {
    const devices = Array.from(
      { length: chain.fleetDevices ?? 0 },
      (_, index) => createVirtualDevice(BENCH_SEED, index).deviceId,
    );
    const entries = [...(await brokerPrincipalsFromChain({ provider, deployment })), { ...fleetPrincipal, devices }];
    files = writeMosquittoFiles({ directory, entries, secret });
  } finally {
    provider.destroy();
  }
  const passwordLogin: PasswordLogin = {
    password: (username) => mosquittoPassword(secret, username),
    fleet: {
      username: brokerUsername(fleetPrincipal),
      clientId: brokerClientId(fleetPrincipal),
      password: mosquittoPassword(secret, brokerUsername(fleetPrincipal)),
    },
  };
  const configFile = join(directory, 'mosquitto.conf');
  writeFileSync(
    configFile,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${files.passwordFile}`,
      `acl_file ${files.aclFile}`,
      'log_dest stderr',
      'log_type error',
      `user ${userInfo().username}`,
      ...Object.entries(MOSQUITTO_SETTINGS).map(([key, value]) => `${key} ${value}`),
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4_000)));
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', orphan);
      resolve();
    }),
  );
  await Promise.race([
    waitForPort(port, 10_000),
    exited.then(() => {
      throw new Error(`mosquitto exited: ${errors}`);
    }),
  ]);
  const version = spawnSync(binary, ['-h'], { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() ?? 'mosquitto';
  return {
    kind,
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid!,
    realm: undefined,
    passwordLogin,
    authStats: () => Promise.resolve(undefined),
    settings: {
      implementation: `${version}, password and ACL files generated from the chain (broker-config)`,
      protocol: 'MQTT 5 (oracle), 3.1.1 (publisher)',
      ...MOSQUITTO_SETTINGS,
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
