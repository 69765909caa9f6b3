import type { SnapshotDetector } from './types';

/**
 * New listening port: a snapshot lists a listening socket (`protocol/port`) the device never listened on during
 * its warm-up (nor long enough since to be learned). Evidence: the new sockets. A discrete, exact observation, so
 * one snapshot suffices.
 *
 * @example
 * newListeningPort.names(snapshotNames(body)) // ['tcp/22', 'tcp6/22', …, 'tcp/41822']
 */
export const newListeningPort: SnapshotDetector = {
  name: 'new-listening-port',
  rule: 'a listening protocol/port absent from the learned set',
  set: 'ports',
  names: (names) => names.ports,
};
