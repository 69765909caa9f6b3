import { z } from 'zod';
import type { ApiContext } from '../context';
import { FEED_EVENT_NAMES, type FeedEventName, type FeedEvents } from '../feed/createIndexFeed';
import { defineRoute } from '../http/defineRoute';
import { deviceIdSchema, errorSchema } from '../schemas/common';

/** Seconds between keep-alive comments on an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/**
 * `GET /events`: server-sent events of new snapshots, telemetry readings, anchored batches, state changes and alerts,
 * optionally for one twin and some kinds only. Each event's `data` is JSON; a comment line every 15 s keeps
 * proxies from closing an idle stream.
 *
 * @example
 * mountRoutes(router, eventRoutes(context))
 */
export function eventRoutes(context: ApiContext) {
  return [
    defineRoute({
      method: 'get',
      path: '/events',
      operationId: 'streamEvents',
      summary: 'Live events (server-sent events)',
      description:
        'Event names: `snapshot`, `telemetry`, `anchored` (a batch root confirmed on chain; `deviceIds` lists the ' +
        'twins in it), `state` and `alert` (a security alert, new or changed). Filter with `deviceId` and `types` ' +
        '(comma-separated).',
      tag: 'events',
      query: z.object({
        deviceId: deviceIdSchema.optional(),
        types: z
          .string()
          .optional()
          .transform((value) => (value === undefined || value === '' ? [...FEED_EVENT_NAMES] : value.split(',')))
          .pipe(z.array(z.enum(FEED_EVENT_NAMES as [FeedEventName, ...FeedEventName[]])))
          .meta({ description: 'Comma-separated event names (default all)' }),
      }),
      responses: {
        200: { description: 'An event stream', contentType: 'text/event-stream' },
        400: { description: 'Invalid filter', schema: errorSchema },
      },
      handler: ({ query, req, res }) => {
        res.writeHead(200, {
          'Content-Type': 'text/event-stream; charset=utf-8',
          'Cache-Control': 'no-cache, no-transform',
          Connection: 'keep-alive',
          'X-Accel-Buffering': 'no',
        });
        res.write('retry: 2000\n\n');
        const matches = (name: FeedEventName, data: FeedEvents[FeedEventName]) => {
          if (query.deviceId === undefined) return true;
          if (name === 'anchored') return (data as FeedEvents['anchored']).deviceIds.includes(query.deviceId);
          return (data as { deviceId: string }).deviceId === query.deviceId;
        };
        const listeners = query.types.map((name) => {
          const listener = (data: FeedEvents[FeedEventName]) => {
            if (matches(name, data)) res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
          };
          context.feed.on(name, listener);
          return [name, listener] as const;
        });
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        req.on('close', () => {
          clearInterval(keepAlive);
          for (const [name, listener] of listeners) context.feed.off(name, listener);
        });
        return undefined;
      },
    }),
  ];
}
