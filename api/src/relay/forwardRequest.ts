import { isAddress } from 'ethers';
import { z } from 'zod';
import { relayActionNameSchema } from './relayActions';

/** EIP-712 types of OpenZeppelin's ERC2771Forwarder request, without `EIP712Domain` (signers add it). */
export const FORWARD_REQUEST_TYPES: Record<'ForwardRequest', { name: string; type: string }[]> = {
  ForwardRequest: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'gas', type: 'uint256' },
    { name: 'nonce', type: 'uint256' },
    { name: 'deadline', type: 'uint48' },
    { name: 'data', type: 'bytes' },
  ],
};

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address')
  .refine(isAddress, 'has a wrong EIP-55 checksum');

function uint(bits: number) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, 'must be a non-negative integer as a decimal string')
    .refine((value) => !/^[0-9]+$/.test(value) || BigInt(value) < 1n << BigInt(bits), `must fit in ${bits} bits`);
}

/** A DeviceID: 0x + 64 hex digits, or a decimal uint256. */
export const deviceIdSchema = z
  .string()
  .regex(/^(0x[0-9a-fA-F]{64}|[0-9]{1,78})$/, 'must be a DeviceID: 0x + 64 hex digits or a decimal uint256')
  .describe('DeviceID');

/** The EIP-712 `ForwardRequest` message a user signs, integers as decimal strings. */
export const forwardRequestSchema = z.strictObject({
  from: address.describe('The signer, for whom the registry acts'),
  to: address.describe('The TwinRegistry'),
  value: uint(256).describe('Wei sent with the call: always 0'),
  gas: uint(256).describe('Gas for the relayed call'),
  nonce: uint(256).describe("The signer's current forwarder nonce"),
  deadline: uint(48).describe('Unix time after which the request is void'),
  data: z
    .string()
    .regex(/^0x([0-9a-fA-F]{2})*$/, 'must be 0x-prefixed hex bytes')
    .describe('The TwinRegistry calldata'),
});

/** A signed `ForwardRequest` message. */
export type ForwardRequestMessage = z.output<typeof forwardRequestSchema>;

/** The body of a relay: the signed message and its EIP-712 signature. */
export const relayBodySchema = z.strictObject({
  request: forwardRequestSchema,
  signature: z
    .string()
    .regex(/^0x[0-9a-fA-F]{130}$/, 'must be a 65-byte signature, 0x + 130 hex digits')
    .describe("The signer's EIP-712 signature of the request"),
});

/** Parameters of `relay`: a signed request. */
export type RelayBody = z.output<typeof relayBodySchema>;

/** The body of a prepare: which action, for whom, with which arguments. */
export const prepareBodySchema = z.strictObject({
  from: address.describe('The user who will sign the request'),
  action: relayActionNameSchema,
  deviceId: deviceIdSchema.optional(),
  args: z.record(z.string(), z.unknown()).default({}).describe("The action's arguments (see its schema)"),
  deadlineSeconds: z.number().int().min(1).max(86_400).default(600).describe('Validity of the request, in seconds'),
});

/** Parameters of `prepare`. */
export type PrepareBody = z.input<typeof prepareBodySchema>;

/** What a user signs: `signer.signTypedData(domain, types, message)`. */
export const typedForwardRequestSchema = z.strictObject({
  domain: z.strictObject({
    name: z.string(),
    version: z.string(),
    chainId: z.number().int(),
    verifyingContract: address,
  }),
  types: z.strictObject({
    ForwardRequest: z.array(z.strictObject({ name: z.string(), type: z.string() })),
  }),
  primaryType: z.literal('ForwardRequest'),
  message: forwardRequestSchema,
});

/** The result of `prepare`: EIP-712 typed data ready to sign. */
export type TypedForwardRequest = z.output<typeof typedForwardRequestSchema>;

/** The result of `relay`: where the request landed. */
export const relayResultSchema = z.strictObject({
  txHash: z.string().describe('The relayer transaction'),
  blockNumber: z.number().int(),
  action: relayActionNameSchema,
  deviceId: z.string().optional().describe('The DeviceID the action acted on, 0x + 64 hex digits'),
  from: address.describe('The signer, for whom the registry acted'),
});

/** The result of `relay`. */
export type RelayResult = z.output<typeof relayResultSchema>;
