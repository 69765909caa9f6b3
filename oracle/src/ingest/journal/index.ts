/** The oracle's write-ahead journal of received messages (format and limits: the oracle README). */
export {
  DEFAULT_JOURNAL_MAX_BYTES,
  DEFAULT_SEGMENT_BYTES,
  Journal,
  type JournalLog,
  type JournalParameters,
  type JournalStats,
} from './journal';
export { JournalError, JournalFullError } from './errors';
export type { JournalEntry } from './records';
