/**
 * Run by validateMessage.test.ts through ts-node (`ts-node -T`, as the benchmarks run the oracle, whose process.execArgv carries
 * ts-node's own script, unlike Hardhat's test process): a verifier pool of 2 threads checks `MESSAGES` telemetry
 * messages of 4 devices, then prints `{"threads":…,"checked":{"onThreads":…,"onMainThread":…},"errors":[…]}`.
 */
import { createVirtualDevice } from '../../../agent/src/simulate/device';
import { DeviceChannel } from '../../../agent/src/device/deviceChannel';
import { createVerifierPool } from '../../../oracle/src/ingest/createVerifierPool';
import { telemetryBody } from '../../agent/transport/publisherBehaviour';

const MESSAGES = 40;

async function main(): Promise<void> {
  const errors: string[] = [];
  const pool = createVerifierPool({
    threads: 2,
    maxPayloadBytes: 64 * 1024,
    onError: (error) => errors.push(error.message),
  });
  const channels = [1, 2, 3, 4].map((index) => {
    const device = createVirtualDevice('verifier-child', index);
    let next = 0;
    return new DeviceChannel({ deviceId: device.deviceId, key: device.privateKey, sequence: { next: () => next++ } });
  });
  const results = await Promise.all(
    Array.from({ length: MESSAGES }, (_, i) => {
      const entry = channels[i % channels.length]!.entry('telemetry', telemetryBody(i));
      return pool.check(entry.topic, Buffer.from(entry.payload));
    }),
  );
  const threads = pool.threads;
  const checked = pool.checked;
  await pool.close();
  process.stdout.write(
    `${JSON.stringify({ threads, checked, accepted: results.filter((r) => r.ok).length, errors })}\n`,
  );
}

void main();
