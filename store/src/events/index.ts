export * from './types';
export * from './recordEvent';
export * from './readEvents';
export * from './pruneEvents';
export * from './recordEvents';
