import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { registerBrokerMetrics, type BrokerAuthStats } from '../../../broker/src';
import type { Index } from '../../../oracle/src/index/openIndex';
import { countRejectionsByReason } from '../../../oracle/src/index/rejections';
import type { IndexFeed } from '../feed/createIndexFeed';
import type { Relayer } from '../relay/createRelayer';
import type { DocumentCache } from '../views/createDocumentCache';

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
  index: Index;
  feed: IndexFeed;
  oracleStats?: OracleStats;
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
 * when it shares the process, else the index's records), anchored batch sizes, time to anchor and gas spent (from
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
    collect() {
      if (oracleStats !== undefined) return void this.set(oracleStats().received);
      const snapshots = Number((index.statement('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n);
      const telemetry = Number(
        (index.statement('SELECT coalesce(sum(message_count), 0) AS n FROM telemetry_batches').get() as { n: number })
          .n,
      );
      this.set(snapshots + telemetry);
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
    collect() {
      this.reset();
      const counts = oracleStats?.().rejections ?? countRejectionsByReason(index);
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
    collect() {
      const row = index
        .statement(
          `SELECT count(*) AS n FROM snapshots s LEFT JOIN batches b ON b.id = s.batch_id
           WHERE s.batch_id IS NULL OR b.status <> 'confirmed'`,
        )
        .get() as { n: number };
      this.set(Number(row.n));
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
