/**
 * `npm run bench:checks`: the oracle's per-message hot path on one thread, on the messages it receives (simulated
 * telemetry, small and frequent, and snapshots, large): the RFC 8785 canonical-JSON encoder alone, then the whole
 * stateless check (`checkMessage`: UTF-8, JSON, strict schema, canonical forms, keccak256, signature recovery with
 * the fast crypto backend). Best of five rounds of about one second each (the machine is shared: best, not mean).
 * Then the embedded broker's check of each publish (`authorizePublish`: the ACL and the rate bucket, for a fleet
 * login proving the devices) on the same messages, and what one fleet login costs (`authenticate`: the token and
 * every device delegation verified), against a stand-in of the chain mirror's answers held in memory. Last, the same
 * checks through the oracle's verifier pool (`createVerifierPool`, as `runOracle` uses it) with 1 and 2 threads:
 * messages per second, how busy the main thread's event loop was meanwhile, and where the checks ran (started with
 * `ts-node -T`, as `npm run oracle` starts the oracle: a thread that cannot start shows as checks on the main thread).
 *
 * @example
 * npm run bench:checks
 */
import { createSimulation, signSimulated } from '../../agent/src/simulate';
import { createBrokerAuthorizer, type AedesClient, type BrokerDirectory } from '../../broker/src';
import { fleetBrokerCredentials } from '../../twin-core/src/broker';
import { generatePrivateKey } from '../../twin-core/src/signing/deviceKey';
import { useFastCrypto } from '../../oracle/src/crypto/useFastCrypto';
import { checkMessage } from '../../oracle/src/ingest/checkMessage';
import { createVerifierPool } from '../../oracle/src/ingest/createVerifierPool';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';

type Received = { topic: string; payload: Buffer; value: unknown };

/** 30 simulated seconds of 20 devices: about 600 telemetry messages and 60 snapshots, as the oracle receives them. */
function received(): {
  telemetry: Received[];
  snapshot: Received[];
  devices: { deviceId: `0x${string}`; key: `0x${string}`; signer: string }[];
} {
  const start = Date.UTC(2026, 0, 1);
  const simulation = createSimulation({
    devices: 20,
    ratePerSecond: 1,
    snapshotIntervalSeconds: 10,
    scenario: 'mixed',
    seed: 7,
    startTimeMs: start,
  });
  const messages = {
    telemetry: [] as Received[],
    snapshot: [] as Received[],
    devices: simulation.devices.map((device) => ({
      deviceId: device.deviceId as `0x${string}`,
      key: device.privateKey as `0x${string}`,
      signer: device.address,
    })),
  };
  let seq = 0;
  for (let second = 1; second <= 30; second++) {
    for (const message of simulation.step(start + second * 1000)) {
      const signed = signSimulated(simulation.devices[message.deviceIndex]!, message, seq++);
      const payload = Buffer.from(JSON.stringify(signed));
      messages[message.kind].push({
        topic: deviceTopic(signed.deviceId as `0x${string}`, signed.kind),
        payload,
        value: JSON.parse(payload.toString()),
      });
    }
  }
  return messages;
}

/** Runs `work` over `items` for about a second, five times; the best rate, and bytes per second of `size`. */
function measure<item>(items: item[], work: (item: item) => number): { perSecond: number; megabytesPerSecond: number } {
  let best = { perSecond: 0, megabytesPerSecond: 0 };
  for (let round = 0; round < 5; round++) {
    let count = 0;
    let bytes = 0;
    const started = process.hrtime.bigint();
    let elapsed = 0;
    while (elapsed < 1) {
      for (const item of items) bytes += work(item);
      count += items.length;
      elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    }
    const perSecond = count / elapsed;
    if (perSecond > best.perSecond) best = { perSecond, megabytesPerSecond: bytes / elapsed / 1e6 };
  }
  return best;
}

async function main(): Promise<void> {
  const backend = await useFastCrypto();
  const messages = received();
  console.log(`crypto backend: ${backend.name}`);
  const { devices, ...kinds } = messages;
  for (const [kind, items] of Object.entries(kinds)) {
    const size = Math.round(items.reduce((sum, item) => sum + item.payload.length, 0) / items.length);
    const encoder = measure(items, (item) => canonicalJson(item.value).length);
    const checks = measure(items, (item) => {
      const checked = checkMessage({ topic: item.topic, payload: item.payload, maxPayloadBytes: 1_048_576 });
      if (!checked.ok) throw new Error(`${kind}: ${checked.rejection.reason}`);
      return item.payload.length;
    });
    console.log(
      `${kind.padEnd(10)} ${String(items.length).padStart(4)} messages of ~${size} B: ` +
        `canonical JSON ${Math.round(encoder.perSecond).toLocaleString(
          'en-US',
        )}/s (${encoder.megabytesPerSecond.toFixed(1)} MB/s), ` +
        `checkMessage ${Math.round(checks.perSecond).toLocaleString('en-US')}/s`,
    );
  }
  await brokerChecks(devices, kinds.telemetry);
  for (const threads of [1, 2]) {
    for (const [kind, items] of Object.entries(kinds)) await poolChecks(kind, items, threads);
  }
}

/**
 * `items` checked through a verifier pool of `threads`, all at once and awaited, for about a second, five times: the
 * best rate, with the main thread's event-loop utilisation in that round (1: the checks ran on it).
 */
async function poolChecks(kind: string, items: Received[], threads: number): Promise<void> {
  const errors = new Set<string>();
  const pool = createVerifierPool({ threads, maxPayloadBytes: 1_048_576, onError: (error) => errors.add(error.message) });
  const round = async () => {
    const results = await Promise.all(items.map((item) => pool.check(item.topic, item.payload)));
    for (const result of results) if (!result.ok) throw new Error(`${kind}: ${result.rejection.reason}`);
  };
  await round(); // the threads load their modules and the crypto backend
  let best = { perSecond: 0, mainThreadBusy: 1 };
  for (let attempt = 0; attempt < 5; attempt++) {
    const loop = performance.eventLoopUtilization();
    const started = process.hrtime.bigint();
    let count = 0;
    let elapsed = 0;
    while (elapsed < 1) {
      await round();
      count += items.length;
      elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    }
    const perSecond = count / elapsed;
    if (perSecond > best.perSecond) {
      best = { perSecond, mainThreadBusy: performance.eventLoopUtilization(loop).utilization };
    }
  }
  const checked = pool.checked;
  const running = pool.threads;
  await pool.close();
  console.log(
    `pool ${threads}t  ${kind.padEnd(9)} ${Math.round(best.perSecond).toLocaleString('en-US')}/s, main thread busy ` +
      `${Math.round(best.mainThreadBusy * 100)}%; ${running} thread(s) running, checks on threads ` +
      `${checked?.onThreads ?? '?'}, on the main thread ${checked?.onMainThread ?? '?'}` +
      (errors.size > 0 ? `; thread failed: ${[...errors].join('; ')}` : ''),
  );
}

/** The embedded broker's per-publish check and its per-login cost, on a fleet login proving `devices`. */
async function brokerChecks(devices: ReturnType<typeof received>['devices'], telemetry: Received[]): Promise<void> {
  // A stand-in for the chain mirror's answers (the broker reads them from the oracle's index): in memory.
  const signers = new Map(devices.map((device) => [device.deviceId.toLowerCase(), device.signer]));
  const directory: BrokerDirectory = {
    twin: async (deviceId) => {
      const deviceSigner = signers.get(deviceId.toLowerCase());
      return deviceSigner === undefined ? undefined : { deviceSigner, state: 'active' };
    },
    hasRole: async () => true,
    isSecurityEntity: async () => true,
    version: async () => 1,
  };
  const realm = '31337:0x0000000000000000000000000000000000000001';
  // The throttle's rates out of the way: the bucket is still taken at every publish.
  const authorizer = createBrokerAuthorizer({ directory, realm, limits: { messagesPerSecond: 1e9, bytesPerSecond: 1e15 } });
  const [{ credentials }] = fleetBrokerCredentials({ key: generatePrivateKey(), realm, devices });
  const client: AedesClient = { id: credentials.clientId, close: () => undefined };
  const login = (target: AedesClient) =>
    new Promise<void>((resolve, reject) =>
      authorizer.hooks.authenticate(target, credentials.username, Buffer.from(credentials.password), (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  await login(client);
  const publish = measure(telemetry, (item) => {
    let allowed = false;
    authorizer.hooks.authorizePublish(client, { topic: item.topic, payload: item.payload }, (error) => (allowed = !error));
    if (!allowed) throw new Error(`refused ${item.topic}`);
    return item.payload.length;
  });
  const logins = 20;
  const started = process.hrtime.bigint();
  for (let index = 0; index < logins; index++) await login({ id: credentials.clientId, close: () => undefined });
  const loginMs = Number(process.hrtime.bigint() - started) / 1e6 / logins;
  console.log(
    `broker     authorizePublish (ACL + rate bucket, fleet of ${devices.length}) ` +
      `${Math.round(publish.perSecond).toLocaleString('en-US')}/s; a fleet login (token + ${devices.length} delegations) ` +
      `${loginMs.toFixed(1)} ms (${(loginMs / devices.length).toFixed(2)} ms a device, once per connection)`,
  );
}

assertNodeVersion(22, 'The benchmark');
void main();
