import type { SnapshotDetector } from './types';

/**
 * Unexpected process: a snapshot's process table shows a process name (digit runs collapsed) the device never ran
 * during its warm-up (nor long enough since to be learned). Evidence: the names.
 *
 * @example
 * unexpectedProcess.names(snapshotNames(body)) // ['systemd', …, 'sysupdate']
 */
export const unexpectedProcess: SnapshotDetector = {
  name: 'unexpected-process',
  rule: 'a process name (digits collapsed) absent from the learned set',
  set: 'processes',
  names: (names) => names.processes,
};
