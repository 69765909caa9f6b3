/**
 * The store (issue 15): the index every oracle, API and security instance shares, on PostgreSQL: the embedded
 * server or an external one (`DATABASE_URL`), a pool per process, bounded transactions, forward migrations with a
 * checked schema version, and one module per domain of queries. See README.md in this folder.
 *
 * @example
 * import { loadStoreConfig, startStore, insertSnapshot } from '../../store/src'
 * const store = await startStore(loadStoreConfig())
 * await insertSnapshot(store, { deviceId, seq, collectedAt, hash, cid })
 */
export * from './errors';
export * from './config';
export * from './values';
export {
  startEmbeddedServer,
  type EmbeddedServer,
  type StartEmbeddedServerOptions,
} from './server/startEmbeddedServer';
export { grantServerSearch } from './server/grantServerSearch';
export {
  clearStalePostmaster,
  postmasterPid,
  stopLeftoverServer,
  type StalePostmaster,
} from './server/stalePostmaster';
export { freePort } from './server/freePort';
export { MIN_SERVER_VERSION, openStore, type OpenStoreOptions } from './pool/openStore';
export { runQuery } from './pool/runQuery';
export { gateStore, type GatedStore, type StoreGateStats } from './pool/gateStore';
export type { Queryable, Statement, Store, Transaction, TransactionSettings } from './pool/types';
export { inTransaction, storeOf, withTransaction, type Db, type TransactionOptions } from './pool/withTransaction';
export { EMBEDDED_DATABASE, ensureDatabase, startStore } from './startStore';
export { MIGRATION_LOCK_KEY, checkSchemaVersion, migrate, type MigrateResult } from './migrations/migrate';
export { STORE_MIGRATIONS, STORE_SCHEMA_VERSION, type StoreMigration } from './migrations/migrations';
export * from './ledger';
export * from './snapshots';
export * from './batches';
export * from './telemetry';
export * from './alerts';
export * from './notifications';
export * from './rejections';
export * from './commands';
export * from './twins';
export * from './entities';
export * from './twinHistory';
export * from './twinStates';
export * from './chainEvents';
export * from './cursor';
// Live events across instances and sequence gaps (issue 15): the outbox, its feed, migration 2's lock key.
export * from './events';
export * from './feed';
export { EVENTS_LOCK_KEY } from './migrations/v2EventsAndGaps';
// The security service's state (issue 15 item 8): device states, handled alerts, watched twins per entity.
export * from './security';
// What components start when they are not given a store, and the API's one-statement reads (views, counts).
export * from './startStoreFromEnvironment';
export * from './apiReads';
// What an index holds (the rebuild's check for an empty target).
export * from './indexHoldings';
// The API's relayer budgets, its sign-in state, and a named lock across instances (the relayer's sends), issue 15.
export * from './relayBudgets';
export * from './apiAuth';
export { NAMED_LOCK_NAMESPACE, withAdvisoryLock } from './locks/withAdvisoryLock';
