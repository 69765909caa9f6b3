export * from './types';
export * from './recordChainEvent';
export * from './readChainEvents';
export * from './deleteChainEventsAfter';
export * from './chainEventTotals';
