import { V1_INDEX_SCHEMA } from './v1IndexSchema';
import { V2_EVENTS_AND_GAPS } from './v2EventsAndGaps';
import { V3_SECURITY_STATE } from './v3SecurityState';
import { V4_ALERT_ACKNOWLEDGEMENTS } from './v4AlertAcknowledgements';
import { V5_SET_BASED_SEQUENCES } from './v5SetBasedSequences';
import { V6_GAP_BOUNDS } from './v6GapBounds';
import { V7_SECURITY_SEQUENCES } from './v7SecuritySequences';
import { V8_LEDGER_HASHES } from './v8LedgerHashes';
import { V9_CHAIN_EVENT_NAMES } from './v9ChainEventNames';
import { V10_RELAY_BUDGETS } from './v10RelayBudgets';
import { V11_API_AUTH } from './v11ApiAuth';

/**
 * One forward step of the store's schema. Versions start at 1 and increase by one; a released migration never
 * changes: a later change is a new migration.
 */
export type StoreMigration = {
  version: number;
  name: string;
  /** SQL run in one transaction with the version's row in `schema_version`. */
  sql: string;
};

/**
 * Every migration, in order.
 *
 * @example
 * const latest = STORE_MIGRATIONS[STORE_MIGRATIONS.length - 1]!.version
 */
export const STORE_MIGRATIONS: readonly StoreMigration[] = [
  {
    version: 1,
    name: 'the index schema (SQLite versions 1-12), batch membership, snapshot queue',
    sql: V1_INDEX_SCHEMA,
  },
  {
    version: 2,
    name: 'the event outbox (commit-ordered, notified) and per-device sequence gaps',
    sql: V2_EVENTS_AND_GAPS,
  },
  {
    version: 3,
    name: "the security service's state: analyzer device states, handled alerts, watched twins, per entity",
    sql: V3_SECURITY_STATE,
  },
  {
    version: 4,
    name: "alert acknowledgements: who acknowledged a security entity's alert first, and when",
    sql: V4_ALERT_ACKNOWLEDGEMENTS,
  },
  {
    version: 5,
    name: "store_advance_sequences set-based: a batch's heads, gaps and ledger rows in three statements",
    sql: V5_SET_BASED_SEQUENCES,
  },
  {
    version: 6,
    name: 'bounded sequence gaps: at most max_open_gaps a device, given up by age, counted on the head',
    sql: V6_GAP_BOUNDS,
  },
  {
    version: 7,
    name: "the security service's replay ledger: each device's highest accepted number per kind, per entity",
    sql: V7_SECURITY_SEQUENCES,
  },
  {
    version: 8,
    name: 'the hash of the last status or static message each ledger row accepted: copies told from replays',
    sql: V8_LEDGER_HASHES,
  },
  {
    version: 9,
    name: 'the chain event log indexed by event name, in chain order',
    sql: V9_CHAIN_EVENT_NAMES,
  },
  {
    version: 10,
    name: "the API's relayer budgets: gas and requests per entity and window, bounded reservations",
    sql: V10_RELAY_BUDGETS,
  },
  {
    version: 11,
    name: "the API's sign-in state: shared secrets, used sign-in nonces",
    sql: V11_API_AUTH,
  },
];

/** The schema version this code expects. */
export const STORE_SCHEMA_VERSION = STORE_MIGRATIONS.length;
