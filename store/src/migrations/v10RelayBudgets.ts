/**
 * Migration 10: the API's relayer budgets (issue 15: no instance-dependent data), shared by every API instance.
 *
 * - `relay_budget_windows`: what one entity (a relayed request's signer) spent in one fixed window of
 *   `window_seconds` (aligned to the epoch; `window_end` kept for the upkeep's prune), gas and requests, the open
 *   reservations included. A reservation adds to its row in one upsert whose `WHERE` re-reads the row it waited for,
 *   so instances reserving at once never take it past the limits (`reserveRelayBudget`). Instances configured with
 *   different windows count apart (the window's length is in the key).
 * - `relay_budget_reservations`: the reservations not yet settled or released, each bounded by `expires_at`. An
 *   expired one (its instance crashed, or its settle failed) stays counted at its reserved gas and request in its
 *   window (which ends on time) and can no longer be settled or released; the upkeep deletes it.
 */
export const V10_RELAY_BUDGETS = `
CREATE TABLE relay_budget_windows (
  entity         address NOT NULL,
  window_seconds integer NOT NULL CHECK (window_seconds > 0),
  window_start   timestamptz NOT NULL,
  window_end     timestamptz NOT NULL,
  gas            numeric(78,0) NOT NULL CHECK (gas >= 0),
  requests       integer NOT NULL CHECK (requests >= 0),
  PRIMARY KEY (entity, window_seconds, window_start)
);
CREATE INDEX relay_budget_windows_end ON relay_budget_windows (window_end);

CREATE TABLE relay_budget_reservations (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entity         address NOT NULL,
  window_seconds integer NOT NULL,
  window_start   timestamptz NOT NULL,
  gas            numeric(78,0) NOT NULL CHECK (gas >= 0),
  reserved_at    timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX relay_budget_reservations_expiry ON relay_budget_reservations (expires_at);
`;
