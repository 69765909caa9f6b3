/** The advisory lock an event-writing transaction holds from numbering its events to its commit (see below). */
export const EVENTS_LOCK_KEY = 7_361_001_501n;

/**
 * Migration 2: the event outbox that feeds every API instance (issue 15 item 5), and per-device sequence gaps (issue
 * 15, "loss is detected").
 *
 * Events: `recordEvent` inserts a row with `seq` NULL in the writer's transaction. A deferred constraint trigger
 * numbers the transaction's events at commit: it takes the transaction-level advisory lock `EVENTS_LOCK_KEY`, draws
 * a block of numbers from `event_seq` and notifies `store_events` with the last one. The lock is held until the
 * commit ends, so numbers are drawn in commit order and a transaction with a higher number always becomes visible
 * after every lower one: a reader following `seq > cursor` never skips a committed event. (A transaction failing
 * after its numbers were drawn leaves a hole, never filled later.) PostgreSQL already serialises the commits of
 * notifying transactions (async.c takes a cluster-wide lock until after commit), so the lock costs no more. Numbers
 * come from a sequence, not a row, so repeatable-read and serializable writers do not conflict on it.
 * `event_retention.pruned_through` is the highest number `pruneEvents` deleted: a reader behind it knows it missed
 * events.
 *
 * Gaps: `sequence_heads` holds each device's highest sequence number over every kind (the device's one counter),
 * `sequence_gaps` the numbers below it never received, as ranges. `store_note_sequence` updates both with the
 * head row locked until commit, so concurrent writers of one device are serialised and the ranges are exact;
 * `store_advance_sequence` notes the number, then advances the ledger row of its kind (head first, then ledger row,
 * in every writer, so that they cannot deadlock each other).
 */
export const V2_EVENTS_AND_GAPS = `
CREATE TABLE events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  seq        bigint UNIQUE,
  kind       text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{0,63}$'),
  device_id  device_id,
  payload    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX events_created ON events (created_at);
CREATE SEQUENCE event_seq AS bigint;
CREATE TABLE event_retention (
  only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  pruned_through bigint NOT NULL DEFAULT 0
);
INSERT INTO event_retention DEFAULT VALUES;

CREATE FUNCTION store_sequence_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  pending bigint;
  first_seq bigint;
BEGIN
  -- The first firing of the transaction numbers all its events; the later ones find their row numbered.
  PERFORM 1 FROM events WHERE id = NEW.id AND seq IS NULL;
  IF NOT FOUND THEN RETURN NULL; END IF;
  SELECT count(*) INTO pending FROM events WHERE seq IS NULL;
  PERFORM pg_advisory_xact_lock(${EVENTS_LOCK_KEY});
  first_seq := nextval('event_seq');
  IF pending > 1 THEN PERFORM setval('event_seq', first_seq + pending - 1); END IF;
  UPDATE events e SET seq = first_seq + r.position - 1
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS position FROM events WHERE seq IS NULL) r
  WHERE e.id = r.id;
  PERFORM pg_notify('store_events', (first_seq + pending - 1)::text);
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER events_sequence AFTER INSERT ON events
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION store_sequence_events();

CREATE TABLE sequence_heads (
  device_id device_id PRIMARY KEY,
  highest   bigint NOT NULL
);
CREATE TABLE sequence_gaps (
  device_id   device_id NOT NULL,
  from_seq    bigint NOT NULL,
  to_seq      bigint NOT NULL,
  detected_at timestamptz NOT NULL,
  PRIMARY KEY (device_id, from_seq),
  CHECK (from_seq <= to_seq)
);

CREATE FUNCTION store_note_sequence(p_device device_id, p_seq bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  head bigint;
  gap sequence_gaps%ROWTYPE;
BEGIN
  INSERT INTO sequence_heads (device_id, highest) VALUES (p_device, p_seq) ON CONFLICT (device_id) DO NOTHING;
  IF FOUND THEN RETURN 'first'; END IF;
  SELECT highest INTO head FROM sequence_heads WHERE device_id = p_device FOR UPDATE;
  IF p_seq > head THEN
    UPDATE sequence_heads SET highest = p_seq WHERE device_id = p_device;
    IF p_seq = head + 1 THEN RETURN 'next'; END IF;
    INSERT INTO sequence_gaps (device_id, from_seq, to_seq, detected_at)
      VALUES (p_device, head + 1, p_seq - 1, clock_timestamp());
    RETURN 'gap-opened';
  END IF;
  SELECT * INTO gap FROM sequence_gaps WHERE device_id = p_device AND from_seq <= p_seq
    ORDER BY from_seq DESC LIMIT 1;
  IF NOT FOUND OR gap.to_seq < p_seq THEN RETURN 'seen'; END IF;
  IF gap.from_seq = p_seq AND gap.to_seq = p_seq THEN
    DELETE FROM sequence_gaps WHERE device_id = p_device AND from_seq = gap.from_seq;
  ELSIF gap.from_seq = p_seq THEN
    UPDATE sequence_gaps SET from_seq = p_seq + 1 WHERE device_id = p_device AND from_seq = gap.from_seq;
  ELSIF gap.to_seq = p_seq THEN
    UPDATE sequence_gaps SET to_seq = p_seq - 1 WHERE device_id = p_device AND from_seq = gap.from_seq;
  ELSE
    UPDATE sequence_gaps SET to_seq = p_seq - 1 WHERE device_id = p_device AND from_seq = gap.from_seq;
    INSERT INTO sequence_gaps (device_id, from_seq, to_seq, detected_at)
      VALUES (p_device, p_seq + 1, gap.to_seq, gap.detected_at);
  END IF;
  RETURN 'gap-filled';
END $$;

CREATE FUNCTION store_advance_sequence(p_device device_id, p_kind text, p_seq bigint,
  OUT previous bigint, OUT advanced boolean, OUT note text) LANGUAGE plpgsql AS $$
BEGIN
  note := store_note_sequence(p_device, p_seq);
  SELECT seq INTO previous FROM sequence_ledger WHERE device_id = p_device AND kind = p_kind FOR UPDATE;
  INSERT INTO sequence_ledger (device_id, kind, seq) VALUES (p_device, p_kind, p_seq)
    ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq
    WHERE excluded.kind = 'will' OR excluded.seq > sequence_ledger.seq;
  advanced := FOUND;
END $$;

CREATE FUNCTION store_advance_sequences(p_devices text[], p_kind text, p_seqs bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  entry record;
  s bigint;
  head bigint;
  stored bigint;
BEGIN
  -- Per device in DeviceID order (as every multi-device writer locks heads, so two such writers cannot deadlock),
  -- its numbers in increasing order. A run of consecutive numbers only moves the head; any other number is noted
  -- by store_note_sequence (the one implementation of the gap rules) with the head stored first.
  FOR entry IN
    SELECT d::device_id AS device, array_agg(DISTINCT t.s ORDER BY t.s) AS seqs
    FROM unnest(p_devices, p_seqs) AS t(d, s) GROUP BY d ORDER BY d
  LOOP
    INSERT INTO sequence_heads (device_id, highest) VALUES (entry.device, entry.seqs[1])
      ON CONFLICT (device_id) DO NOTHING;
    IF FOUND THEN
      head := entry.seqs[1];
    ELSE
      SELECT highest INTO head FROM sequence_heads WHERE device_id = entry.device FOR UPDATE;
    END IF;
    stored := head;
    FOREACH s IN ARRAY entry.seqs LOOP
      IF s = head + 1 THEN
        head := s;
      ELSIF s <> head THEN
        IF head > stored THEN
          UPDATE sequence_heads SET highest = head WHERE device_id = entry.device;
          stored := head;
        END IF;
        PERFORM store_note_sequence(entry.device, s);
        IF s > head THEN head := s; stored := s; END IF;
      END IF;
    END LOOP;
    IF head > stored THEN UPDATE sequence_heads SET highest = head WHERE device_id = entry.device; END IF;
    INSERT INTO sequence_ledger (device_id, kind, seq)
      VALUES (entry.device, p_kind, entry.seqs[array_upper(entry.seqs, 1)])
      ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq
      WHERE excluded.kind = 'will' OR excluded.seq > sequence_ledger.seq;
  END LOOP;
END $$;
`;
