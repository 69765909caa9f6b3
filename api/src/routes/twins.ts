import { z } from 'zod';
import { listTwins as listIndexedTwins } from '../../../oracle/src/index/twins';
import { alertsOf } from '../../../oracle/src/index';
import { recentTelemetry } from '../../../oracle/src/index/telemetry';
import type { ApiContext } from '../context';
import { defineRoute } from '../http/defineRoute';
import { deviceIdParams, errorSchema } from '../schemas/common';
import { alertSchema, listTwinsQuery, telemetryReadingSchema, twinPageSchema, twinViewSchema } from '../schemas/twins';
import { requireTwin, twinSummary, twinView } from '../views/twinView';
import { assertCanReadTwin, readerOf } from '../access/reader';

const notFound = { description: 'No twin with this DeviceID', schema: errorSchema };
const badInput = { description: 'Invalid input; the message names each bad field', schema: errorSchema };
const badToken = { description: 'A token was sent but is bad, expired or its entity revoked', schema: errorSchema };

/**
 * The twin routes: the list with filters, the merged view of one twin, and its recent telemetry.
 *
 * @example
 * mountRoutes(router, twinRoutes(context))
 */
export function twinRoutes(context: ApiContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/twins',
      operationId: 'listTwins',
      summary: 'Twins, filtered and paginated',
      description:
        'In mint order. Filters: owner, manufacturer, state, forSale; each matches exactly. The behaviour label ' +
        "(from telemetry) only for twins the signed-in reader sees the internals of (`access: 'full'`).",
      tag: 'twins',
      query: listTwinsQuery,
      responses: {
        200: { description: 'A page of twins', schema: twinPageSchema },
        400: badInput,
        401: badToken,
        403: badToken,
      },
      handler: async ({ query, req }) => {
        const reader = await readerOf(req, context);
        const page = listIndexedTwins(context.index, query);
        return { ...page, items: page.items.map((twin) => twinSummary(context.index, twin, reader)) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId',
      operationId: 'getTwin',
      summary: 'The merged view of one twin',
      description:
        'The on-chain record (as mirrored by the oracle), the static document from IPFS, the latest snapshot and ' +
        'whether it is anchored, the update and state histories and alerts; the latest telemetry for the ' +
        "twin's owner, manufacturer and security entities only (signed in; `twin.access`).",
      tag: 'twins',
      params: deviceIdParams,
      responses: {
        200: { description: 'The twin', schema: twinViewSchema },
        400: badInput,
        401: badToken,
        403: badToken,
        404: notFound,
      },
      handler: async ({ params, req }) =>
        twinView({ index: context.index, documents: context.documents }, params.deviceId, await readerOf(req, context)),
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/telemetry',
      operationId: 'listTelemetry',
      summary: 'Recent telemetry readings of a twin, oldest first',
      description:
        "What the charts start from; new readings arrive on `GET /events`. Device internals: the twin's owner, its " +
        'manufacturer and security entities only, signed in.',
      tag: 'twins',
      auth: 'bearer',
      params: deviceIdParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(10_000).default(120) }),
      responses: {
        200: {
          description: 'The readings',
          schema: z.object({ items: z.array(telemetryReadingSchema) }).meta({ id: 'TelemetryPage' }),
        },
        400: badInput,
        401: { description: 'Not signed in (device internals are private)', schema: errorSchema },
        403: { description: "Neither the twin's owner, its manufacturer nor a security entity", schema: errorSchema },
        404: notFound,
      },
      handler: async ({ params, query, req }) => {
        const twin = requireTwin(context.index, params.deviceId);
        assertCanReadTwin(await readerOf(req, context), twin);
        return { items: recentTelemetry(context.index, params.deviceId, query.limit) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/alerts',
      operationId: 'listAlerts',
      summary: "Security alerts about a twin's device, newest first",
      description:
        'Published by security entities (signed, checked against the entity registry): the behaviour, score, ' +
        'window, evidence on IPFS, and the action taken (notified, suspended, reactivated).',
      tag: 'twins',
      params: deviceIdParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(50) }),
      responses: {
        200: {
          description: 'The alerts',
          schema: z.object({ items: z.array(alertSchema) }).meta({ id: 'AlertPage' }),
        },
        400: badInput,
        404: notFound,
      },
      handler: ({ params, query }) => {
        requireTwin(context.index, params.deviceId);
        return { items: alertsOf(context.index, params.deviceId, query.limit) };
      },
    }),
  ];
}
