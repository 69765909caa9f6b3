export * from './types';
export * from './insertSnapshot';
export * from './getSnapshot';
export * from './attachBatch';
