/**
 * Migration 9: the chain event log by event name, in chain order (`chainEventsNamed`: the rebuild pages through every
 * `BatchAnchored` this way), so each page reads its rows from the index instead of scanning the log from its start.
 */
export const V9_CHAIN_EVENT_NAMES = `
CREATE INDEX chain_events_name ON chain_events (name, block, log_index);
`;
