/**
 * Migration 6: bounded sequence gaps. A device keeps at most `sequence_gap_policy.max_open_gaps` open gaps (default
 * 64, set from the store config by `maintainSequenceGaps`): after any statement that inserts gaps (opened or split),
 * a trigger gives up the lowest-numbered ones beyond it. `store_give_up_gaps` (the upkeep) gives up the gaps detected
 * before a time and caps every device. Given-up gaps are counted on the device's head row (`given_up_gaps`,
 * `given_up_missing`). Heads are locked before gaps, in DeviceID order, as every writer does.
 */
export const V6_GAP_BOUNDS = `
ALTER TABLE sequence_heads
  ADD COLUMN given_up_gaps bigint NOT NULL DEFAULT 0,
  ADD COLUMN given_up_missing bigint NOT NULL DEFAULT 0;
CREATE TABLE sequence_gap_policy (
  only_row      boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  max_open_gaps integer NOT NULL DEFAULT 64 CHECK (max_open_gaps >= 1)
);
INSERT INTO sequence_gap_policy DEFAULT VALUES;

-- Gives up the gaps of p_devices (their heads locked by the caller) detected before p_before (NULL: none) or beyond
-- the p_max highest of their device, counting them on the heads.
CREATE FUNCTION store_cap_gaps(p_devices device_id[], p_max integer, p_before timestamptz,
  OUT gaps bigint, OUT missing bigint) LANGUAGE sql AS $$
  WITH ranked AS (
    SELECT device_id, from_seq, detected_at,
           row_number() OVER (PARTITION BY device_id ORDER BY from_seq DESC) AS rank
    FROM sequence_gaps WHERE device_id = ANY(p_devices)
  ),
  gone AS (
    DELETE FROM sequence_gaps g USING ranked r
    WHERE g.device_id = r.device_id AND g.from_seq = r.from_seq AND (r.rank > p_max OR r.detected_at < p_before)
    RETURNING g.device_id, g.to_seq - g.from_seq + 1 AS missing
  ),
  counted AS (
    UPDATE sequence_heads h SET given_up_gaps = h.given_up_gaps + c.gaps,
                                given_up_missing = h.given_up_missing + c.missing
    FROM (SELECT device_id, count(*) AS gaps, sum(missing) AS missing FROM gone GROUP BY device_id) c
    WHERE h.device_id = c.device_id
  )
  SELECT count(*), coalesce(sum(missing), 0)::bigint FROM gone
$$;

CREATE FUNCTION store_cap_inserted_gaps() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  devices device_id[];
  cap integer;
BEGIN
  SELECT array_agg(DISTINCT device_id) INTO devices FROM inserted_gaps;
  IF devices IS NULL THEN RETURN NULL; END IF;
  SELECT max_open_gaps INTO cap FROM sequence_gap_policy;
  PERFORM 1 FROM sequence_gaps WHERE device_id = ANY(devices) GROUP BY device_id HAVING count(*) > cap;
  IF FOUND THEN PERFORM store_cap_gaps(devices, cap, NULL); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER sequence_gaps_cap AFTER INSERT ON sequence_gaps
  REFERENCING NEW TABLE AS inserted_gaps FOR EACH STATEMENT EXECUTE FUNCTION store_cap_inserted_gaps();

CREATE FUNCTION store_give_up_gaps(p_before timestamptz, p_max integer, OUT gaps bigint, OUT missing bigint)
LANGUAGE plpgsql AS $$
DECLARE
  devices device_id[];
BEGIN
  UPDATE sequence_gap_policy SET max_open_gaps = p_max;
  SELECT array_agg(device_id ORDER BY device_id) INTO devices FROM (
    SELECT h.device_id FROM sequence_heads h
    WHERE h.device_id IN (
      SELECT device_id FROM sequence_gaps GROUP BY device_id
      HAVING count(*) > p_max OR (p_before IS NOT NULL AND min(detected_at) < p_before))
    ORDER BY h.device_id FOR UPDATE) locked;
  gaps := 0; missing := 0;
  IF devices IS NOT NULL THEN
    SELECT c.gaps, c.missing INTO gaps, missing FROM store_cap_gaps(devices, p_max, p_before) c;
  END IF;
END $$;
`;
