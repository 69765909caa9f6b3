/**
 * Migration 4: security entities' acknowledgements of alerts (issue 16's alert inbox; the SQLite index's migration
 * 14): who acknowledged an alert first, and when, shared by every dashboard session instead of kept in one browser.
 * Keyed as `alerts` is (the raising entity, then the alert ID); the first acknowledgement is kept, so a row never
 * changes once written.
 */
export const V4_ALERT_ACKNOWLEDGEMENTS = `
CREATE TABLE alert_acknowledgements (
  by_entity       address NOT NULL,
  alert_id        text NOT NULL,
  acknowledged_by address NOT NULL,
  acknowledged_at timestamptz NOT NULL,
  PRIMARY KEY (by_entity, alert_id)
);
`;
