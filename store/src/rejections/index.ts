export * from './recordRejection';
export * from './readRejections';
