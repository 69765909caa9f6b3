/**
 * Migration 3: the security service's state (issue 15 item 8), so that a restarted service resumes where it stopped
 * instead of re-learning every baseline. Kept per security entity (`entity`, its address), so that entities sharing
 * one database never see each other's state:
 *
 * - `security_device_states`: the analyzer's state of one device (`Analyzer.exportDevice`: baseline, detector slots,
 *   open alerts' evidence), bytes of its own versioned layout, at most 1 MiB;
 * - `security_handled`: what the service did about each open alert (alert, evidence CID, action, transaction), as
 *   JSON the service writes (numbers NaN-safe);
 * - `security_watched`: the twins the service suspended and watches for reactivation, with what suspended them
 *   (null when it does not know: a suspension of an earlier run found on chain).
 */
export const V3_SECURITY_STATE = `
CREATE TABLE security_device_states (
  entity     address NOT NULL,
  device_id  device_id NOT NULL,
  state      bytea NOT NULL CHECK (octet_length(state) BETWEEN 1 AND 1048576),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (entity, device_id)
);

CREATE TABLE security_handled (
  entity     address NOT NULL,
  alert_id   text NOT NULL,
  device_id  device_id NOT NULL,
  record     jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (entity, alert_id)
);

CREATE TABLE security_watched (
  entity     address NOT NULL,
  device_id  device_id NOT NULL,
  record     jsonb,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (entity, device_id)
);
`;
