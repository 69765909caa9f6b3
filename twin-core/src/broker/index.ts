/** Broker trust: principals, their signed tokens, bound client IDs and the one ACL table. */
export * from './principal';
export * from './brokerToken';
export * from './brokerCredentials';
export * from './brokerAcl';
export * from './brokerClientId';
