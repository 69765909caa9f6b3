import { z } from 'zod';
import { getEntity } from '../../../oracle/src/index/entities';
import { notificationsFor } from '../../../oracle/src/index/notifications';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { addressParams, errorSchema } from '../schemas/common';
import { entitySchema, notificationSchema } from '../schemas/twins';

const badInput = { description: 'Invalid input; the message names each bad field', schema: errorSchema };

/**
 * The entity routes: one registered entity, and an owner's notifications.
 *
 * @example
 * mountRoutes(router, entityRoutes(context))
 */
export function entityRoutes(context: ApiContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/entities/:address',
      operationId: 'getEntity',
      summary: 'A registered entity: role, status, name and profile',
      tag: 'entities',
      params: addressParams,
      responses: {
        200: { description: 'The entity', schema: entitySchema },
        400: badInput,
        404: { description: 'No entity registered at this address', schema: errorSchema },
      },
      handler: ({ params }) => {
        const entity = getEntity(context.index, params.address);
        if (entity === undefined) {
          throw new ApiError('Entity not found.', {
            status: 404,
            code: 'entity-not-found',
            details: { address: params.address },
          });
        }
        return entity;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/owners/:address/notifications',
      operationId: 'listNotifications',
      summary: "An owner's notifications, newest first",
      description:
        'One per chain event about a twin the address owned when it happened (state changes, review requests). ' +
        'Page back with `before` = the smallest id seen. Also published on `twins/{deviceId}/notifications`.',
      tag: 'entities',
      params: addressParams,
      query: z.object({
        limit: z.coerce.number().int().min(1).max(500).default(50),
        before: z.coerce.number().int().min(1).optional().meta({ description: 'Only notifications with a smaller id' }),
      }),
      responses: {
        200: {
          description: 'The notifications',
          schema: z.object({ items: z.array(notificationSchema) }).meta({ id: 'NotificationPage' }),
        },
        400: badInput,
      },
      handler: ({ params, query }) => ({
        items: notificationsFor(context.index, params.address, {
          limit: query.limit,
          newestFirst: true,
          ...(query.before === undefined ? {} : { beforeId: query.before }),
        }),
      }),
    }),
  ];
}
