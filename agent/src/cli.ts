#!/usr/bin/env -S node --max-semi-space-size=1 --no-maglev --no-concurrent-recompilation
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { rawCidV1 } from '../../twin-core/src/encoding/rawCid';
import { encodeStaticDocument, hashStaticDocument } from '../../twin-core/src/static/staticBytes';
import { loadAgentConfig, type AgentConfig } from './config';
import { createCollector } from './collect/createCollector';
import { DeviceChannel } from './device/deviceChannel';
import { attestationFromOptions, type AttestationOptions } from './identity/mintAttestation';
import { SequenceStore } from './identity/sequenceStore';
import { createLogger, type LogLevel } from './log';
import { collectOptionsFromConfig, readDeviceIdentity, runAgent, valid } from './runAgent';
import { checkSnapshotBody } from './validate/validators';
import { join } from 'node:path';

const USAGE = `Usage: twin-agent <command> [options]

Commands:
  run                       collect and publish until stopped (SIGINT/SIGTERM)
  once [--print]            collect one snapshot; --print writes the signed message to stdout instead of publishing
  identity [--static-out F] [--manufacturer-account A --chain-id N --registry R]
                            print the DeviceID, the device signer address and the static document's hash and CID
                            (what \`npx hardhat mint\` needs); --static-out writes the static document to F; with
                            A, N and R also the device key's attestation that manufacturer A may mint this twin on
                            chain N in the TwinRegistry at R
  simulate --devices N --rate R --profile P --seed S [--duration SEC] [--snapshot-interval SEC]
                            N virtual devices; R telemetry messages per second each; P normal | mixed | a behaviour
                            (traffic-spike, protocol-mix, failed-connections, high-entropy-payload, timing-anomaly,
                            connection-flood, beaconing)

Options:
  --config FILE             JSON config file (also TWIN_AGENT_CONFIG); environment TWIN_AGENT_* wins over it
  --help
`;

type Flags = AttestationOptions & {
  config?: string;
  print?: boolean;
  'static-out'?: string;
  devices?: string;
  rate?: string;
  profile?: string;
  seed?: string;
  duration?: string;
  'snapshot-interval'?: string;
  help?: boolean;
};

/** Runs the CLI; returns the exit code. Errors print their message only (TWIN_AGENT_DEBUG=1 adds the stack). */
export async function main(argv: string[], environment: NodeJS.ProcessEnv = process.env): Promise<number> {
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        print: { type: 'boolean' },
        'static-out': { type: 'string' },
        'manufacturer-account': { type: 'string' },
        'chain-id': { type: 'string' },
        registry: { type: 'string' },
        devices: { type: 'string' },
        rate: { type: 'string' },
        profile: { type: 'string' },
        seed: { type: 'string' },
        duration: { type: 'string' },
        'snapshot-interval': { type: 'string' },
        help: { type: 'boolean' },
      },
    }) as { values: Flags; positionals: string[] };
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === undefined) {
    process.stdout.write(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const log = createLogger((environment.TWIN_AGENT_LOG_LEVEL as LogLevel | undefined) ?? 'info');
  try {
    const config = loadAgentConfig({ file: values.config ?? environment.TWIN_AGENT_CONFIG, environment });
    switch (command) {
      case 'identity':
        return await identity(config, environment, values['static-out'], values);
      case 'once':
        return await once(config, environment, values.print === true);
      case 'run':
        return await run(config, environment, log);
      case 'simulate':
        return await simulate(config, values, log);
      default:
        process.stderr.write(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    const message = error instanceof BaseError ? error.message : (error as Error).message ?? String(error);
    process.stderr.write(`twin-agent ${command}: ${message}\n`);
    if (environment.TWIN_AGENT_DEBUG === '1') process.stderr.write(`${(error as Error).stack}\n`);
    return error instanceof BaseError ? 2 : 1;
  }
}

async function identity(
  config: AgentConfig,
  environment: NodeJS.ProcessEnv,
  staticOut: string | undefined,
  attestationOptions: AttestationOptions = {},
): Promise<number> {
  const info = await readDeviceIdentity(config, environment, createLogger('warn'));
  const attestation = attestationFromOptions(attestationOptions, info.key, info.deviceId);
  const bytes = encodeStaticDocument(info.staticDocument);
  if (staticOut !== undefined) writeFileSync(staticOut, `${JSON.stringify(info.staticDocument, null, 2)}\n`);
  process.stdout.write(
    `${JSON.stringify(
      {
        deviceId: info.deviceId,
        deviceSigner: info.signer,
        staticHash: hashStaticDocument(info.staticDocument),
        staticCid: rawCidV1(bytes),
        keyCreated: info.keyCreated,
        identity: info.staticDocument.identity,
        ...(attestation === undefined ? {} : attestation),
      },
      null,
      2,
    )}\n`,
  );
  return 0;
}

async function once(config: AgentConfig, environment: NodeJS.ProcessEnv, print: boolean): Promise<number> {
  if (!print) {
    const agent = await runAgent({ config, environment, log: createLogger('warn') });
    await agent.snapshotNow();
    const drained = await agent.publisher.drain(30_000);
    await agent.stop();
    if (!drained)
      process.stderr.write('twin-agent once: broker unreachable; the snapshot waits in the outbox for the next run\n');
    return drained ? 0 : 1;
  }
  const info = await readDeviceIdentity(config, environment, createLogger('warn'));
  const collector = createCollector(collectOptionsFromConfig(config));
  const body = valid(checkSnapshotBody(await collector.snapshot().finally(() => collector.close())), 'snapshot');
  const channel = new DeviceChannel({
    deviceId: info.deviceId,
    key: info.key,
    sequence: new SequenceStore(join(config.dataDir, 'sequence')),
  });
  process.stdout.write(`${JSON.stringify(channel.message('snapshot', body))}\n`);
  return 0;
}

async function run(
  config: AgentConfig,
  environment: NodeJS.ProcessEnv,
  log: ReturnType<typeof createLogger>,
): Promise<number> {
  const agent = await runAgent({ config, environment, log });
  log('info', 'agent running', { deviceId: agent.deviceId, signer: agent.signer, broker: config.mqttUrl });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await agent.stop();
  log('info', 'agent stopped', agent.publisher.stats());
  return 0;
}

async function simulate(config: AgentConfig, flags: Flags, log: ReturnType<typeof createLogger>): Promise<number> {
  const number = (name: keyof Flags, fallback: number, integer = false) => {
    const text = flags[name] as string | undefined;
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
      throw new BaseError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}".`);
    }
    return value;
  };
  // The simulator is not the device: loaded only for this command, so `run` never carries its code.
  const { runSimulator } = await import('./runSimulator');
  const simulator = await runSimulator({
    config,
    devices: number('devices', 10, true),
    ratePerSecond: number('rate', 1),
    scenario: flags.profile ?? 'normal',
    seed: flags.seed ?? 1,
    ...(flags['snapshot-interval'] !== undefined ? { snapshotIntervalSeconds: number('snapshot-interval', 30) } : {}),
    ...(flags.duration !== undefined ? { durationSeconds: number('duration', 60) } : {}),
    log,
  });
  log('info', 'simulator running', { devices: simulator.deviceIds.length, broker: config.mqttUrl });
  await Promise.race([
    simulator.finished,
    new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    }),
  ]);
  await simulator.signed(60_000);
  await simulator.publisher.drain(30_000);
  await simulator.stop();
  log('info', 'simulator stopped', { produced: simulator.produced, ...simulator.publisher.stats() });
  return 0;
}

if (require.main === module) {
  assertNodeVersion(18, 'twin-agent');
  // A device has 1–8 GB: V8 grows its old generation less eagerly and collects sooner (issue 17: the peak RSS of
  // back-to-back snapshots, 16 MiB live, no longer climbs to 50 MiB of heap). Not allowed in NODE_OPTIONS, so set here.
  setFlagsFromString('--optimize-for-size');
  // The other V8 flags the agent runs with are in the first line (`twin-agent`, `npm run agent`): 1 MiB semi-spaces,
  // no Maglev and TurboFan on the main thread (issue 17, 7–10 MiB less peak RSS at the same CPU). They only take
  // effect on the command line: set here, once V8 has started, they change nothing measurable.
  // Exits once stdout has taken everything: to a pipe, Node.js writes what does not fit at once later, and an
  // immediate exit cut `once --print`'s message (about 140 KB) when the reader was slow.
  const exit = (code: number) => {
    process.stdout.once('error', () => process.exit(code)); // a reader that went away (EPIPE)
    process.stdout.write('', () => process.exit(code));
  };
  main(process.argv.slice(2)).then(exit, (error: unknown) => {
    process.stderr.write(`twin-agent: ${(error as Error).message}\n`);
    exit(1);
  });
}
