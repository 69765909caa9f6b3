import { ZeroHash } from 'ethers';
import { z } from 'zod';

/** Twin state names in the contract's `TwinState` order: a name's index is its enum value. */
export const TWIN_STATE_NAMES = ['active', 'suspended', 'unknown', 'deactivated', 'lost'] as const;

/** Prices are uint96 wei on chain. */
const MAX_PRICE_WEI = (1n << 96n) - 1n;

/** A string of at most `max` UTF-8 bytes: the contract counts bytes, not characters. */
function text(max: number, description: string, min = 0) {
  return z
    .string()
    .min(min, 'must not be empty')
    .refine((value) => Buffer.byteLength(value, 'utf8') <= max, `must be at most ${max} bytes`)
    .describe(description);
}

/** A price in wei as a decimal string: above zero and within the contract's uint96. */
export const weiPriceSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,28}$/, 'must be an amount of wei above zero, as a decimal string')
  .refine(
    (value) => !/^[0-9]+$/.test(value) || BigInt(value) <= MAX_PRICE_WEI,
    'must fit in 96 bits (at most 79228162514.26 ether)',
  )
  .describe('Amount in wei, as a decimal string');

/** Arguments of the `list` action: `TwinRegistry.list(deviceId, price)`. */
export const listArgsSchema = z.strictObject({ price: weiPriceSchema });

/** Arguments of the `delist` action: `TwinRegistry.delist(deviceId)`. */
export const delistArgsSchema = z.strictObject({});

/** Arguments of the `buy` action: `TwinRegistry.buyWithBalance(deviceId, price)`, paid from the buyer's balance. */
export const buyArgsSchema = z.strictObject({
  price: weiPriceSchema.describe('The listed price in wei, as a decimal string: the purchase fails if it changed'),
});

/** Arguments of the `recordUpdate` action: `TwinRegistry.recordUpdate(deviceId, component, version, hash, cid)`. */
export const recordUpdateArgsSchema = z.strictObject({
  component: text(64, 'Updated software or library, 1 to 64 bytes', 1),
  version: text(64, 'Installed version, 1 to 64 bytes', 1),
  artifactHash: z
    .string()
    .regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x + 64 hex digits')
    .default(ZeroHash)
    .describe('keccak256 of the update artifact (default: zero)'),
  artifactCid: text(128, 'IPFS CID of the update artifact, at most 128 bytes').default(''),
});

/** Arguments of the `setState` action: `TwinRegistry.setState(deviceId, state, reason)` (security entity). */
export const setStateArgsSchema = z.strictObject({
  state: z.enum(TWIN_STATE_NAMES).describe('New state; a security entity may set active, suspended or unknown'),
  reason: text(256, 'Hash or CID of the evidence, at most 256 bytes'),
});

/** Arguments of the `reportLost` action: `TwinRegistry.reportLost(deviceId, reason)`. */
export const reportLostArgsSchema = z.strictObject({ reason: text(256, 'Why the device is lost, at most 256 bytes') });

/** Arguments of the `reportFound` action: `TwinRegistry.reportFound(deviceId, reason)` (owner or admin). */
export const reportFoundArgsSchema = z.strictObject({
  reason: text(256, 'Where or how the device was found, at most 256 bytes'),
});

/** Arguments of the `requestReview` action: `TwinRegistry.requestReview(deviceId, note)`. */
export const requestReviewArgsSchema = z.strictObject({
  note: text(256, 'What the owner remediated, at most 256 bytes'),
});

/** Arguments of the `deactivate` action: `TwinRegistry.deactivate(deviceId, reason)`. */
export const deactivateArgsSchema = z.strictObject({
  reason: text(256, 'Why the device reached its end of life, at most 256 bytes'),
});

/** Arguments of the `withdraw` action: `TwinRegistry.withdraw()`, the caller's whole balance. */
export const withdrawArgsSchema = z.strictObject({});

/** One relayable action: the TwinRegistry function it calls and how its arguments become that function's. */
export type RelayAction<schema extends z.ZodType = z.ZodType> = {
  /** The TwinRegistry function the signed request calls. */
  functionName: string;
  /** Whether the function's first parameter is the DeviceID (given apart from the arguments). */
  takesDevice: boolean;
  /** The action's arguments besides the DeviceID. */
  args: schema;
  /** The function's parameters after the DeviceID, from the parsed arguments. */
  toParameters: (args: z.output<schema>) => unknown[];
};

function action<schema extends z.ZodType>(definition: RelayAction<schema>): RelayAction<schema> {
  return definition;
}

/**
 * The chain writes the API relays, by action name. Nothing else is relayed: not `mint`, `setDeviceSigner`,
 * `approveDeviceSigner`, `dispute`, transfers or approvals, nor `buy` and `deposit`, which need the caller's ether.
 *
 * @example
 * const { functionName, args } = relayActions.setState // 'setState', setStateArgsSchema
 */
export const relayActions = {
  list: action({
    functionName: 'list',
    takesDevice: true,
    args: listArgsSchema,
    toParameters: ({ price }) => [BigInt(price)],
  }),
  delist: action({ functionName: 'delist', takesDevice: true, args: delistArgsSchema, toParameters: () => [] }),
  buy: action({
    functionName: 'buyWithBalance',
    takesDevice: true,
    args: buyArgsSchema,
    toParameters: ({ price }) => [BigInt(price)],
  }),
  recordUpdate: action({
    functionName: 'recordUpdate',
    takesDevice: true,
    args: recordUpdateArgsSchema,
    toParameters: (args) => [args.component, args.version, args.artifactHash, args.artifactCid],
  }),
  setState: action({
    functionName: 'setState',
    takesDevice: true,
    args: setStateArgsSchema,
    toParameters: ({ state, reason }) => [TWIN_STATE_NAMES.indexOf(state), reason],
  }),
  reportLost: action({
    functionName: 'reportLost',
    takesDevice: true,
    args: reportLostArgsSchema,
    toParameters: ({ reason }) => [reason],
  }),
  reportFound: action({
    functionName: 'reportFound',
    takesDevice: true,
    args: reportFoundArgsSchema,
    toParameters: ({ reason }) => [reason],
  }),
  requestReview: action({
    functionName: 'requestReview',
    takesDevice: true,
    args: requestReviewArgsSchema,
    toParameters: ({ note }) => [note],
  }),
  deactivate: action({
    functionName: 'deactivate',
    takesDevice: true,
    args: deactivateArgsSchema,
    toParameters: ({ reason }) => [reason],
  }),
  withdraw: action({ functionName: 'withdraw', takesDevice: false, args: withdrawArgsSchema, toParameters: () => [] }),
} as const;

/** The name of a relayable action. */
export type RelayActionName = keyof typeof relayActions;

/** Every relayable action name. */
export const RELAY_ACTION_NAMES = Object.keys(relayActions) as [RelayActionName, ...RelayActionName[]];

/** An action name, as the API takes it. */
export const relayActionNameSchema = z.enum(RELAY_ACTION_NAMES).describe('Relayable action');
