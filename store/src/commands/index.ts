export * from './types';
export * from './insertCommand';
export * from './updateCommandStatus';
export * from './readCommands';
export * from './expireDueCommands';
