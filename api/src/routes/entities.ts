import { z } from 'zod';
import { getEntity, getTwins, notificationsFor } from '../../../store/src';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { addressParams, errorSchema } from '../schemas/common';
import { entitySchema, notificationSchema } from '../schemas/twins';
import { canReadTwin, readerOf } from '../access/reader';

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
      handler: async ({ params }) => {
        const entity = await getEntity(context.index, params.address);
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
        'Page back with `before` = the smallest id seen. Private: the owner itself and security entities read ' +
        'them all, a manufacturer those about twins it made (a page may then hold fewer than `limit`); signed in.',
      tag: 'entities',
      auth: 'bearer',
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
        401: { description: 'Not signed in (notifications are private)', schema: errorSchema },
        403: { description: 'Neither this owner, a security entity nor a manufacturer', schema: errorSchema },
      },
      handler: async ({ params, query, req }) => {
        const reader = await readerOf(req, context);
        const items = await notificationsFor(context.index, params.address, {
          limit: query.limit,
          newestFirst: true,
          ...(query.before === undefined ? {} : { beforeId: query.before }),
        });
        const entity = reader.entity;
        const self = entity !== undefined && entity.account.toLowerCase() === params.address.toLowerCase();
        if (reader.open || self || entity?.role === 'security') return { items };
        if (entity?.role === 'manufacturer') {
          const twins = await getTwins(
            context.index,
            items.map((item) => item.deviceId),
          );
          return {
            items: items.filter((item) => {
              const twin = twins.get(item.deviceId.toLowerCase() as `0x${string}`);
              return twin !== undefined && canReadTwin(reader, twin);
            }),
          };
        }
        throw reader.session === undefined
          ? new ApiError('Notifications are private: sign in as this owner (or a security entity).', {
              status: 401,
              code: 'sign-in-required',
              details: { owner: params.address },
            })
          : new ApiError("Only the owner itself, security entities and the twins' manufacturers read these.", {
              status: 403,
              code: 'not-notification-reader',
              details: { owner: params.address, caller: reader.session.address, role: reader.session.role },
            });
      },
    }),
  ];
}
