import { z } from 'zod';
import { getTwinState } from '../../../store/src';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { mergeDesired } from '../../../twin-core/src/messages/stateRules';
import {
  applyStateArgumentsSchema,
  desiredStateSchema,
  stateDelta,
  type DesiredState,
} from '../../../twin-core/src/messages/stateDocument';
import { capabilitiesSchema } from '../../../twin-core/src/messages/command';
import { assertCanReadTwin, internalsRefusedResponses, readerOf } from '../access/reader';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { deviceIdParams, errorSchema, hashSchema } from '../schemas/common';
import { requireTwin } from '../views/twinView';
import { commandRequestSchema, relayCommand } from './command';
import { writeDesiredState } from '../commands/indexWrites';

const stateDocumentSchema = z
  .object({
    deviceId: z.string(),
    desired: desiredStateSchema,
    reported: z.record(z.string(), z.unknown()).nullable().describe("From the device's latest signed status"),
    delta: desiredStateSchema.describe('What the device does not report yet; empty when they agree'),
    version: z.number().int().describe('Increases with every desired-state write (ETag; If-Match on writes)'),
    desiredTimes: z.record(z.string(), z.string()).describe('When each desired field last changed'),
    reportedTimes: z.record(z.string(), z.string()).describe('When each reported field last changed'),
    updatedAt: z.string().nullable(),
    commandId: hashSchema.optional().describe('The apply-state command a write sent to the device'),
    capabilities: capabilitiesSchema
      .nullable()
      .describe(
        'What the device declares in its latest signed online status (built-in commands, actuators); null before one',
      ),
  })
  .meta({ id: 'TwinStateDocument' });

const writeBodySchema = commandRequestSchema.meta({
  id: 'SignedStateWrite',
  description:
    'An owner-signed `apply-state` command (build it with `POST /twins/{deviceId}/commands/typed-data`): `args` is ' +
    '`{ desired, version }`, `version` the one the write makes (the current version + 1)',
});

/**
 * The twin's state document (issue 16): `desired` (the owner's, versioned), `reported` (the device's signed status)
 * and their `delta`. A write is an owner-signed `apply-state` command: conditional on `If-Match` (412 when another
 * write came first), checked against the device's capabilities (400 naming the field), recorded, and sent to the
 * device, which applies it and reports back; the delta empties when they agree.
 *
 * @example
 * mountRoutes(router, stateRoutes(context))
 */
export function stateRoutes(context: ApiContext) {
  const documentOf = async (deviceId: string, extra: { commandId?: Hex } = {}) => {
    const [state, capabilities] = await Promise.all([
      getTwinState(context.index, deviceId),
      context.devices.capabilities(deviceId),
    ]);
    return {
      deviceId,
      ...state,
      delta: stateDelta(state.desired, state.reported ?? undefined),
      capabilities: capabilities ?? null,
      ...extra,
    };
  };
  const write =
    (mode: 'replace' | 'merge') =>
    async ({
      params,
      body,
      req,
      res,
    }: {
      params: { deviceId: Hex };
      body: z.output<typeof writeBodySchema>;
      req: { headers: Record<string, unknown> };
      res: { setHeader(name: string, value: string): void };
    }) => {
      await requireTwin(context.index, params.deviceId);
      const ifMatch = String(req.headers['if-match'] ?? '')
        .replace(/^W\//, '')
        .replace(/"/g, '');
      if (!/^\d+$/.test(ifMatch))
        throw new ApiError('If-Match: the version the write is based on is required (the ETag of GET).', {
          status: 428,
          code: 'precondition-required',
          details: { field: 'If-Match' },
        });
      const current = await getTwinState(context.index, params.deviceId);
      if (Number(ifMatch) !== current.version)
        throw new ApiError(`If-Match: the document is at version ${current.version}, not ${ifMatch}.`, {
          status: 412,
          code: 'version-conflict',
          details: { field: 'If-Match', version: current.version },
        });
      if (body.command !== 'apply-state')
        throw new ApiError('command: a state write is an apply-state command.', {
          status: 400,
          code: 'invalid-input',
          details: { field: 'command' },
        });
      const args = applyStateArgumentsSchema.safeParse(body.args);
      if (!args.success)
        throw new ApiError(`args: ${args.error.issues[0]!.path.join('.')}: ${args.error.issues[0]!.message}`, {
          status: 400,
          code: 'invalid-input',
          details: { field: `args.${args.error.issues[0]!.path.join('.')}` },
        });
      if (args.data.version !== current.version + 1)
        throw new ApiError(`args.version: must be ${current.version + 1} (the version this write makes).`, {
          status: 412,
          code: 'version-conflict',
          details: { field: 'args.version', version: current.version },
        });
      const desired: DesiredState =
        mode === 'replace' ? args.data.desired : mergeDesired(current.desired, args.data.desired);
      const { commandId } = await relayCommand(
        context,
        { v: 1, kind: 'command', deviceId: params.deviceId, ...body },
        async (tx) => {
          if ((await writeDesiredState(tx, params.deviceId, desired, current.version, Date.now())) === undefined)
            throw new ApiError('If-Match: another write came first.', {
              status: 412,
              code: 'version-conflict',
              details: { field: 'If-Match' },
            });
        },
      );
      const document = await documentOf(params.deviceId, { commandId });
      res.setHeader('ETag', `"${document.version}"`);
      return document;
    };
  const writeResponses = {
    200: { description: 'Recorded and sent to the device', schema: stateDocumentSchema },
    400: { description: 'Invalid, or a field the device does not declare (named)', schema: errorSchema },
    403: { description: "Not signed by the twin's current owner", schema: errorSchema },
    404: { description: 'No such twin', schema: errorSchema },
    409: { description: 'The nonce was already used', schema: errorSchema },
    412: { description: 'If-Match is not the current version', schema: errorSchema },
    428: { description: 'No If-Match', schema: errorSchema },
  };
  return [
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/state',
      operationId: 'getTwinStateDocument',
      summary: "The twin's state document: desired, reported, delta and version",
      description:
        "Device internals (what the device reports, what its owner wants): the twin's owner, its manufacturer and " +
        'security entities only, signed in.',
      tag: 'twins',
      auth: 'bearer',
      params: deviceIdParams,
      responses: {
        200: { description: 'The document (ETag: its version)', schema: stateDocumentSchema },
        ...internalsRefusedResponses,
        404: { description: 'No such twin', schema: errorSchema },
      },
      handler: async ({ params, req, res }) => {
        assertCanReadTwin(await readerOf(req, context), await requireTwin(context.index, params.deviceId));
        const document = await documentOf(params.deviceId);
        res.setHeader('ETag', `"${document.version}"`);
        return document;
      },
    }),
    defineRoute({
      method: 'put',
      path: '/twins/:deviceId/state',
      operationId: 'putTwinStateDocument',
      summary: 'Replace the desired state (owner-signed, If-Match)',
      tag: 'twins',
      auth: 'eip712',
      params: deviceIdParams,
      body: writeBodySchema,
      responses: writeResponses,
      handler: write('replace') as never,
    }),
    defineRoute({
      method: 'patch',
      path: '/twins/:deviceId/state',
      operationId: 'patchTwinStateDocument',
      summary: 'Merge into the desired state (owner-signed, If-Match): the signed `desired` is the patch',
      tag: 'twins',
      auth: 'eip712',
      params: deviceIdParams,
      body: writeBodySchema,
      responses: writeResponses,
      handler: write('merge') as never,
    }),
  ];
}
