import { EventEmitter } from 'node:events';
import { connect as mqttConnect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Outbox, OutboxEntry } from './outbox';

/** Events of {@link MqttPublisher}, typed. */
export type PublisherEvents = {
  connect: [];
  disconnect: [reason: string];
  /** A message arrived on a subscribed topic (the command topic). */
  message: [topic: string, payload: Buffer];
  /** Messages the broker acknowledged, in total. */
  acknowledged: [total: number];
  /** A transport problem (reset connection, refused publish); the publisher carries on. */
  transportError: [error: Error];
};

/** Parameters of {@link MqttPublisher}. */
export type MqttPublisherParameters = {
  url: string;
  /** mqtt.js options (credentials, TLS, client ID, keep-alive, will). */
  options: IClientOptions;
  outbox: Outbox;
  /** Topics to subscribe to at every connect (QoS 1). */
  subscriptions?: string[];
  /** Messages published directly (not stored) at every connect, before the outbox drains: the online status. */
  onConnect?: () => OutboxEntry[];
  /** Messages in flight at once (default 64). */
  maxInFlight?: number;
  /** Reconnect backoff bounds, ms (defaults 1,000 and 30,000). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Fresh broker passwords (signed tokens): one is put in the options at each (re)connect, so none expires in use. */
  password?: () => string;
  /** The transport: mqtt.js `connect` unless a test injects another. */
  connect?: (url: string, options: IClientOptions) => MqttClient;
};

/**
 * Publishes over MQTT with QoS 1 from a disk-backed {@link Outbox}: in order, a bounded window in flight, each
 * message removed only once the broker acknowledged it. On a lost connection it reconnects with exponential backoff
 * and resends from the oldest unacknowledged message, so nothing is lost and first deliveries stay in order
 * (a resend may duplicate; receivers drop a sequence number they have seen).
 *
 * @example
 * const publisher = new MqttPublisher({ url, options, outbox, subscriptions: [deviceTopic(id, 'command')] })
 * publisher.start()
 * publisher.enqueue({ topic, payload, retain: false })
 */
export class MqttPublisher extends EventEmitter<PublisherEvents> {
  private client: MqttClient | undefined;
  private readonly parameters: MqttPublisherParameters;
  private readonly maxInFlight: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  /** Absolute ordinal of the oldest unacknowledged outbox entry. */
  private headOrdinal = 0;
  /** Absolute ordinal of the next entry to send in this connection. */
  private nextOrdinal = 0;
  private readonly acked = new Set<number>();
  private inFlight = 0;
  private generation = 0;
  private droppedSeen: number;
  private acknowledgedTotal = 0;
  private connected = false;
  private stopping = false;

  constructor(parameters: MqttPublisherParameters) {
    super();
    this.parameters = parameters;
    this.maxInFlight = parameters.maxInFlight ?? 64;
    this.reconnectMinMs = parameters.reconnectMinMs ?? 1_000;
    this.reconnectMaxMs = parameters.reconnectMaxMs ?? 30_000;
    this.droppedSeen = parameters.outbox.dropped;
  }

  /** Whether the broker connection is up. */
  get isConnected(): boolean {
    return this.connected;
  }

  /** Counters for logs and metrics. */
  stats() {
    return {
      connected: this.connected,
      pending: this.parameters.outbox.size,
      inFlight: this.inFlight,
      acknowledged: this.acknowledgedTotal,
      dropped: this.parameters.outbox.dropped,
    };
  }

  /** Connects (and keeps reconnecting until {@link stop}). */
  start(): void {
    this.stopping = false;
    this.createClient(this.reconnectMinMs);
  }

  private createClient(reconnectPeriod: number): void {
    const connect = this.parameters.connect ?? mqttConnect;
    const client = connect(this.parameters.url, {
      protocolVersion: 4,
      clean: true,
      queueQoSZero: false,
      reconnectPeriod,
      // A refused CONNACK (bad credentials, not authorised) is retried with backoff too: a device must not give up
      // for good, since the broker's user list may be fixed at any time.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      ...this.parameters.options,
      ...(this.parameters.password ? { password: this.parameters.password() } : {}),
    });
    this.client = client;
    const password = this.parameters.password;
    if (password) client.on('reconnect', () => (client.options.password = password()));
    client.on('connect', () => this.handleConnect());
    client.on('close', () => this.handleClose('connection closed'));
    client.on('offline', () => this.handleClose('offline'));
    client.on('error', (error) => this.emit('transportError', error));
    client.on('message', (topic, payload) => this.emit('message', topic, payload));
  }

  /** Stores a message and sends it as soon as the connection and the window allow. */
  enqueue(entry: OutboxEntry): void {
    this.parameters.outbox.append(entry);
    const dropped = this.parameters.outbox.dropped - this.droppedSeen;
    if (dropped > 0) {
      this.droppedSeen += dropped;
      this.headOrdinal += dropped;
      this.nextOrdinal = Math.max(this.nextOrdinal, this.headOrdinal);
    }
    this.pump();
  }

  /**
   * Publishes a message now without storing it (status messages): resolves when acknowledged, rejects when not
   * connected.
   */
  publishDirect(entry: OutboxEntry): Promise<void> {
    const client = this.client;
    if (client === undefined || !this.connected) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      client.publish(entry.topic, entry.payload, { qos: 1, retain: entry.retain }, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }

  /** Waits until every stored message is acknowledged, or `timeoutMs` passes; resolves whether it drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.parameters.outbox.size > 0) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** Publishes `final` (e.g. the offline status) if connected, then closes; what is stored stays for next time. */
  async stop(final?: OutboxEntry): Promise<void> {
    this.stopping = true;
    if (final !== undefined && this.connected) await this.publishDirect(final).catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      // A clean close waits for the broker; a dead or reconnecting connection is closed at once.
      const graceful = this.connected ? client.endAsync(false) : Promise.reject(new Error('not connected'));
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('close timed out')), 5_000).unref(),
      );
      await Promise.race([graceful, timeout]).catch(() => client.endAsync(true));
    }
    this.connected = false;
    this.parameters.outbox.close();
  }

  private handleConnect(): void {
    this.connected = true;
    if (this.client !== undefined) this.client.options.reconnectPeriod = this.reconnectMinMs;
    this.emit('connect');
    for (const topic of this.parameters.subscriptions ?? []) {
      this.client?.subscribe(topic, { qos: 1 }, (error) => error && this.emit('transportError', error));
    }
    for (const entry of this.parameters.onConnect?.() ?? []) {
      this.publishDirect(entry).catch((error: Error) => this.emit('transportError', error));
    }
    this.pump();
  }

  private handleClose(reason: string): void {
    if (!this.connected && this.inFlight === 0) return this.backoff();
    this.connected = false;
    this.generation++;
    this.inFlight = 0;
    this.acked.clear();
    this.nextOrdinal = this.headOrdinal;
    if (!this.stopping) this.emit('disconnect', reason);
    this.backoff();
  }

  /** Doubles the wait before the next reconnect, up to the maximum; a successful connect resets it. */
  private backoff(): void {
    const client = this.client;
    if (client === undefined || this.stopping) return;
    const current = client.options.reconnectPeriod ?? this.reconnectMinMs;
    client.options.reconnectPeriod = Math.min(this.reconnectMaxMs, Math.max(this.reconnectMinMs, current * 2));
  }

  private pump(): void {
    const client = this.client;
    if (client === undefined || !this.connected) return;
    const outbox = this.parameters.outbox;
    while (this.inFlight < this.maxInFlight) {
      const ordinal = this.nextOrdinal;
      const entry = outbox.peek(ordinal - this.headOrdinal);
      if (entry === undefined) return;
      this.nextOrdinal++;
      this.inFlight++;
      const generation = this.generation;
      client.publish(entry.topic, entry.payload, { qos: 1, retain: entry.retain }, (error) => {
        if (generation !== this.generation) return;
        this.inFlight--;
        if (error) {
          this.emit('transportError', error);
          // A PUBACK with a failure reason code is the broker's final answer (e.g. not authorised): the message
          // was delivered and refused, and must not block the queue. Any other error is resent after reconnect.
          if (typeof (error as { code?: unknown }).code !== 'number') return;
        }
        this.settle(ordinal);
        this.pump();
      });
    }
  }

  private settle(ordinal: number): void {
    if (ordinal < this.headOrdinal) return;
    this.acked.add(ordinal);
    let advanced = 0;
    while (this.acked.delete(this.headOrdinal + advanced)) advanced++;
    if (advanced === 0) return;
    this.headOrdinal += advanced;
    this.acknowledgedTotal += advanced;
    this.parameters.outbox.acknowledge(advanced);
    this.emit('acknowledged', this.acknowledgedTotal);
  }
}
