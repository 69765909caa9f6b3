export * from './types';
export * from './upsertEntity';
export * from './getEntity';
