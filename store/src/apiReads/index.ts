export * from './blobKindOf';
export * from './fleetCounts';
export * from './twinViewRows';
export * from './feedRows';
export * from './latestOfMany';
