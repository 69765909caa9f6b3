/**
 * Run by capture.test.ts inside the lab's device namespace (`ip netns exec … ts-node`): the real collector with
 * packet capture. Prints `{"ready":true}` once the capture runs, then on each stdin line `telemetry` or `snapshot`
 * prints that reading as one JSON line; `exit` closes the collector (ending tcpdump) and exits.
 */
import { createInterface } from 'node:readline';
import { createCollector } from '../../../agent/src/collect/createCollector';
import { DEFAULT_SYSTEM_PATHS } from '../../../agent/src/collect/context';

async function main(): Promise<void> {
  const command = process.env.NET_CAPTURE_COMMAND ?? 'tcpdump';
  const collector = createCollector({
    paths: DEFAULT_SYSTEM_PATHS,
    probeTimeoutMs: 4_000,
    commandTimeoutMs: 2_000,
    processLimit: 8,
    socketLimit: 64,
    sharedLibrariesProcessLimit: 2,
    kernelLogLines: 1,
    tlsServers: [],
    sensorPlugins: [],
    owner: { ownerId: null, location: null },
    now: Date.now,
    capture: {
      mode: 'auto',
      command,
      interface: 'any',
      snaplenBytes: 512,
      maxPacketsPerSec: 2_000,
      includeLoopback: false,
      maxFlows: 256,
      maxRecords: 64,
      burstGapMs: 50,
      flowLimit: 64,
    },
  });
  const first = await collector.telemetry();
  process.stdout.write(`${JSON.stringify({ ready: true, network: first.network })}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'telemetry') process.stdout.write(`${JSON.stringify(await collector.telemetry())}\n`);
    else if (line === 'snapshot') process.stdout.write(`${JSON.stringify(await collector.snapshot())}\n`);
    else if (line === 'exit') break;
  }
  await collector.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exitCode = 1;
});
