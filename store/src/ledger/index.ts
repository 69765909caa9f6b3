export * from './sequenceLedger';
