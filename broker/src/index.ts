/**
 * The broker's trust boundary: the embedded broker's authentication and authorisation hooks backed by the chain, its
 * per-client limits, and the Mosquitto configuration made from the same ACL table.
 */
export * from './brokerDirectory';
export * from './brokerLimits';
export * from './brokerMetrics';
export * from './createBrokerAuthorizer';
export * from './mosquittoConf';
export * from './mosquittoConfig';
export * from './watchMosquittoConfig';
