import { z } from 'zod';
import {
  alertsOf,
  gapsOf,
  givenUpGaps,
  listTwins as listIndexedTwins,
  recentTelemetry,
  telemetryBuckets,
} from '../../../store/src';
import type { ApiContext } from '../context';
import { defineRoute } from '../http/defineRoute';
import { deviceIdParams, errorSchema } from '../schemas/common';
import { alertSchema, listTwinsQuery, telemetryReadingSchema, twinPageSchema, twinViewSchema } from '../schemas/twins';
import { requireTwin, twinSummaries, twinViewBody } from '../views/twinView';
import { assertCanReadTwin, readerOf } from '../access/reader';
import { gapListSchema, telemetryHistorySchema, telemetryQuery } from '../schemas/telemetryHistory';

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
        const page = await listIndexedTwins(context.index, query);
        return {
          ...page,
          items: await twinSummaries(context.index, page.items, reader),
        };
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
        twinViewBody(
          { index: context.index, documents: context.documents, views: context.views },
          params.deviceId,
          await readerOf(req, context),
        ),
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/telemetry',
      operationId: 'listTelemetry',
      summary: 'Recent telemetry readings of a twin, oldest first; or its history in time buckets',
      description:
        'Without `bucket`: the newest `limit` readings, what the live charts start from (new readings arrive on ' +
        '`GET /events`). With `bucket` (seconds): the readings from `from` to `to` (ISO 8601 or epoch ms; default ' +
        'the last 24 h) in time buckets, each with the average, minimum and maximum of every numeric metric, at ' +
        "most 2,000 buckets (400 naming `bucket` beyond). Device internals: the twin's owner, its manufacturer and " +
        'security entities only, signed in.',
      tag: 'twins',
      auth: 'bearer',
      params: deviceIdParams,
      query: telemetryQuery,
      responses: {
        200: {
          description: 'The readings (`items`), or with `bucket` the buckets (`buckets`)',
          schema: z.union([
            z.object({ items: z.array(telemetryReadingSchema) }).meta({ id: 'TelemetryPage' }),
            telemetryHistorySchema,
          ]),
        },
        400: badInput,
        401: { description: 'Not signed in (device internals are private)', schema: errorSchema },
        403: { description: "Neither the twin's owner, its manufacturer nor a security entity", schema: errorSchema },
        404: notFound,
      },
      handler: async ({ params, query, req }) => {
        const twin = await requireTwin(context.index, params.deviceId);
        assertCanReadTwin(await readerOf(req, context), twin);
        if (query.bucket === undefined)
          return { items: await recentTelemetry(context.index, params.deviceId, query.limit) };
        const to = query.to ?? Date.now();
        const from = query.from ?? to - 86_400_000;
        const buckets = await telemetryBuckets(context.index, {
          deviceId: params.deviceId,
          from,
          to,
          bucketSeconds: query.bucket,
        });
        return {
          deviceId: params.deviceId,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
          bucketSeconds: query.bucket,
          buckets,
        };
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
      handler: async ({ params, query }) => {
        await requireTwin(context.index, params.deviceId);
        return { items: await alertsOf(context.index, params.deviceId, query.limit) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/twins/:deviceId/gaps',
      operationId: 'listSequenceGaps',
      summary: "A device's sequence gaps: numbers below its highest never received",
      description:
        'Loss detection (issue 15): the oracle counts every sequence number a device used; a jump opens a gap, a ' +
        'late or resent message closes its number. Open gaps lowest first, and what was given up (older than ' +
        '`STORE_GAP_EXPIRY_HOURS`, or beyond the cap per device). Public, like the rejections: numbers, no readings.',
      tag: 'twins',
      params: deviceIdParams,
      responses: {
        200: { description: 'The gaps', schema: gapListSchema },
        400: badInput,
        404: notFound,
      },
      handler: async ({ params }) => {
        await requireTwin(context.index, params.deviceId);
        const [gaps, givenUp] = await Promise.all([
          gapsOf(context.index, params.deviceId),
          givenUpGaps(context.index, params.deviceId),
        ]);
        return {
          deviceId: params.deviceId,
          gaps: gaps.map(({ fromSeq, toSeq, missing, detectedAt }) => ({ fromSeq, toSeq, missing, detectedAt })),
          openGaps: gaps.length,
          missing: gaps.reduce((sum, gap) => sum + gap.missing, 0),
          givenUp,
        };
      },
    }),
  ];
}
