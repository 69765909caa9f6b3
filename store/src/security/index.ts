export * from './types';
export * from './deviceStates';
export * from './handled';
export * from './sequences';
