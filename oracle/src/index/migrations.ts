/**
 * One forward step of the index schema. Versions start at 1 and increase by one; a migration never changes once
 * released: a later change is a new migration.
 */
export type Migration = {
  version: number;
  name: string;
  /** SQL run in one transaction with the version's row in `schema_version`. */
  sql: string;
};

/**
 * Conventions: DeviceIDs are `0x` + 64 lower-case hex digits; hashes lower-case hex; addresses EIP-55 checksummed
 * and compared case-insensitively (`COLLATE NOCASE`); wei amounts decimal text (they exceed 2^53); times integer
 * milliseconds since the epoch; block numbers integers.
 */
const INITIAL = `
CREATE TABLE twins (
  device_id        TEXT PRIMARY KEY NOT NULL CHECK (device_id GLOB '0x*' AND length(device_id) = 66),
  owner            TEXT NOT NULL COLLATE NOCASE,
  manufacturer     TEXT NOT NULL COLLATE NOCASE,
  device_signer    TEXT NOT NULL COLLATE NOCASE,
  state            TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'unknown', 'deactivated', 'lost')),
  for_sale         INTEGER NOT NULL CHECK (for_sale IN (0, 1)),
  price            TEXT NOT NULL,
  static_hash      TEXT NOT NULL,
  static_cid       TEXT NOT NULL,
  update_count     INTEGER NOT NULL DEFAULT 0,
  review_requested INTEGER NOT NULL DEFAULT 0 CHECK (review_requested IN (0, 1)),
  minted_block     INTEGER NOT NULL,
  updated_block    INTEGER NOT NULL
);
CREATE INDEX twins_owner ON twins (owner);
CREATE INDEX twins_manufacturer ON twins (manufacturer);
CREATE INDEX twins_state ON twins (state);
CREATE INDEX twins_for_sale ON twins (for_sale) WHERE for_sale = 1;

CREATE TABLE twin_updates (
  device_id     TEXT NOT NULL REFERENCES twins (device_id),
  update_index  INTEGER NOT NULL,
  component     TEXT NOT NULL,
  version       TEXT NOT NULL,
  artifact_hash TEXT NOT NULL,
  artifact_cid  TEXT NOT NULL,
  block         INTEGER NOT NULL,
  tx            TEXT NOT NULL,
  PRIMARY KEY (device_id, update_index)
);
CREATE INDEX twin_updates_block ON twin_updates (block);

CREATE TABLE twin_state_changes (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id  TEXT NOT NULL REFERENCES twins (device_id),
  previous   TEXT NOT NULL,
  new        TEXT NOT NULL,
  changed_by TEXT NOT NULL COLLATE NOCASE,
  reason     TEXT NOT NULL,
  block      INTEGER NOT NULL,
  tx         TEXT NOT NULL,
  log_index  INTEGER NOT NULL,
  UNIQUE (block, log_index)
);
CREATE INDEX twin_state_changes_device ON twin_state_changes (device_id, block);

CREATE TABLE batches (
  id             INTEGER PRIMARY KEY AUTOINCREMENT,
  root           TEXT UNIQUE,
  manifest_cid   TEXT,
  leaf_count     INTEGER NOT NULL DEFAULT 0,
  status         TEXT NOT NULL CHECK (status IN ('open', 'submitted', 'confirmed', 'failed')),
  tx_hash        TEXT,
  block          INTEGER,
  gas_used       TEXT,
  chain_batch_id INTEGER,
  failure        TEXT,
  created_at     INTEGER NOT NULL,
  confirmed_at   INTEGER
);
CREATE INDEX batches_status ON batches (status);

CREATE TABLE snapshots (
  device_id    TEXT NOT NULL,
  seq          INTEGER NOT NULL CHECK (seq >= 0),
  collected_at INTEGER NOT NULL,
  hash         TEXT NOT NULL,
  cid          TEXT NOT NULL,
  batch_id     INTEGER REFERENCES batches (id),
  leaf_index   INTEGER,
  proof        TEXT,
  received_at  INTEGER NOT NULL,
  PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE INDEX snapshots_time ON snapshots (device_id, collected_at);
CREATE INDEX snapshots_batch ON snapshots (batch_id);
CREATE INDEX snapshots_unbatched ON snapshots (received_at) WHERE batch_id IS NULL;

CREATE VIEW latest_snapshots AS
  SELECT s.* FROM snapshots s
  WHERE s.seq = (SELECT max(seq) FROM snapshots l WHERE l.device_id = s.device_id);

CREATE TABLE rejections (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        INTEGER NOT NULL,
  device_id TEXT,
  reason    TEXT NOT NULL,
  detail    TEXT NOT NULL
);
CREATE INDEX rejections_reason ON rejections (reason, at);

CREATE TABLE notifications (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  owner      TEXT NOT NULL COLLATE NOCASE,
  device_id  TEXT NOT NULL,
  kind       TEXT NOT NULL,
  payload    TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  block      INTEGER,
  tx         TEXT,
  log_index  INTEGER,
  UNIQUE (block, log_index)
);
CREATE INDEX notifications_owner ON notifications (owner, id);

CREATE TABLE chain_cursor (
  name                 TEXT PRIMARY KEY NOT NULL,
  last_processed_block INTEGER NOT NULL,
  last_block_hash      TEXT,
  updated_at           INTEGER NOT NULL
);
`;

/** What the chain mirror needs beyond the tables above: entities, and the log of applied events it rewinds by. */
const MIRROR_BOOKKEEPING = `
CREATE TABLE entities (
  account         TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
  entity_id       INTEGER,
  role            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'revoked')),
  name            TEXT NOT NULL,
  profile_hash    TEXT NOT NULL,
  profile_cid     TEXT NOT NULL,
  registered_block INTEGER NOT NULL,
  updated_block   INTEGER NOT NULL
);
CREATE INDEX entities_role ON entities (role, status);

CREATE TABLE chain_events (
  block      INTEGER NOT NULL,
  log_index  INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  tx         TEXT NOT NULL,
  contract   TEXT NOT NULL,
  name       TEXT NOT NULL,
  subject    TEXT NOT NULL COLLATE NOCASE,
  payload    TEXT NOT NULL,
  PRIMARY KEY (block, log_index)
) WITHOUT ROWID;
CREATE INDEX chain_events_subject ON chain_events (subject, block, log_index);
`;

/**
 * Every migration, in order. Version 1 holds the index proper; version 2 adds the chain mirror's bookkeeping.
 *
 * @example
 * const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version
 */
/** Telemetry is stored on IPFS in batches (one CID per batch); the latest reading of each device is kept here. */
const TELEMETRY = `
CREATE TABLE telemetry_batches (
  id           INTEGER PRIMARY KEY,
  cid          TEXT NOT NULL UNIQUE,
  message_count INTEGER NOT NULL,
  first_at     INTEGER NOT NULL,
  last_at      INTEGER NOT NULL,
  created_at   INTEGER NOT NULL
);
CREATE TABLE latest_telemetry (
  device_id    TEXT PRIMARY KEY NOT NULL,
  seq          INTEGER NOT NULL,
  ts           INTEGER NOT NULL,
  body         TEXT NOT NULL,
  batch_cid    TEXT
);
`;

/** The highest sequence number accepted per device and kind (kind `will`: the announced last-will number). */
const SEQUENCE_LEDGER = `
CREATE TABLE sequence_ledger (
  device_id TEXT NOT NULL,
  kind      TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (device_id, kind)
) WITHOUT ROWID;
`;

/**
 * Recent telemetry readings per device (what the dashboard's charts start from, and what the API's event feed
 * follows by rowid; pruned to the newest N per device as batches arrive), and the receive-time index the feed
 * follows new snapshots by.
 */
const TELEMETRY_READINGS = `
CREATE TABLE telemetry_readings (
  id        INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  ts        INTEGER NOT NULL,
  body      TEXT NOT NULL,
  UNIQUE (device_id, seq)
);
CREATE INDEX snapshots_received ON snapshots (received_at);
`;

/**
 * Batches other oracle instances anchored ("peer batches"): one row per `BatchAnchored` whose root the index did not
 * know when the chain mirror applied it, with what the event says, and where its import stands: `pending` (to fetch
 * at `next_attempt_at`, `attempts` so far, the last `failure`), `imported` (as batch `batch_id`, confirmed) or
 * `failed` (the manifest was refused for `failure`; never retried). A reorganisation deletes the rows of the blocks
 * it undid, with what their import wrote.
 */
const PEER_BATCHES = `
CREATE TABLE peer_batches (
  root            TEXT PRIMARY KEY NOT NULL,
  manifest_cid    TEXT NOT NULL,
  leaf_count      INTEGER NOT NULL,
  chain_batch_id  INTEGER NOT NULL,
  oracle          TEXT NOT NULL COLLATE NOCASE,
  tx              TEXT NOT NULL,
  block           INTEGER NOT NULL,
  log_index       INTEGER NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'imported', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  failure         TEXT,
  batch_id        INTEGER REFERENCES batches (id),
  recorded_at     INTEGER NOT NULL,
  imported_at     INTEGER
) WITHOUT ROWID;
CREATE INDEX peer_batches_due ON peer_batches (status, next_attempt_at);
CREATE INDEX peer_batches_block ON peer_batches (block);
`;

/** Security alerts published by security entities, the latest state of each (one row per entity and alert ID). */
const ALERTS = `
CREATE TABLE alerts (
  id           INTEGER PRIMARY KEY,
  alert_id     TEXT NOT NULL,
  device_id    TEXT NOT NULL,
  behaviour    TEXT NOT NULL,
  score        REAL NOT NULL,
  status       TEXT NOT NULL,
  action       TEXT NOT NULL,
  window_from  INTEGER NOT NULL,
  window_to    INTEGER NOT NULL,
  evidence_cid TEXT NOT NULL,
  tx           TEXT,
  by_entity    TEXT NOT NULL COLLATE NOCASE,
  first_at     INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  UNIQUE (by_entity, alert_id)
);
CREATE INDEX alerts_device ON alerts (device_id, id);
CREATE INDEX alerts_updated ON alerts (updated_at);
`;

/**
 * Rejections bounded (the newest `ORACLE_REJECTIONS_KEPT` rows are kept) with the counts per reason kept apart, so
 * pruning loses no count; the CIDs of snapshots and alert evidence indexed, so the API's gateway finds who may read
 * a blob; rejections by device and time for their API.
 */
const BOUNDED_REJECTIONS = `
CREATE TABLE rejection_counts (
  reason TEXT PRIMARY KEY NOT NULL,
  count  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO rejection_counts (reason, count) SELECT reason, count(*) FROM rejections GROUP BY reason;
CREATE INDEX rejections_device ON rejections (device_id, id);
CREATE INDEX rejections_at ON rejections (at);
CREATE INDEX snapshots_cid ON snapshots (cid);
CREATE INDEX alerts_evidence ON alerts (evidence_cid);
`;

/**
 * Commands the API relayed to devices, owner-signed (EIP-712), with their status as the devices answer: one row per
 * command ID (its EIP-712 digest), a nonce used once per device, `update_seq` increasing with every change (the
 * event feed follows it). The API keeps the newest commands of each device only.
 */
const COMMANDS = `
CREATE TABLE commands (
  command_id  TEXT PRIMARY KEY NOT NULL,
  device_id   TEXT NOT NULL,
  command     TEXT NOT NULL,
  args        TEXT NOT NULL,
  nonce       TEXT NOT NULL,
  expiry      INTEGER NOT NULL,
  signer      TEXT NOT NULL COLLATE NOCASE,
  sig         TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'succeeded', 'failed', 'expired')),
  result      TEXT,
  error       TEXT,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  update_seq  INTEGER NOT NULL,
  UNIQUE (device_id, nonce)
);
CREATE INDEX commands_device ON commands (device_id, created_at);
CREATE INDEX commands_open ON commands (status, expiry) WHERE status IN ('pending', 'delivered');
CREATE UNIQUE INDEX commands_update_seq ON commands (update_seq);
`;

/**
 * Each twin's state document (issue 16): the owner's desired state and its version, what the device last reported
 * (from its signed status), and when each top-level field of either last changed.
 */
const TWIN_STATES = `
CREATE TABLE twin_states (
  device_id      TEXT PRIMARY KEY NOT NULL,
  desired        TEXT NOT NULL DEFAULT '{}',
  desired_times  TEXT NOT NULL DEFAULT '{}',
  reported       TEXT,
  reported_times TEXT NOT NULL DEFAULT '{}',
  version        INTEGER NOT NULL DEFAULT 0,
  updated_at     INTEGER NOT NULL
) WITHOUT ROWID;
`;

/**
 * Exactly once (issue 15): a snapshot joins one batch for good (a claim sets `batch_id` once; moving it to another
 * batch is refused by the schema, whatever the code does), each leaf position of a batch is one snapshot, and the
 * replay ledger, now written in the same transaction as each accepted message's index insert, starts from what the
 * index holds (the snapshots of this instance, where an earlier oracle's periodic save lagged behind them).
 */
const EXACTLY_ONCE = `
CREATE TRIGGER snapshots_batch_once BEFORE UPDATE OF batch_id ON snapshots
  WHEN OLD.batch_id IS NOT NULL AND NEW.batch_id IS NOT OLD.batch_id
  BEGIN SELECT RAISE(ABORT, 'snapshot already in another batch'); END;
CREATE UNIQUE INDEX snapshots_leaf ON snapshots (batch_id, leaf_index)
  WHERE batch_id IS NOT NULL AND leaf_index IS NOT NULL;
INSERT INTO sequence_ledger (device_id, kind, seq)
  SELECT device_id, 'snapshot', max(seq) FROM snapshots
  WHERE batch_id IS NULL OR batch_id NOT IN (SELECT batch_id FROM peer_batches WHERE batch_id IS NOT NULL)
  GROUP BY device_id
  ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > sequence_ledger.seq;
`;

/**
 * Security entities' acknowledgements of alerts (issue 16's alert inbox): who acknowledged an alert first, and
 * when, shared by every dashboard session instead of kept in one browser.
 */
const ALERT_ACKNOWLEDGEMENTS = `
CREATE TABLE alert_acknowledgements (
  by_entity       TEXT NOT NULL COLLATE NOCASE,
  alert_id        TEXT NOT NULL,
  acknowledged_by TEXT NOT NULL COLLATE NOCASE,
  acknowledged_at INTEGER NOT NULL,
  PRIMARY KEY (by_entity, alert_id)
);
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'twins, history, snapshots, batches, rejections, notifications, cursor', sql: INITIAL },
  { version: 2, name: 'entities and the chain event log', sql: MIRROR_BOOKKEEPING },
  { version: 3, name: 'telemetry batches and latest telemetry', sql: TELEMETRY },
  { version: 4, name: 'sequence ledger', sql: SEQUENCE_LEDGER },
  { version: 5, name: 'signed anchoring transactions', sql: 'ALTER TABLE batches ADD COLUMN signed_tx TEXT;' },
  { version: 6, name: 'recent telemetry readings, snapshots by receive time', sql: TELEMETRY_READINGS },
  { version: 7, name: 'batches anchored by other oracle instances', sql: PEER_BATCHES },
  { version: 8, name: 'security alerts', sql: ALERTS },
  {
    version: 9,
    name: 'twins in mint order (the list pages without sorting every twin)',
    sql: 'CREATE INDEX twins_mint_order ON twins (minted_block, device_id);',
  },
  { version: 10, name: 'bounded rejections with counts per reason; blobs by CID', sql: BOUNDED_REJECTIONS },
  { version: 11, name: 'owner-signed commands and their results', sql: COMMANDS },
  { version: 12, name: 'twin state documents (desired and reported)', sql: TWIN_STATES },
  { version: 13, name: 'batch membership claimed once; the replay ledger from the index', sql: EXACTLY_ONCE },
  { version: 14, name: 'alert acknowledgements', sql: ALERT_ACKNOWLEDGEMENTS },
];
