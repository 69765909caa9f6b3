/**
 * Simulator benchmark (issue 3): messages per second the device simulator generates, and generates and signs, at
 * 1,000 and 10,000 devices over a few seconds of simulated time, in one process on one core.
 *
 * @example
 * npx ts-node -T agent/bench/simulator.ts                      # 1,000 and 10,000 devices, 5 simulated seconds
 * npx ts-node -T agent/bench/simulator.ts --devices 1000 --seconds 10 --scenario beaconing
 */
import { performance } from 'node:perf_hooks';
import { isScenario, type Scenario } from '../src/simulate/behaviours';
import { createSimulation, type Simulation } from '../src/simulate/createSimulation';
import { signSimulated } from '../src/simulate/sign';

type Arguments = {
  devices: number[];
  seconds: number;
  rate: number;
  snapshotInterval: number;
  scenario: Scenario;
  seed: string;
};

const USAGE =
  'usage: simulator.ts [--devices N[,N…]] [--seconds S] [--rate R] [--snapshot-interval S] [--scenario NAME] [--seed S]';

function parseArguments(argv: string[]): Arguments {
  const parsed: Arguments = {
    devices: [],
    seconds: 5,
    rate: 1,
    snapshotInterval: 30,
    scenario: 'mixed',
    seed: 'bench',
  };
  for (let index = 0; index < argv.length; index += 2) {
    const [flag, value] = [argv[index]!, argv[index + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    const number = Number(value);
    const positive = () => {
      if (!(Number.isFinite(number) && number > 0)) throw new Error(`${flag} must be a positive number, got ${value}`);
      return number;
    };
    if (flag === '--devices') {
      for (const item of value.split(',')) {
        if (!/^[1-9][0-9]*$/.test(item.trim())) throw new Error(`--devices takes positive integers, got ${item}`);
        parsed.devices.push(Number(item));
      }
    } else if (flag === '--seconds') parsed.seconds = positive();
    else if (flag === '--rate') parsed.rate = positive();
    else if (flag === '--snapshot-interval') parsed.snapshotInterval = positive();
    else if (flag === '--seed') parsed.seed = value;
    else if (flag === '--scenario') {
      if (!isScenario(value)) throw new Error(`unknown scenario ${value}`);
      parsed.scenario = value;
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (parsed.devices.length === 0) parsed.devices = [1_000, 10_000];
  for (const devices of parsed.devices)
    if (!(Number.isInteger(devices) && devices > 0)) throw new Error(`bad --devices ${devices}`);
  return parsed;
}

/** Steps `simulation` once per simulated second over [fromSeconds, toSeconds), optionally signing every message. */
function pass(simulation: Simulation, startMs: number, fromSeconds: number, toSeconds: number, sign: boolean) {
  const seq = new Float64Array(simulation.devices.length);
  let messages = 0;
  let bytes = 0;
  const began = performance.now();
  for (let second = fromSeconds + 1; second <= toSeconds; second++) {
    for (const message of simulation.step(startMs + second * 1000)) {
      messages++;
      if (sign) {
        const device = simulation.devices[message.deviceIndex]!;
        const signed = signSimulated(device, message, seq[message.deviceIndex]++);
        bytes += signed.sig.length;
      }
    }
  }
  const seconds = (performance.now() - began) / 1000;
  return { messages, seconds, perSecond: messages / seconds, bytes };
}

function main() {
  const args = parseArguments(process.argv.slice(2));
  const startMs = Date.UTC(2026, 0, 1);
  console.log(
    `Simulator benchmark: scenario ${args.scenario}, ${args.rate} telemetry/s per device, a snapshot every ` +
      `${args.snapshotInterval} s, ${args.seconds} simulated s per pass; node ${process.version}, one core.`,
  );
  const rows: string[][] = [];
  for (const devices of args.devices) {
    const createdAt = performance.now();
    const simulation = createSimulation({
      devices,
      ratePerSecond: args.rate,
      snapshotIntervalSeconds: args.snapshotInterval,
      scenario: args.scenario,
      seed: args.seed,
      startTimeMs: startMs,
    });
    const createSeconds = (performance.now() - createdAt) / 1000;
    const generate = pass(simulation, startMs, 0, args.seconds, false);
    const signed = pass(simulation, startMs, args.seconds, 2 * args.seconds, true);
    const memory = process.memoryUsage();
    const perDevicePerSecond = args.rate + 1 / args.snapshotInterval;
    rows.push([
      devices.toLocaleString('en'),
      createSeconds.toFixed(1),
      generate.messages.toLocaleString('en'),
      Math.round(generate.perSecond).toLocaleString('en'),
      signed.messages.toLocaleString('en'),
      Math.round(signed.perSecond).toLocaleString('en'),
      (signed.perSecond / (devices * perDevicePerSecond)).toFixed(2),
      (memory.heapUsed / 2 ** 20).toFixed(0),
      (memory.rss / 2 ** 20).toFixed(0),
    ]);
  }
  const header = [
    'devices',
    'create s',
    'generated',
    'gen msg/s',
    'signed',
    'gen+sign msg/s',
    'x real time',
    'heap MiB',
    'rss MiB',
  ];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padStart(widths[column]!)).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(
    '"x real time": generation + signing speed over the rate the devices produce (≥ 1: one core keeps up with the wall clock).',
  );
}

try {
  main();
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 2;
}
