/**
 * @twin-registry/core: what every component of the twin registry shares. The device agent imports only modules
 * with pure-JavaScript dependencies (everything here but `merkle/snapshotTree`).
 */
export * from './errors/BaseError';
export * from './errors/parseOrThrow';
export * from './auth/signInToApi';
export * from './runtime/assertNodeVersion';
export * from './config/errors';
export * from './config/loadConfig';
export * from './config/chainConfig';
export * from './encoding/hex';
export * from './encoding/abiEncode';
export * from './encoding/canonicalJson';
export * from './encoding/rawCid';
export * from './identity/schema';
export * from './identity/deviceId';
export * from './static/schema';
export * from './static/staticDocument';
export * from './merkle/snapshotLeaf';
export * from './deployment/deployment';
export * from './messages/probe';
export * from './messages/behaviour';
export * from './messages/telemetry';
export * from './messages/snapshot';
export * from './messages/traffic';
export * from './messages/deviceActivity';
export * from './messages/envelope';
export * from './messages/command';
export * from './messages/commandRules';
export * from './messages/stateDocument';
export * from './messages/stateRules';
export * from './messages/alert';
export * from './messages/notification';
export * from './messages/oracleMessage';
export * from './messages/oracleRules';
export * from './messages/topics';
export * from './signing/deviceKey';
export * from './signing/messageSignature';
export * from './crypto/cryptoBackend';
export * from './signing/mintAttestation';
export * from './signing/eip712';
export * from './signing/commandSignature';
export * from './static/mintFields';
export * from './broker/index';
