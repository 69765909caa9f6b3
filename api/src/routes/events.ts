import { z } from 'zod';
import { getEntity } from '../../../oracle/src/index/entities';
import { getTwin } from '../../../oracle/src/index/twins';
import { canReadTwin, readerOf } from '../access/reader';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { FEED_EVENT_NAMES, type FeedEventName, type FeedEvents } from '../feed/createIndexFeed';
import { defineRoute } from '../http/defineRoute';
import { addressSchema, deviceIdSchema, errorSchema } from '../schemas/common';

/** Seconds between keep-alive comments on an idle stream. */
const KEEP_ALIVE_MS = 15_000;
/** How often a signed-in stream re-reads its entity: a revoked reader's stream ends within this. */
const RECHECK_MS = 5_000;
/**
 * Events that carry device internals (readings; commands with their arguments and the device's results; the state
 * document the device reports): sent only to readers who see the twin's, as their REST routes are.
 */
const PRIVATE_EVENTS: ReadonlySet<FeedEventName> = new Set(['telemetry', 'command', 'state-document']);

/**
 * `GET /events`: server-sent events of new snapshots, telemetry readings, anchored batches, state changes and alerts,
 * for one twin, one owner's twins, or all, and some kinds only. Filtered here, on the server: telemetry, commands and
 * state documents (device internals) go only to the twin's owner, its manufacturer and security entities, signed in
 * (a `Bearer` header, or `?access_token=` since a browser's EventSource sends no header); a revoked reader's stream
 * ends within 5 s.
 * Each client address holds at most `eventStreamsPerClient` streams (429 beyond), all clients `eventStreamsMax`
 * (503 beyond). Each event's `data` is JSON; a comment line every 15 s keeps proxies from closing an idle stream.
 *
 * @example
 * mountRoutes(router, eventRoutes(context))
 */
export function eventRoutes(context: ApiContext) {
  const perClient = new Map<string, number>();
  let open = 0;
  return [
    defineRoute({
      method: 'get',
      path: '/events',
      operationId: 'streamEvents',
      summary: 'Live events (server-sent events)',
      description:
        'Event names: `snapshot`, `telemetry`, `anchored` (a batch root confirmed on chain; `deviceIds` lists the ' +
        'twins in it), `state`, `alert` (a security alert, new or changed), `chain`, `command` and ' +
        '`state-document`. Filter with `deviceId` or `owner`, and `types` (comma-separated). `telemetry`, ' +
        '`command` and `state-document` carry device internals: sent only for twins the signed-in ' +
        "reader sees (the twin's owner, manufacturer, a security entity); the token in `Authorization` or " +
        '`access_token`. Streams per client address are capped (429).',
      tag: 'events',
      query: z.object({
        deviceId: deviceIdSchema.optional(),
        owner: addressSchema.optional().meta({ description: "Only events about this owner's twins" }),
        types: z
          .string()
          .optional()
          .transform((value) => (value === undefined || value === '' ? [...FEED_EVENT_NAMES] : value.split(',')))
          .pipe(z.array(z.enum(FEED_EVENT_NAMES as [FeedEventName, ...FeedEventName[]])))
          .meta({ description: 'Comma-separated event names (default all)' }),
        access_token: z.string().max(4_096).optional().meta({ description: 'The sign-in token (EventSource)' }),
      }),
      responses: {
        200: { description: 'An event stream', contentType: 'text/event-stream' },
        400: { description: 'Invalid filter', schema: errorSchema },
        401: { description: 'A token was sent but is bad or expired', schema: errorSchema },
        403: { description: 'The token’s entity was revoked', schema: errorSchema },
        429: { description: 'Too many streams open from this client', schema: errorSchema },
        503: { description: 'Too many streams open on this API', schema: errorSchema },
      },
      handler: async ({ query, req, res }) => {
        const reader = await readerOf(req, context, { queryToken: true });
        const client = req.ip ?? 'unknown';
        const held = perClient.get(client) ?? 0;
        if (held >= context.config.eventStreamsPerClient) {
          throw new ApiError('Too many event streams open from this client: close one first.', {
            status: 429,
            code: 'too-many-streams',
            details: { open: held, limitPerClient: context.config.eventStreamsPerClient },
          });
        }
        if (open >= context.config.eventStreamsMax) {
          throw new ApiError('This API holds as many event streams as it can; try again later.', {
            status: 503,
            code: 'streams-exhausted',
            details: { limit: context.config.eventStreamsMax },
          });
        }
        perClient.set(client, held + 1);
        open++;
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write('retry: 2000\n\n');
        const ownerMatches = (deviceId: string) =>
          query.owner === undefined ||
          getTwin(context.index, deviceId as `0x${string}`)?.owner.toLowerCase() === query.owner.toLowerCase();
        const matches = (name: FeedEventName, data: FeedEvents[FeedEventName]) => {
          if (name === 'anchored') {
            const { deviceIds } = data as FeedEvents['anchored'];
            if (query.deviceId !== undefined && !deviceIds.includes(query.deviceId)) return false;
            return query.owner === undefined || deviceIds.some(ownerMatches);
          }
          const { deviceId } = data as { deviceId: string };
          if (query.deviceId !== undefined && deviceId !== query.deviceId) return false;
          if (!ownerMatches(deviceId)) return false;
          if (!PRIVATE_EVENTS.has(name)) return true;
          const twin = getTwin(context.index, deviceId as `0x${string}`);
          return twin !== undefined && canReadTwin(reader, twin);
        };
        const listeners = query.types.map((name) => {
          const listener = (data: FeedEvents[FeedEventName]) => {
            if (matches(name, data)) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
          };
          context.feed.on(name, listener);
          return [name, listener] as const;
        });
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        const recheck =
          reader.session === undefined
            ? undefined
            : setInterval(() => {
                const entity = getEntity(context.index, reader.session!.address);
                if (entity?.status === 'approved' && entity.role === reader.session!.role) {
                  reader.entity = entity;
                  return;
                }
                res.write(`event: signed-out\ndata: ${JSON.stringify({ reason: 'entity-not-approved' })}\n\n`);
                res.end();
              }, RECHECK_MS);
        let closed = false;
        const close = () => {
          if (closed) return;
          closed = true;
          clearInterval(keepAlive);
          clearInterval(recheck);
          for (const [name, listener] of listeners) context.feed.off(name, listener);
          open--;
          const left = (perClient.get(client) ?? 1) - 1;
          if (left <= 0) perClient.delete(client);
          else perClient.set(client, left);
        };
        req.on('close', close);
        res.on('close', close);
        return undefined;
      },
    }),
  ];
}
