export type { IndexedTwinState } from './types';
export * from './getTwinState';
export * from './setDesiredState';
export * from './setReportedState';
