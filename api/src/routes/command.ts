import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { getCommand, listCommands, type IndexedCommand, type Transaction } from '../../../store/src';
import { fromHex, type Hex } from '../../../twin-core/src/encoding/hex';
import {
  commandArgumentIssues,
  COMMAND_STATUSES,
  MAX_COMMAND_TTL_SECONDS,
  signedCommandSchema,
  type SignedCommand,
} from '../../../twin-core/src/messages/command';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import { commandTypedData, hashCommand, recoverCommandSigner } from '../../../twin-core/src/signing/commandSignature';
import { assertCanReadTwin, internalsRefusedResponses, readerOf } from '../access/reader';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { deviceIdParams, deviceIdSchema, errorSchema, hashSchema } from '../schemas/common';
import { requireTwin } from '../views/twinView';
import { changeCommandStatus, recordCommand } from '../commands/indexWrites';

const shape = signedCommandSchema.shape;

/** A signed command as a client sends it: the DeviceID is the path's, `v` and `kind` are implied. */
export const commandRequestSchema = z
  .strictObject({
    command: shape.command,
    args: shape.args.default({}),
    nonce: shape.nonce,
    expiry: shape.expiry,
    sig: shape.sig,
  })
  .meta({
    id: 'SignedCommandRequest',
    description:
      "A command signed by the twin's owner: EIP-712 typed data `Command(bytes32 deviceId,string command,string " +
      'arguments,uint256 nonce,uint64 expiry)` in the domain `{ name: "TwinCommand", version: "1", chainId, ' +
      'verifyingContract: TwinRegistry }`, `arguments` being the RFC 8785 canonical JSON of `args` ' +
      '(`POST /twins/{deviceId}/commands/typed-data` builds it)',
  });

const draftSchema = z
  .strictObject({
    command: shape.command,
    args: shape.args.default({}),
    nonce: shape.nonce.optional(),
    expiry: shape.expiry.optional(),
  })
  .meta({ id: 'CommandDraft', description: 'A command to sign; nonce and expiry are chosen when omitted' });

const commandSchema = z
  .object({
    commandId: hashSchema.describe('The EIP-712 digest of the signed command'),
    deviceId: deviceIdSchema,
    command: z.string(),
    args: z.record(z.string(), z.unknown()),
    nonce: z.string(),
    expiry: z.number().int().describe('Unix time, seconds'),
    signer: z.string(),
    status: z.enum(COMMAND_STATUSES),
    result: z.record(z.string(), z.unknown()).nullable().describe("The device's result, once succeeded"),
    error: z.object({ code: z.string(), message: z.string() }).nullable().describe("The device's error, once failed"),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'TwinCommand' });

const typedDataSchema = z
  .object({
    typedData: z.object({
      domain: z.object({ name: z.string(), version: z.string(), chainId: z.string(), verifyingContract: z.string() }),
      types: z.record(z.string(), z.array(z.object({ name: z.string(), type: z.string() }))),
      primaryType: z.literal('Command'),
      message: z.record(z.string(), z.string()),
    }),
    command: z.object({
      command: z.string(),
      args: z.record(z.string(), z.unknown()),
      nonce: z.string(),
      expiry: z.number(),
    }),
    commandId: hashSchema,
  })
  .meta({ id: 'CommandTypedData' });

const view = (command: IndexedCommand) => {
  const { sig: _sig, updateSeq: _seq, ...rest } = command;
  return rest;
};

/**
 * Relays an owner-signed command as the device will judge it: the signer must be the twin's current owner, the
 * expiry within {@link MAX_COMMAND_TTL_SECONDS}, the arguments what the device declares, the nonce unused; records it
 * `pending` (announced on the feed) and publishes it (MQTT 5: response topic and correlation data). Throws the
 * ApiError to answer otherwise. `beforeRecord` runs once the signature is checked, in the transaction that records
 * the command (the state document's compare-and-set: both commit or neither).
 *
 * @example
 * const { commandId } = await relayCommand(context, { v: 1, kind: 'command', deviceId, ...body })
 */
export async function relayCommand(
  context: ApiContext,
  command: SignedCommand,
  beforeRecord?: (tx: Transaction) => Promise<void>,
): Promise<{ commandId: Hex; signer: Hex }> {
  const deviceId = command.deviceId as Hex;
  const domain = { chainId: context.deployment.chainId, registry: context.deployment.contracts.TwinRegistry };
  const twin = await requireTwin(context.index, deviceId);
  const signer = recoverCommandSigner(command, domain);
  if (signer === undefined)
    throw new ApiError('The signature is malformed.', {
      status: 400,
      code: 'invalid-signature',
      details: { field: 'sig' },
    });
  if (signer.toLowerCase() !== twin.owner.toLowerCase())
    throw new ApiError("The command is not signed by the twin's current owner.", {
      status: 403,
      code: 'not-twin-owner',
      details: { deviceId, owner: twin.owner, signer },
    });
  const now = Math.floor(Date.now() / 1000);
  if (command.expiry <= now || command.expiry > now + MAX_COMMAND_TTL_SECONDS)
    throw new ApiError(`expiry: must be after now (${now}) and at most ${MAX_COMMAND_TTL_SECONDS} s ahead.`, {
      status: 400,
      code: 'invalid-expiry',
      details: { field: 'expiry', expiry: command.expiry, now },
    });
  await checkArguments(context, deviceId, command.command, command.args);
  const commandId = hashCommand(command, domain);
  // The command ID and the nonce are unique per device in the index: a replay inserts nothing (any instance's).
  const stored = await recordCommand(
    context.index,
    {
      commandId,
      deviceId,
      command: command.command,
      args: command.args as Record<string, unknown>,
      nonce: command.nonce,
      expiry: command.expiry,
      signer,
      sig: command.sig,
      createdAt: Date.now(),
    },
    beforeRecord,
  );
  if (!stored)
    throw new ApiError('nonce: already used for this device.', {
      status: 409,
      code: 'command-replayed',
      details: { field: 'nonce', nonce: command.nonce },
    });
  try {
    await context.publish(deviceTopic(deviceId, 'command'), JSON.stringify(command), {
      responseTopic: deviceTopic(deviceId, 'reply'),
      correlationData: Buffer.from(fromHex(commandId)),
    });
  } catch (error) {
    await changeCommandStatus(context.index, {
      deviceId,
      commandId,
      status: 'failed',
      error: { code: 'broker-unavailable', message: (error as Error).message },
      at: Date.now(),
    }).catch((failure: unknown) =>
      context.log('warn', 'command failure not recorded', { commandId, error: (failure as Error).message }),
    );
    throw new ApiError('The broker did not take the command.', {
      status: 503,
      code: 'broker-unavailable',
      details: { reason: (error as Error).message, commandId },
      cause: error,
    });
  }
  context.log('info', 'command published', { deviceId, command: command.command, commandId, by: signer });
  return { commandId, signer };
}

/** Throws a 400 naming each field the device cannot take. */
async function checkArguments(context: ApiContext, deviceId: string, command: string, args: unknown): Promise<void> {
  const issues = commandArgumentIssues(command, args, await context.devices.capabilities(deviceId));
  if (issues.length > 0)
    throw new ApiError(`The device cannot take this command: ${issues[0]}`, {
      status: 400,
      code: 'unsupported-command',
      details: { issues },
    });
}

/**
 * The command routes (seed 000's device control, issue 16's commands with results): build the typed data of a
 * command, relay an owner-signed command to the device (checked here as the device checks it: the owner's
 * signature, expiry, an unused nonce, what the device declares it supports), and read each command's status as the
 * device answers it.
 *
 * @example
 * mountRoutes(router, commandRoutes(context))
 */
export function commandRoutes(context: ApiContext) {
  const domain = () => ({ chainId: context.deployment.chainId, registry: context.deployment.contracts.TwinRegistry });
  return [
    defineRoute({
      method: 'post',
      path: '/twins/:deviceId/commands/typed-data',
      operationId: 'commandTypedData',
      summary: 'The EIP-712 typed data of a command, to sign with a wallet',
      description:
        'Fills in a random nonce and an expiry 5 minutes ahead when omitted, checks the command against the ' +
        "device's capabilities, and answers the typed data for `eth_signTypedData_v4` (numbers as decimal text) " +
        'and the command to send with the signature to `POST /twins/{deviceId}/commands`.',
      tag: 'twins',
      params: deviceIdParams,
      body: draftSchema,
      responses: {
        200: { description: 'The typed data', schema: typedDataSchema },
        400: { description: 'Invalid command, or one the device does not declare', schema: errorSchema },
        404: { description: 'No such twin', schema: errorSchema },
      },
      handler: async ({ params, body }) => {
        await requireTwin(context.index, params.deviceId);
        await checkArguments(context, params.deviceId, body.command, body.args);
        const command = {
          v: 1 as const,
          kind: 'command' as const,
          deviceId: params.deviceId,
          command: body.command,
          args: body.args,
          nonce: body.nonce ?? BigInt(`0x${randomBytes(8).toString('hex')}`).toString(),
          expiry: body.expiry ?? Math.floor(Date.now() / 1000) + 300,
        };
        const typed = commandTypedData(command, domain());
        return {
          typedData: {
            domain: { ...typed.domain, chainId: typed.domain.chainId.toString() },
            types: typed.types,
            primaryType: typed.primaryType,
            message: {
              ...typed.message,
              nonce: typed.message.nonce.toString(),
              expiry: typed.message.expiry.toString(),
            },
          },
          command: { command: command.command, args: command.args, nonce: command.nonce, expiry: command.expiry },
          commandId: hashCommand(command, domain()),
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/twins/:deviceId/commands',
      operationId: 'sendCommand',
      summary: "Relay an owner-signed command to the device's command topic",
      description:
        "The signature is the authority: it must recover to the twin's current owner. The API also checks that the " +
        `command expires within ${MAX_COMMAND_TTL_SECONDS} s, that its nonce is unused for the device, and that the ` +
        'device declares the command (its capabilities), records it as `pending` and publishes it (QoS 1; with MQTT ' +
        '5, a response topic and correlation data). The device acknowledges (`delivered`) and answers ' +
        '(`succeeded` or `failed`) on `twins/{deviceId}/reply`; past its expiry an unanswered command is `expired`. ' +
        'Follow it with `GET /twins/{deviceId}/commands/{commandId}` or the `command` event of `GET /events`.',
      tag: 'twins',
      auth: 'eip712',
      params: deviceIdParams,
      body: commandRequestSchema,
      status: 202,
      responses: {
        202: { description: 'Recorded and published', schema: commandSchema },
        400: { description: 'Invalid, expired or unsupported command, or a malformed signature', schema: errorSchema },
        403: { description: "Not signed by the twin's current owner", schema: errorSchema },
        404: { description: 'No such twin', schema: errorSchema },
        409: { description: 'The nonce was already used for this device', schema: errorSchema },
        503: { description: 'The broker is unreachable', schema: errorSchema },
      },
      handler: async ({ params, body }) => {
        const { commandId } = await relayCommand(context, {
          v: 1,
          kind: 'command',
          deviceId: params.deviceId,
          ...body,
        });
        return view((await getCommand(context.index, params.deviceId, commandId))!);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/commands',
      operationId: 'listCommands',
      summary: "The twin's recent commands, newest first, with their status",
      description:
        "The API keeps the newest 200 commands of each twin. Device internals (arguments, the device's results and " +
        "errors): the twin's owner, its manufacturer and security entities only, signed in.",
      tag: 'twins',
      auth: 'bearer',
      params: deviceIdParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).optional() }),
      responses: {
        200: { description: 'The commands', schema: z.object({ items: z.array(commandSchema) }) },
        ...internalsRefusedResponses,
        404: { description: 'No such twin', schema: errorSchema },
      },
      handler: async ({ params, query, req }) => {
        assertCanReadTwin(await readerOf(req, context), await requireTwin(context.index, params.deviceId));
        return { items: (await listCommands(context.index, params.deviceId, query.limit)).map(view) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/commands/:commandId',
      operationId: 'getCommand',
      summary: 'One command and its status',
      description: "Device internals: the twin's owner, its manufacturer and security entities only, signed in.",
      tag: 'twins',
      auth: 'bearer',
      params: z.object({ deviceId: deviceIdSchema, commandId: hashSchema }),
      responses: {
        200: { description: 'The command', schema: commandSchema },
        ...internalsRefusedResponses,
        404: { description: 'No such twin or command', schema: errorSchema },
      },
      handler: async ({ params, req }) => {
        assertCanReadTwin(await readerOf(req, context), await requireTwin(context.index, params.deviceId));
        const command = await getCommand(context.index, params.deviceId, params.commandId as Hex);
        if (command === undefined)
          throw new ApiError('Command not found.', {
            status: 404,
            code: 'command-not-found',
            details: { deviceId: params.deviceId, commandId: params.commandId },
          });
        return view(command);
      },
    }),
  ];
}
