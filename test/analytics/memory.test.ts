import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createAnalyzer } from '../../analytics/src/createAnalyzer';
import { typedBytesPerDevice } from '../../analytics/src/engine/deviceState';
import { START_MS, deviceIdOf, telemetryBody, telemetryMessage } from './helpers';

const DEVICES = 10_000;
/** The documented bound: retained heap per device (typed arrays 2,632 bytes + JS object overhead; about 3,800 measured). */
const BYTES_PER_DEVICE_BOUND = 5120;

/** `gc()` without --expose-gc: the flag is set at runtime and a fresh context picks it up. */
function collector(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/** A snapshot body listing `count` listening ports and `count` processes, named from `prefix`. */
function crowdedSnapshot(prefix: string, count: number) {
  const listening = Array.from({ length: count }, (_, index) => ({
    protocol: 'tcp' as const,
    address: '0.0.0.0',
    port: 1000 + index,
  }));
  const list = Array.from({ length: count }, (_, index) => ({
    pid: 100 + index,
    ppid: 1,
    user: 'root',
    priority: 20,
    nice: 0,
    virtKiB: 0,
    resKiB: 0,
    shrKiB: 0,
    state: 'S',
    cpuPercent: 0,
    memPercent: 0,
    cpuTimeSeconds: 0,
    threads: 1,
    name: `${prefix}-${String.fromCharCode(97 + (index % 26))}${String.fromCharCode(97 + Math.floor(index / 26))}`,
    command: prefix,
  }));
  return {
    processes: {
      available: true as const,
      value: {
        tasks: { total: count, running: 1, sleeping: count - 1, uninterruptible: 0, idle: 0, stopped: 0, zombie: 0 },
        threads: count,
        list,
        truncated: false,
      },
    },
    network: {
      available: true as const,
      value: {
        interfaces: [],
        routes: [],
        sockets: [],
        socketsTruncated: false,
        listening,
        counts: { tcp: count, udp: 0, tcpEstablished: 0, tcpListening: count },
      },
    },
  };
}

describe('analytics: bounded memory', function () {
  this.timeout(60_000);

  it(`holds ${DEVICES.toLocaleString(
    'en-US',
  )} devices in fixed-size state under ${BYTES_PER_DEVICE_BOUND} bytes each`, function () {
    const gc = collector();
    const heap = () => {
      gc?.();
      // Typed-array backing stores live outside the V8 heap: count both.
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    const before = heap();
    const analyzer = createAnalyzer({ validate: false });
    const deviceIds = Array.from({ length: DEVICES }, (_, index) => deviceIdOf(index + 1));
    const round = (round: number, prefix: string) => {
      const snapshot = crowdedSnapshot(prefix, 80);
      for (let second = 0; second < 5; second++) {
        const atMs = START_MS + (round * 10 + second) * 1000;
        deviceIds.forEach((deviceId, index) =>
          analyzer.analyze(
            telemetryMessage(deviceId, round * 10 + second, atMs, telemetryBody({}, (index % 10) / 100)),
          ),
        );
      }
      const ts = new Date(START_MS + (round * 10 + 6) * 1000).toISOString();
      for (const deviceId of deviceIds)
        analyzer.analyze({ kind: 'snapshot', deviceId, seq: round * 10 + 6, ts, body: snapshot });
    };
    round(0, 'first');
    const afterFirst = heap();
    // More messages and new names: the sets are full (80 names offered, 64 kept) and nothing else grows.
    round(1, 'second');
    round(2, 'third');
    const afterThird = heap();

    const stats = analyzer.stats();
    expect(stats.devices).to.equal(DEVICES);
    expect(stats.typedBytesPerDevice).to.equal(typedBytesPerDevice(64)).and.to.equal(2632);
    // Structural count (exact): the typed arrays every device holds.
    expect(stats.retainedBytes).to.equal(DEVICES * 2632);
    expect(stats.retainedBytes).to.be.below(DEVICES * BYTES_PER_DEVICE_BOUND);
    if (gc === undefined) {
      this.skip();
      return;
    }
    // Measured (after full GCs): the analyzer's whole retained heap, object overhead and device ids included.
    const perDevice = (afterFirst - before) / DEVICES;
    expect(perDevice).to.be.within(2632, BYTES_PER_DEVICE_BOUND);
    expect((afterThird - afterFirst) / DEVICES).to.be.below(256);
    expect(analyzer.statusOf(deviceIds[0]!).known).to.equal(true);
  });
});
