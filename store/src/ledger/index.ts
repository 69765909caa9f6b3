export * from './sequenceLedger';
export * from './sequenceGaps';
export * from './advanceSequenceLedgers';
export * from './gapUpkeep';
export * from './sequenceStatuses';
export * from './isIndexedMessage';
