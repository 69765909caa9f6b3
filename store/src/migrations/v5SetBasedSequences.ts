/**
 * Migration 5: `store_advance_sequences` set-based. Migration 2's version looped over the batch's devices in
 * PL/pgSQL (per device: head insert or lock, head update, ledger upsert, and `store_note_sequence` for every number
 * that was not the next one), about 4 statements a device; this one takes three statements for the whole batch,
 * with the same results (the gap rules of `store_note_sequence`, test/store/sequenceBatch.test.ts compares them):
 *
 * 1. every device's head row is inserted (a new device: its lowest number of the batch, its `first`) or locked
 *    (`ON CONFLICT DO UPDATE … WHERE false` locks the row without changing it), in DeviceID order in one statement,
 *    as migration 2 locked them one by one: two multi-device writers cannot deadlock;
 * 2. with the rows locked, a new statement (so a new snapshot under READ COMMITTED, seeing what a writer we waited
 *    for committed) reads each head `h` and, per device: the numbers above `h`, in increasing order, open a gap
 *    between each one and the one before (`h` for the first) when they are not consecutive; the numbers below `h`
 *    that fall in an open gap cut it into what is left of it (each piece keeping the gap's detection time, as a
 *    split does); the head moves to the highest number;
 * 3. each device's ledger row of the kind is upserted with its highest number of the batch (never lowered, the
 *    will excepted), in DeviceID order.
 *
 * The numbers at or below the head in no gap, and duplicates, change nothing (`seen`).
 */
export const V5_SET_BASED_SEQUENCES = `
CREATE OR REPLACE FUNCTION store_advance_sequences(p_devices text[], p_kind text, p_seqs bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  detected timestamptz := clock_timestamp();
BEGIN
  INSERT INTO sequence_heads (device_id, highest)
    SELECT d::device_id, min(s) FROM unnest(p_devices, p_seqs) AS t(d, s) GROUP BY d ORDER BY d
    ON CONFLICT (device_id) DO UPDATE SET highest = excluded.highest WHERE false;

  WITH input AS (
    SELECT DISTINCT t.d::device_id AS device_id, t.s AS seq FROM unnest(p_devices, p_seqs) AS t(d, s)
  ),
  numbered AS (
    SELECT i.device_id, i.seq, h.highest,
           lag(i.seq) OVER (PARTITION BY i.device_id ORDER BY i.seq) AS prev
    FROM input i JOIN sequence_heads h ON h.device_id = i.device_id
  ),
  above AS (
    SELECT device_id, seq, greatest(prev, highest) AS after
    FROM numbered WHERE seq > highest
  ),
  opened AS (
    INSERT INTO sequence_gaps (device_id, from_seq, to_seq, detected_at)
      SELECT device_id, after + 1, seq - 1, detected FROM above WHERE seq > after + 1 ORDER BY device_id, seq
  ),
  moved AS (
    UPDATE sequence_heads h SET highest = m.top
      FROM (SELECT device_id, max(seq) AS top FROM above GROUP BY device_id) m
      WHERE h.device_id = m.device_id
  ),
  fills AS (
    SELECT g.device_id, g.from_seq, g.to_seq, g.detected_at, n.seq
    FROM numbered n JOIN sequence_gaps g
      ON g.device_id = n.device_id AND g.from_seq <= n.seq AND g.to_seq >= n.seq
    WHERE n.seq < n.highest
  ),
  removed AS (
    DELETE FROM sequence_gaps g USING (SELECT DISTINCT device_id, from_seq FROM fills) f
      WHERE g.device_id = f.device_id AND g.from_seq = f.from_seq
      RETURNING g.device_id, g.from_seq
  ),
  pieces AS (
    SELECT f.device_id, f.from_seq AS gap_from,
           coalesce(lag(f.seq) OVER (PARTITION BY f.device_id, f.from_seq ORDER BY f.seq) + 1, f.from_seq) AS from_seq,
           f.seq - 1 AS to_seq, f.detected_at
    FROM fills f
    UNION ALL
    SELECT f.device_id, f.from_seq, max(f.seq) + 1, f.to_seq, f.detected_at
    FROM fills f GROUP BY f.device_id, f.from_seq, f.to_seq, f.detected_at
  )
  -- Each piece joined to its gap's deleted row, so inserted after it: a piece may start where the gap did.
  INSERT INTO sequence_gaps (device_id, from_seq, to_seq, detected_at)
    SELECT p.device_id, p.from_seq, p.to_seq, p.detected_at
    FROM pieces p JOIN removed r ON r.device_id = p.device_id AND r.from_seq = p.gap_from
    WHERE p.from_seq <= p.to_seq
    ORDER BY p.device_id, p.from_seq;

  INSERT INTO sequence_ledger (device_id, kind, seq)
    SELECT d::device_id, p_kind, max(s) FROM unnest(p_devices, p_seqs) AS t(d, s) GROUP BY d ORDER BY d
    ON CONFLICT (device_id, kind) DO UPDATE SET seq = excluded.seq
    WHERE excluded.kind = 'will' OR excluded.seq > sequence_ledger.seq;
END $$;
`;
