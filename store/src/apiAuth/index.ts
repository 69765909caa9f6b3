// The API's sign-in state shared by every instance (issue 15): shared keys, used sign-in nonces.
export * from './sharedSecret';
export * from './consumeSignInNonce';
export * from './pruneSignInNonces';
