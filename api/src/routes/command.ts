import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { getEntity } from '../../../oracle/src/index/entities';
import { commandSchema } from '../../../twin-core/src/messages/command';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { deviceIdParams, errorSchema } from '../schemas/common';
import { requireTwin } from '../views/twinView';
import { sessionOf } from './auth';

/** A command as a client sends it: the device command, with the request ID optional (one is made). */
const commandRequestSchema = z
  .union(
    commandSchema.options.map((option) =>
      option.extend({
        requestId: z
          .string()
          .regex(/^[A-Za-z0-9_.:-]{1,64}$/)
          .optional(),
      }),
    ) as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]],
  )
  .meta({ id: 'CommandRequest', description: 'collect-snapshot, publish-static, set-intervals or ping' });

const commandAcceptedSchema = z
  .object({
    requestId: z.string(),
    deviceId: z.string(),
    topic: z.string(),
    command: z.record(z.string(), z.unknown()),
    issuedBy: z.object({ address: z.string(), role: z.string() }),
  })
  .meta({ id: 'CommandAccepted' });

/**
 * `POST /twins/:deviceId/command` (seed 000's device control): publishes a command to the device's command topic.
 * Only the twin's current owner, or a security entity, signed in and still approved, may command it.
 *
 * @example
 * mountRoutes(router, commandRoutes(context))
 */
export function commandRoutes(context: ApiContext) {
  return [
    defineRoute({
      method: 'post',
      path: '/twins/:deviceId/command',
      operationId: 'commandTwin',
      summary: "Publish a command to the device's command topic",
      description:
        "For the twin's current owner or a security entity, signed in (`POST /auth/sign-in`). Accepted (202) once " +
        'the broker has it (QoS 1); the device answers on its status or snapshot topic.',
      tag: 'twins',
      auth: 'bearer',
      params: deviceIdParams,
      body: commandRequestSchema,
      status: 202,
      responses: {
        202: { description: 'Published', schema: commandAcceptedSchema },
        400: { description: 'Invalid command', schema: errorSchema },
        401: { description: 'Not signed in, or the token is bad or expired', schema: errorSchema },
        403: { description: 'Neither the owner nor a security entity', schema: errorSchema },
        404: { description: 'No such twin', schema: errorSchema },
        503: { description: 'The broker is unreachable', schema: errorSchema },
      },
      handler: async ({ params, body, req }) => {
        const session = await sessionOf(req, context.auth);
        const twin = requireTwin(context.index, params.deviceId);
        // The token says who signed in; the index says what they are now (a revoked entity loses its commands).
        const entity = getEntity(context.index, session.address);
        if (entity === undefined || entity.status !== 'approved') {
          throw new ApiError('Your entity is no longer approved.', {
            status: 403,
            code: 'entity-not-approved',
            details: { address: session.address, status: entity?.status ?? null },
          });
        }
        const isOwner = twin.owner.toLowerCase() === session.address.toLowerCase();
        if (!isOwner && entity.role !== 'security') {
          throw new ApiError("Only the twin's owner or a security entity may command it.", {
            status: 403,
            code: 'not-twin-owner',
            details: { deviceId: params.deviceId, owner: twin.owner, caller: session.address, role: entity.role },
          });
        }
        const command = commandSchema.parse({
          ...(body as object),
          requestId: (body as { requestId?: string }).requestId ?? randomUUID(),
        });
        const topic = deviceTopic(params.deviceId, 'command');
        try {
          await context.publish(topic, JSON.stringify(command));
        } catch (error) {
          throw new ApiError('The broker did not take the command.', {
            status: 503,
            code: 'broker-unavailable',
            details: { reason: (error as Error).message },
            cause: error,
          });
        }
        context.log('info', 'command published', {
          deviceId: params.deviceId,
          command: command.command,
          by: session.address,
        });
        return {
          requestId: command.requestId,
          deviceId: params.deviceId,
          topic,
          command,
          issuedBy: { address: session.address, role: entity.role },
        };
      },
    }),
  ];
}
