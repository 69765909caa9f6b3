export * from './types';
export * from './upsertTwin';
export * from './updateTwin';
export * from './deleteTwin';
export * from './getTwin';
export * from './twinsUpdatedSince';
export * from './twinLoader';
