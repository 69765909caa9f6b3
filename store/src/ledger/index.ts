export * from './sequenceLedger';
export * from './sequenceGaps';
export * from './advanceSequenceLedgers';
export * from './gapUpkeep';
