/**
 * Migration 7: the security service's replay ledger (issue 15: a replay is refused whichever instance receives it),
 * per security entity: the highest sequence number of each device and message kind the service accepted
 * (`security_sequences`). A message is accepted when its number moves the row up, in one statement
 * (`claimSecuritySequences`): across restarts and instances of one entity, each number is accepted once.
 * `previous_seq` is what the row held before its last move (null after its insert): the statement returns it, so a
 * batch's numbers between the old and the new highest are known to be new even when another instance moved the row
 * meanwhile (the update re-reads the row it waited for).
 */
export const V7_SECURITY_SEQUENCES = `
CREATE TABLE security_sequences (
  entity       address NOT NULL,
  device_id    device_id NOT NULL,
  kind         text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9-]{0,31}$'),
  seq          bigint NOT NULL CHECK (seq >= 0),
  previous_seq bigint,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (entity, device_id, kind)
);
`;
