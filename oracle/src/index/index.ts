/**
 * The oracle's index: an embedded SQLite database (node:sqlite) of twins mirrored from the chain, their update and
 * state history, snapshots with their Merkle proofs, batches, rejections, owner notifications and chain cursors.
 */
export * from './errors';
export * from './migrations';
export * from './openIndex';
export * from './values';
export * from './twins';
export * from './twinHistory';
export * from './snapshots';
export * from './batches';
export * from './rejections';
export * from './notifications';
export * from './cursor';
export * from './entities';
export * from './chainEvents';
export * from './peerBatches';
export * from './alerts';
export * from './commands';
export * from './twinStates';
