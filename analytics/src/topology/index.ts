/**
 * The network model (seed 002's basic topology model, issue 17 item 4): observations of each snapshot's network
 * (interfaces, routes, ARP, flows), the fleet graph built from them, the part around one node, the what-if of
 * isolating twins, and the views a viewer may see.
 */
export * from './address';
export * from './types';
export * from './errors';
export * from './observeSnapshot';
export * from './buildTopology';
export * from './topologyAround';
export * from './whatIf';
export * from './redactTopology';
export * from './flowsFromRecords';
