export * from './cursor';
export * from './lockCursor';
export * from './tryLeadChainMirror';
