export * from './types';
export * from './insertSnapshot';
export * from './insertSnapshots';
export * from './getSnapshot';
export * from './attachBatch';
