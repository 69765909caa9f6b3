import type { Traffic } from '../../../twin-core/src/messages/traffic';
import type { CollectOptions } from './context';
import type { Capture } from './capture/startCapture';

/** What the capture gives a consumer: the running capture, or why there is none. */
export type TrafficSourceState = { capture: Capture } | { reason: string };

/** The lazily started capture shared by the telemetry and snapshot probes of one collector. */
export type TrafficSource = {
  get(): Promise<TrafficSourceState>;
  /** The snapshot's `traffic` section: records since the previous call, the flows, capture counters. */
  snapshot(): Promise<Traffic>;
  close(): Promise<void>;
};

const RETRY_MS = 60_000;
/** How long a just-started capture is given to fail at once (missing program, no permission). */
const START_GRACE_MS = 300;

/**
 * Creates the traffic source: nothing runs until a probe first asks, then `capture/startCapture` is loaded (on
 * demand, so an agent with capture off never loads it) and tcpdump started. A capture that fails is reported with
 * its reason and retried at most once a minute.
 *
 * @example
 * const traffic = createTrafficSource(options)
 * const state = await traffic.get() // { capture } | { reason: 'tcpdump is not installed …' }
 */
export function createTrafficSource(options: CollectOptions): TrafficSource {
  let capture: Capture | null = null;
  let starting: Promise<TrafficSourceState> | null = null;
  let startedAt = Number.NEGATIVE_INFINITY;
  let closed = false;
  let reported = { decoded: 0, skipped: 0 };

  async function start(): Promise<TrafficSourceState> {
    const settings = options.capture!;
    const { startCapture } = await import('./capture/startCapture');
    if (capture) await capture.stop();
    startedAt = options.now();
    capture = startCapture({ ...settings, now: options.now });
    reported = { decoded: 0, skipped: 0 };
    await new Promise((resolve) => setTimeout(resolve, START_GRACE_MS));
    const failure = capture.failure();
    return failure === null ? { capture } : { reason: failure };
  }

  async function get(): Promise<TrafficSourceState> {
    const settings = options.capture;
    if (closed) return { reason: 'the collector is closed' };
    if (!settings || settings.mode === 'off') {
      return { reason: 'packet capture is off (agent config captureMode=off)' };
    }
    if (starting) return starting;
    if (capture) {
      const failure = capture.failure();
      if (failure === null) return { capture };
      if (options.now() - startedAt < RETRY_MS) return { reason: failure };
    }
    starting = start().finally(() => {
      starting = null;
    });
    return starting;
  }

  return {
    get,
    async snapshot() {
      const state = await get();
      if ('reason' in state) throw new Error(state.reason);
      const stats = state.capture.stats();
      const records = state.capture.state.drainRecords();
      const traffic: Traffic = {
        source: 'tcpdump',
        interface: stats.interface.slice(0, 32),
        snaplenBytes: stats.snaplenBytes,
        packetsDecoded: stats.decoded - reported.decoded,
        packetsSkipped: stats.skipped - reported.skipped,
        flows: state.capture.state.flows(options.capture!.flowLimit),
        icmp: records.icmp,
        dns: records.dns,
        tls: records.tls,
        dropped: records.dropped,
      };
      reported = { decoded: stats.decoded, skipped: stats.skipped };
      return traffic;
    },
    async close() {
      closed = true;
      await starting?.catch(() => undefined);
      await capture?.stop();
      capture = null;
    },
  };
}
