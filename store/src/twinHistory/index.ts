export * from './types';
export * from './twinUpdates';
export * from './stateChanges';
export * from './deleteTwinHistoryAfter';
