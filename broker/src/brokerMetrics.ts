import { Gauge, type Registry } from 'prom-client';
import type { BrokerAuthStats } from './createBrokerAuthorizer';

/**
 * The embedded broker's counters ({@link BrokerAuthStats}) as Prometheus gauges on `registry`, read at each scrape:
 * `twin_broker_connections_accepted_total`, `twin_broker_connections_refused_total{reason}`,
 * `twin_broker_publishes_refused_total{reason}`, `twin_broker_publishes_throttled_total`,
 * `twin_broker_subscriptions_refused_total`, `twin_broker_clients_revoked_total` and `twin_broker_connected_clients`.
 * Whoever runs the broker in its process registers them on its own `/metrics` (the API, under `npm start`).
 *
 * @example
 * registerBrokerMetrics(registry, () => broker.stats())
 */
export function registerBrokerMetrics(registry: Registry, stats: () => BrokerAuthStats | undefined): void {
  const gauge = (name: string, help: string, value: (stats: BrokerAuthStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const now = stats();
        if (now !== undefined) this.set(value(now));
      },
    });
  const byReason = (name: string, help: string, counts: (stats: BrokerAuthStats) => Record<string, number>) =>
    new Gauge({
      name,
      help,
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        const now = stats();
        if (now === undefined) return;
        this.reset();
        for (const [reason, count] of Object.entries(counts(now))) this.set({ reason }, count);
      },
    });
  gauge('twin_broker_connections_accepted_total', 'MQTT logins the embedded broker accepted since start.', (s) => s.connectionsAccepted);
  byReason(
    'twin_broker_connections_refused_total',
    'MQTT logins the embedded broker refused since start, by reason (anonymous, expired, wrong-client-id, no-role…).',
    (s) => s.connectionsRefused,
  );
  byReason(
    'twin_broker_publishes_refused_total',
    'Publishes the embedded broker refused since start, by reason (acl, oversize, rate, revoked-device).',
    (s) => s.publishesRefused,
  );
  gauge(
    'twin_broker_publishes_throttled_total',
    "Publishes the embedded broker held back to keep their client at its rate, since start.",
    (s) => s.publishesThrottled,
  );
  gauge('twin_broker_subscriptions_refused_total', 'Subscriptions the embedded broker refused since start.', (s) => s.subscriptionsRefused);
  gauge(
    'twin_broker_clients_revoked_total',
    'Connected clients the embedded broker disconnected because the chain no longer vouches for them.',
    (s) => s.clientsRevoked,
  );
  gauge('twin_broker_connected_clients', 'Clients connected to the embedded broker now.', (s) => s.connected);
}
