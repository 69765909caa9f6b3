import type { Contract, JsonRpcProvider } from 'ethers';
import type { Store } from '../../store/src';
import type { BlobStore } from '../../blobs/src';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import type { ApiConfig } from './config';
import type { ApiFeed } from './feed/feedEvents';
import type { ApiMetrics } from './metrics/createMetrics';
import type { DocumentCache } from './views/createDocumentCache';

/** A component's health: up or down, and a line saying why. */
export type ComponentHealth = { up: boolean; detail: string };

/** What the routes use, built once by `runApi` and shared by every request. */
export type ApiContext = {
  config: ApiConfig;
  deployment: Deployment;
  provider: JsonRpcProvider;
  /** `SnapshotAnchor`, read-only (`verifySnapshot`). */
  anchor: Contract;
  /** The shared index on PostgreSQL (the store's `Store`; `store` is the IPFS blob store). */
  index: Store;
  store: BlobStore;
  /** The twin view's rows, cached by DeviceID and invalidated by the outbox feed. */
  views: import('./views/createTwinViewCache').TwinViewCache;
  /** The store's JSON documents, cached by CID (immutable). */
  documents: DocumentCache;
  /** The live events, from the index's outbox. */
  feed: ApiFeed;
  metrics: ApiMetrics;
  /** Publishes to the broker (QoS 1), resolving once the broker has it; `properties` are sent with MQTT 5 only. */
  publish(
    topic: string,
    payload: string,
    properties?: { responseTopic?: string; correlationData?: Buffer },
  ): Promise<void>;
  /** What the devices declare (capabilities) and answer (command replies), from the broker. */
  devices: import('./commands/createDeviceFollower').DeviceFollower;
  /** Whether the broker connection is up, and to what. */
  brokerHealth(): ComponentHealth;
  /** Sign-in; absent when the API cannot check entities (never in practice: the index has them). */
  auth: import('./auth/createSiweAuth').SiweAuth;
  /** The relayer; undefined without `relayerKey` (the relay routes answer 503). */
  relayer: import('./relay/createRelayer').Relayer | undefined;
  log(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void;
};
