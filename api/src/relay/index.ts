// The relay: users' EIP-712-signed requests submitted to the TwinRegistry through the TwinForwarder.
export { createRelayer, type CreateRelayerParameters, type Relayer } from './createRelayer';
export type { RelayExpectation } from './relayRequest';
export * from './forwardRequest';
export * from './relayActions';
export { decodeRevert, type DecodedRevert } from './decodeRevert';
