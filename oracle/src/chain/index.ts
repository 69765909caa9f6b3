/**
 * The chain mirror: follows the registry's events, confirmed blocks only, into the oracle's index, surviving
 * restarts and reorganisations.
 */
export * from './errors';
export * from './abi';
export * from './events';
export * from './applyEvents';
export * from './reorg';
export * from './createChainMirror';
export * from './createChainProvider';
