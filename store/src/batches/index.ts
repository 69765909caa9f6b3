export * from './types';
export * from './createBatch';
export * from './getBatch';
export * from './claimUnbatchedSnapshots';
export * from './markBatch';
export * from './recordBatchTree';
export * from './confirmBatchOnce';
export * from './restoreAnchoredBatch';
