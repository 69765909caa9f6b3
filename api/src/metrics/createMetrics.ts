import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerBrokerMetrics, type BrokerAuthStats } from '../../../broker/src';
import {
  countRejectionsByReason,
  gapTotals,
  givenUpGaps,
  indexTotals,
  type GapTotals,
  type GivenUpGaps,
  type IndexTotals,
  type Store,
} from '../../../store/src';
import type { ApiFeed } from '../feed/feedEvents';
import type { Relayer } from '../relay/createRelayer';
import type { DocumentCache } from '../views/createDocumentCache';
import type { TwinViewCacheStats } from '../views/createTwinViewCache';

/** The oracle's own counters, when it runs in the API's process. */
export type OracleStats = () => {
  received: number;
  accepted: number;
  rejections: Record<string, number>;
  /** Messages checked on the oracle's verifier threads and on its main thread. */
  checks?: { onThreads: number; onMainThread: number };
};

/** Options of {@link createMetrics}. */
export type MetricsOptions = {
  index: Store;
  feed: ApiFeed;
  oracleStats?: OracleStats;
  /** The twin view cache's counters. */
  viewStats?: () => TwinViewCacheStats;
  /** The IPFS document cache's counters. */
  documentStats?: DocumentCache['stats'];
  /** The relayer, when the API has one: its spend and balance. */
  relayer?: Pick<Relayer, 'spend' | 'balance'>;
  /** The device follower's counters (`context.devices.stats()`): replies applied, statuses and replies refused by reason. */
  deviceStats?: () => { replies: number; refused: Record<string, number> };
  /** The embedded broker's counters, when it runs in the API's process (`npm start`): `twin_broker_*`. */
  brokerStats?: () => BrokerAuthStats | undefined;
};

/** The API's Prometheus registry and the instruments the routes use. */
export type ApiMetrics = {
  registry: Registry;
  /** Records one answered request (seconds). */
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** Counts one refused or failed request by its error code. */
  countError(code: string, status: number): void;
};

/**
 * Prometheus metrics (`GET /metrics`, text format): messages in and rejections by reason (the oracle's counters
 * when it shares the process, else the index's records), the devices' sequence gaps (loss detection), the live
 * feed's counters, anchored batch sizes, time to anchor and gas spent (from
 * the anchored batches as they confirm), API latency by route, the embedded broker's refusals when it shares the
 * process, and the Node process's own metrics.
 *
 * @example
 * const metrics = createMetrics({ index, feed, oracleStats: () => oracle.stats() })
 * res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
 */
export function createMetrics(options: MetricsOptions): ApiMetrics {
  const { index, feed, oracleStats, documentStats, relayer, deviceStats } = options;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'twin_api_process_' });

  // What the index says, read once per scrape (the gauges below share it); a scrape while the index is down
  // still answers, with twin_api_index_up 0 and those gauges left out.
  type IndexFigures = {
    totals: IndexTotals;
    gaps: GapTotals;
    givenUp: GivenUpGaps;
    rejections: Record<string, number>;
  };
  let figures: { at: number; read: Promise<IndexFigures | undefined> } | undefined;
  const readFigures = () => {
    if (figures === undefined || Date.now() - figures.at > 1_000) {
      figures = {
        at: Date.now(),
        read: Promise.all([indexTotals(index), gapTotals(index), givenUpGaps(index), countRejectionsByReason(index)])
          .then(([totals, gaps, givenUp, rejections]) => ({ totals, gaps, givenUp, rejections }))
          .catch(() => undefined),
      };
    }
    return figures.read;
  };
  new Gauge({
    name: 'twin_api_index_up',
    help: 'Whether the index (PostgreSQL) answered the last scrape: 1 or 0.',
    registers: [registry],
    async collect() {
      this.set((await readFigures()) === undefined ? 0 : 1);
    },
  });
  const gapGauge = (name: string, help: string, value: (read: IndexFigures) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const read = await readFigures();
        if (read !== undefined) this.set(value(read));
      },
    });
  gapGauge(
    'twin_sequence_gap_devices',
    'Devices with at least one open sequence gap (messages never received).',
    (read) => read.gaps.devices,
  );
  gapGauge('twin_sequence_gaps_open', 'Open sequence gaps over all devices.', (read) => read.gaps.openGaps);
  gapGauge(
    'twin_sequence_gap_missing',
    'Sequence numbers missing in the open gaps, over all devices.',
    (read) => read.gaps.missing,
  );
  gapGauge(
    'twin_sequence_gaps_given_up_total',
    'Sequence gaps given up (older than STORE_GAP_EXPIRY_HOURS or beyond the cap per device), over all devices.',
    (read) => read.givenUp.gaps,
  );
  gapGauge(
    'twin_sequence_gap_given_up_missing_total',
    'Sequence numbers in the given-up gaps, over all devices.',
    (read) => read.givenUp.missing,
  );
  new Gauge({
    name: 'twin_api_feed_events_total',
    help: "Outbox events the API's live feed read since start, and those it dropped being too far behind.",
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const stats = feed.stats();
      this.set({ result: 'read' }, stats.events);
      this.set({ result: 'dropped' }, stats.dropped);
      this.set({ result: 'error' }, stats.errors);
    },
  });
  if (options.brokerStats !== undefined) registerBrokerMetrics(registry, options.brokerStats);

  if (relayer !== undefined) {
    new Gauge({
      name: 'twin_relayer_transactions_total',
      help: 'Relayed transactions mined since start.',
      registers: [registry],
      collect() {
        this.set(relayer.spend().relayed);
      },
    });
    new Gauge({
      name: 'twin_relayer_gas_used_total',
      help: 'Gas the relayed transactions used since start.',
      registers: [registry],
      collect() {
        this.set(Number(relayer.spend().gasUsed));
      },
    });
    new Gauge({
      name: 'twin_relayer_spent_eth_total',
      help: 'ETH the relayer paid for relayed transactions since start (gas used × effective gas price).',
      registers: [registry],
      collect() {
        this.set(Number(relayer.spend().weiSpent) / 1e18);
      },
    });
    new Gauge({
      name: 'twin_relayer_over_budget_total',
      help: "Relayed requests refused (429) since start because their signer's budget was spent.",
      registers: [registry],
      collect() {
        this.set(relayer.spend().overBudget);
      },
    });
    new Gauge({
      name: 'twin_relayer_balance_eth',
      help: "The relayer account's balance now, ETH (-1 when the chain does not answer).",
      registers: [registry],
      async collect() {
        try {
          this.set(Number(await relayer.balance()) / 1e18);
        } catch {
          this.set(-1);
        }
      },
    });
  }

  new Gauge({
    name: 'twin_messages_received_total',
    help: 'Device messages the oracle received from the broker (in-process oracle only; else messages indexed).',
    registers: [registry],
    async collect() {
      if (oracleStats !== undefined) return void this.set(oracleStats().received);
      const read = await readFigures();
      if (read !== undefined) this.set(read.totals.snapshots + read.totals.telemetryMessages);
    },
  });
  new Gauge({
    name: 'twin_messages_accepted_total',
    help: 'Device messages accepted after validation (in-process oracle only).',
    registers: [registry],
    collect() {
      if (oracleStats !== undefined) this.set(oracleStats().accepted);
    },
  });
  new Gauge({
    name: 'twin_rejections_total',
    help: 'Device messages refused, by reason.',
    labelNames: ['reason'],
    registers: [registry],
    async collect() {
      this.reset();
      const counts = oracleStats?.().rejections ?? (await readFigures())?.rejections ?? {};
      for (const [reason, count] of Object.entries(counts)) this.set({ reason }, count);
    },
  });
  if (oracleStats !== undefined) {
    new Gauge({
      name: 'twin_oracle_checks_total',
      help:
        'Device messages the oracle checked (parse, schema, canonical hash, signer recovery), by thread: "worker" on ' +
        'its verifier threads, "main" on its main thread (every check with verifyThreads 0; else only while a ' +
        'verifier thread has failed). In-process oracle only.',
      labelNames: ['thread'],
      registers: [registry],
      collect() {
        const checks = oracleStats().checks;
        if (checks === undefined) return;
        this.set({ thread: 'worker' }, checks.onThreads);
        this.set({ thread: 'main' }, checks.onMainThread);
      },
    });
  }
  if (deviceStats !== undefined) {
    new Gauge({
      name: 'twin_api_device_replies_total',
      help: "Device answers to commands (twins/+/reply) the API applied since start, each signed by the twin's device key.",
      registers: [registry],
      collect() {
        this.set(deviceStats().replies);
      },
    });
    new Gauge({
      name: 'twin_api_device_messages_refused_total',
      help:
        'Device statuses and replies (twins/+/status, twins/+/reply) the API refused since start, by reason: ' +
        'not-json, invalid-message, unknown-twin, wrong-signer, unknown-command.',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(deviceStats().refused)) this.set({ reason }, count);
      },
    });
  }
  new Gauge({
    name: 'twin_snapshots_pending_anchor',
    help: 'Snapshots accepted whose batch is not confirmed on chain yet.',
    registers: [registry],
    async collect() {
      const read = await readFigures();
      if (read !== undefined) this.set(read.totals.pendingAnchor);
    },
  });
  new Gauge({
    name: 'twin_api_document_cache_reads_total',
    help: 'IPFS documents the API served, by where from: the in-memory cache (hit) or IPFS (miss).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const stats = documentStats?.();
      if (stats === undefined) return;
      this.set({ result: 'hit' }, stats.hits);
      this.set({ result: 'miss' }, stats.misses);
    },
  });
  new Gauge({
    name: 'twin_api_twin_view_cache_reads_total',
    help: 'Twin views the API answered, by where their index rows came from: the cache (hit) or the index (miss).',
    labelNames: ['result'],
    registers: [registry],
    collect() {
      const stats = options.viewStats?.();
      if (stats === undefined) return;
      this.set({ result: 'hit' }, stats.hits);
      this.set({ result: 'miss' }, stats.misses);
    },
  });
  new Gauge({
    name: 'twin_api_twin_view_cache_bytes',
    help: "Bytes the API's twin view cache holds (serialised bodies plus 1 KiB an entry; API_TWIN_VIEW_CACHE_MEGABYTES bounds it).",
    registers: [registry],
    collect() {
      const stats = options.viewStats?.();
      if (stats !== undefined) this.set(stats.bytes);
    },
  });
  new Gauge({
    name: 'twin_api_twin_view_cache_entries',
    help: "Twins whose view the API's twin view cache holds.",
    registers: [registry],
    collect() {
      const stats = options.viewStats?.();
      if (stats !== undefined) this.set(stats.entries);
    },
  });
  new Gauge({
    name: 'twin_api_twin_view_cache_warming',
    help: 'Whether the twin view cache is reading every twin into memory now (1), at start or after it was emptied.',
    registers: [registry],
    collect() {
      const stats = options.viewStats?.();
      if (stats !== undefined) this.set(stats.warming ? 1 : 0);
    },
  });
  new Gauge({
    name: 'twin_api_document_cache_bytes',
    help: "Bytes of IPFS documents held in the API's cache.",
    registers: [registry],
    collect() {
      const stats = documentStats?.();
      if (stats !== undefined) this.set(stats.bytes);
    },
  });
  const batchSize = new Histogram({
    name: 'twin_anchor_batch_size',
    help: 'Snapshots per anchored batch.',
    buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536],
    registers: [registry],
  });
  const timeToAnchor = new Histogram({
    name: 'twin_anchor_time_to_anchor_seconds',
    help: "Seconds from a batch's first snapshot arriving to its root confirmed on chain.",
    buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const gas = new Counter({
    name: 'twin_anchor_gas_used_total',
    help: 'Gas spent by anchoring transactions confirmed since the API started.',
    registers: [registry],
  });
  feed.on('anchored', (batch) => {
    batchSize.observe(batch.leafCount);
    if (batch.secondsToAnchor !== null) timeToAnchor.observe(batch.secondsToAnchor);
    if (batch.gasUsed !== null) gas.inc(Number(batch.gasUsed));
  });
  const latency = new Histogram({
    name: 'twin_api_request_duration_seconds',
    help: 'API request latency by method, route and status.',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'twin_api_errors_total',
    help: 'API requests answered with an error, by error code and status (bad input, auth, relay reverts…).',
    labelNames: ['code', 'status'],
    registers: [registry],
  });
  return {
    registry,
    observeRequest: (method, route, status, seconds) =>
      latency.observe({ method, route, status: String(status) }, seconds),
    countError: (code, status) => errors.inc({ code, status: String(status) }),
  };
}
