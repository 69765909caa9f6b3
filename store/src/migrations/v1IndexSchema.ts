/**
 * Migration 1: the oracle's SQLite index (oracle/src/index/migrations.ts, versions 1–12) as one PostgreSQL schema,
 * plus the exactly-once guards of issue 15.
 *
 * Translation: DeviceIDs and hashes stay lower-case `0x` hex text (domains `device_id`, `hex`); addresses keep their
 * EIP-55 spelling and compare case-insensitively through the ICU collation `nocase` (SQLite's `COLLATE NOCASE`);
 * wei amounts are `numeric(78,0)`; block numbers, sequence numbers and IDs `bigint` (IDs as identities); times
 * `timestamptz` (SQLite's integer milliseconds); JSON `jsonb`; SQLite's 0/1 flags `boolean`. Every unique
 * constraint and index of the SQLite schema is kept (SQLite's `snapshots_unbatched` becomes `snapshot_queue`).
 *
 * Changed on purpose:
 * - a snapshot's batch membership is a row of `batch_members`, one per snapshot (its primary key): a snapshot can be
 *   in one batch only, whatever any instance does (SQLite kept `batch_id` on the snapshot row);
 * - `snapshot_queue` holds the snapshots in no batch yet; claiming deletes rows from it (`FOR UPDATE SKIP LOCKED`),
 *   so concurrent claimers never get the same snapshot, and the queue stays as small as the backlog;
 * - `sequence_ledger` is written in the transaction that inserts the snapshot (or telemetry) it accounts for;
 * - `telemetry_readings` is range-partitioned by `ts`, one partition a UTC day (`telemetry_readings_pYYYYMMDD`,
 *   listed in `telemetry_partitions`), created ahead and dropped by age (store/src/telemetry/partitions.ts): its key
 *   must hold the partition column, so SQLite's `id` and `UNIQUE (device_id, seq)` become the primary key
 *   `(device_id, seq, ts)`; readings of a day without a partition are not kept (the latest reading and the ledger are);
 * - `commands.update_seq` is assigned under a transaction-level advisory lock (store/src/commands/), so that two
 *   instances never pick the same number and the feed sees changes commit in number order;
 * - `peer_batches` (SQLite version 7) is not carried over: issue 15 drops the peer-batch import, every instance
 *   writing the one shared index.
 */
export const V1_INDEX_SCHEMA = `
CREATE COLLATION IF NOT EXISTS nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE DOMAIN device_id AS text CHECK (VALUE ~ '^0x[0-9a-f]{64}$');
CREATE DOMAIN hex AS text CHECK (VALUE ~ '^0x[0-9a-f]*$');
CREATE DOMAIN address AS text COLLATE nocase CHECK ((VALUE COLLATE "C") ~ '^0x[0-9a-fA-F]{40}$');
CREATE DOMAIN wei AS numeric(78, 0) CHECK (VALUE >= 0);

CREATE TABLE twins (
  device_id        device_id PRIMARY KEY,
  owner            address NOT NULL,
  manufacturer     address NOT NULL,
  device_signer    address NOT NULL,
  state            text NOT NULL CHECK (state IN ('active', 'suspended', 'unknown', 'deactivated', 'lost')),
  for_sale         boolean NOT NULL,
  price            wei NOT NULL,
  static_hash      hex NOT NULL,
  static_cid       text NOT NULL,
  update_count     integer NOT NULL DEFAULT 0,
  review_requested boolean NOT NULL DEFAULT false,
  minted_block     bigint NOT NULL,
  updated_block    bigint NOT NULL
);
CREATE INDEX twins_owner ON twins (owner);
CREATE INDEX twins_manufacturer ON twins (manufacturer);
CREATE INDEX twins_state ON twins (state);
CREATE INDEX twins_for_sale ON twins (for_sale) WHERE for_sale;
CREATE INDEX twins_mint_order ON twins (minted_block, device_id);

CREATE TABLE twin_updates (
  device_id     device_id NOT NULL REFERENCES twins (device_id),
  update_index  integer NOT NULL,
  component     text NOT NULL,
  version       text NOT NULL,
  artifact_hash hex NOT NULL,
  artifact_cid  text NOT NULL,
  block         bigint NOT NULL,
  tx            hex NOT NULL,
  PRIMARY KEY (device_id, update_index)
);
CREATE INDEX twin_updates_block ON twin_updates (block);

CREATE TABLE twin_state_changes (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_id  device_id NOT NULL REFERENCES twins (device_id),
  previous   text NOT NULL,
  new        text NOT NULL,
  changed_by address NOT NULL,
  reason     text NOT NULL,
  block      bigint NOT NULL,
  tx         hex NOT NULL,
  log_index  integer NOT NULL,
  UNIQUE (block, log_index)
);
CREATE INDEX twin_state_changes_device ON twin_state_changes (device_id, block);

CREATE TABLE batches (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  root           hex UNIQUE,
  manifest_cid   text,
  leaf_count     integer NOT NULL DEFAULT 0,
  status         text NOT NULL CHECK (status IN ('open', 'submitted', 'confirmed', 'failed')),
  tx_hash        hex,
  block          bigint,
  gas_used       wei,
  chain_batch_id bigint,
  failure        text,
  signed_tx      hex,
  created_at     timestamptz NOT NULL,
  confirmed_at   timestamptz
);
CREATE INDEX batches_status ON batches (status);

CREATE TABLE snapshots (
  device_id    device_id NOT NULL,
  seq          bigint NOT NULL CHECK (seq >= 0),
  collected_at timestamptz NOT NULL,
  hash         hex NOT NULL,
  cid          text NOT NULL,
  received_at  timestamptz NOT NULL,
  PRIMARY KEY (device_id, seq)
);
CREATE INDEX snapshots_time ON snapshots (device_id, collected_at);
CREATE INDEX snapshots_received ON snapshots (received_at);
CREATE INDEX snapshots_cid ON snapshots (cid);

CREATE TABLE batch_members (
  device_id  device_id NOT NULL,
  seq        bigint NOT NULL,
  batch_id   bigint NOT NULL REFERENCES batches (id),
  leaf_index integer CHECK (leaf_index >= 0),
  proof      jsonb,
  PRIMARY KEY (device_id, seq),
  FOREIGN KEY (device_id, seq) REFERENCES snapshots (device_id, seq) ON DELETE CASCADE,
  UNIQUE (batch_id, leaf_index) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE snapshot_queue (
  device_id   device_id NOT NULL,
  seq         bigint NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, seq),
  FOREIGN KEY (device_id, seq) REFERENCES snapshots (device_id, seq) ON DELETE CASCADE
);
CREATE INDEX snapshot_queue_order ON snapshot_queue (received_at, device_id, seq);

CREATE VIEW latest_snapshots AS
  SELECT DISTINCT ON (s.device_id) s.device_id, s.seq, s.collected_at, s.hash, s.cid, s.received_at,
         m.batch_id, m.leaf_index, m.proof
  FROM snapshots s LEFT JOIN batch_members m ON m.device_id = s.device_id AND m.seq = s.seq
  ORDER BY s.device_id, s.seq DESC;

CREATE TABLE sequence_ledger (
  device_id device_id NOT NULL,
  kind      text NOT NULL,
  seq       bigint NOT NULL,
  PRIMARY KEY (device_id, kind)
);

CREATE TABLE rejections (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL,
  device_id device_id,
  reason    text NOT NULL,
  detail    text NOT NULL
);
CREATE INDEX rejections_reason ON rejections (reason, at);
CREATE INDEX rejections_device ON rejections (device_id, id);
CREATE INDEX rejections_at ON rejections (at);

CREATE TABLE rejection_counts (
  reason text PRIMARY KEY,
  count  bigint NOT NULL
);

CREATE TABLE notifications (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner      address NOT NULL,
  device_id  device_id NOT NULL,
  kind       text NOT NULL,
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  block      bigint,
  tx         hex,
  log_index  integer,
  UNIQUE (block, log_index)
);
CREATE INDEX notifications_owner ON notifications (owner, id);

CREATE TABLE chain_cursor (
  name                 text PRIMARY KEY,
  last_processed_block bigint NOT NULL,
  last_block_hash      hex,
  updated_at           timestamptz NOT NULL
);

CREATE TABLE entities (
  account          address PRIMARY KEY,
  entity_id        bigint,
  role             text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'approved', 'revoked')),
  name             text NOT NULL,
  profile_hash     hex NOT NULL,
  profile_cid      text NOT NULL,
  registered_block bigint NOT NULL,
  updated_block    bigint NOT NULL
);
CREATE INDEX entities_role ON entities (role, status);

CREATE TABLE chain_events (
  block      bigint NOT NULL,
  log_index  integer NOT NULL,
  block_hash hex NOT NULL,
  tx         hex NOT NULL,
  contract   text NOT NULL,
  name       text NOT NULL,
  subject    text COLLATE nocase NOT NULL,
  payload    jsonb NOT NULL,
  PRIMARY KEY (block, log_index)
);
CREATE INDEX chain_events_subject ON chain_events (subject, block, log_index);

CREATE TABLE telemetry_batches (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  cid           text NOT NULL UNIQUE,
  message_count integer NOT NULL,
  first_at      timestamptz NOT NULL,
  last_at       timestamptz NOT NULL,
  created_at    timestamptz NOT NULL
);

CREATE TABLE latest_telemetry (
  device_id device_id PRIMARY KEY,
  seq       bigint NOT NULL,
  ts        timestamptz NOT NULL,
  body      jsonb NOT NULL,
  batch_cid text
);

CREATE TABLE telemetry_readings (
  device_id device_id NOT NULL,
  seq       bigint NOT NULL,
  ts        timestamptz NOT NULL,
  body      jsonb NOT NULL,
  PRIMARY KEY (device_id, seq, ts)
) PARTITION BY RANGE (ts);
CREATE INDEX telemetry_readings_time ON telemetry_readings (device_id, ts);

CREATE TABLE telemetry_partitions (
  day  date PRIMARY KEY,
  name text NOT NULL UNIQUE
);

CREATE TABLE alerts (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  alert_id     text NOT NULL,
  device_id    device_id NOT NULL,
  behaviour    text NOT NULL,
  score        double precision NOT NULL,
  status       text NOT NULL,
  action       text NOT NULL,
  window_from  timestamptz NOT NULL,
  window_to    timestamptz NOT NULL,
  evidence_cid text NOT NULL,
  tx           hex,
  by_entity    address NOT NULL,
  first_at     timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL,
  UNIQUE (by_entity, alert_id)
);
CREATE INDEX alerts_device ON alerts (device_id, id);
CREATE INDEX alerts_updated ON alerts (updated_at);
CREATE INDEX alerts_evidence ON alerts (evidence_cid);

CREATE TABLE commands (
  command_id text PRIMARY KEY,
  device_id  device_id NOT NULL,
  command    text NOT NULL,
  args       jsonb NOT NULL,
  nonce      text NOT NULL,
  expiry     bigint NOT NULL,
  signer     address NOT NULL,
  sig        hex NOT NULL,
  status     text NOT NULL CHECK (status IN ('pending', 'delivered', 'succeeded', 'failed', 'expired')),
  result     jsonb,
  error      jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  update_seq bigint NOT NULL,
  UNIQUE (device_id, nonce)
);
CREATE INDEX commands_device ON commands (device_id, created_at);
CREATE INDEX commands_open ON commands (status, expiry) WHERE status IN ('pending', 'delivered');
CREATE UNIQUE INDEX commands_update_seq ON commands (update_seq);

CREATE TABLE twin_states (
  device_id      device_id PRIMARY KEY,
  desired        jsonb NOT NULL DEFAULT '{}',
  desired_times  jsonb NOT NULL DEFAULT '{}',
  reported       jsonb,
  reported_times jsonb NOT NULL DEFAULT '{}',
  version        integer NOT NULL DEFAULT 0,
  updated_at     timestamptz NOT NULL
);
`;
