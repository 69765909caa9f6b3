export * from './sequenceLedger';
export * from './sequenceGaps';
