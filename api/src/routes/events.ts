import { z } from 'zod';
import { getEntity, type IndexedTwin } from '../../../store/src';
import { canReadTwin, readerOf } from '../access/reader';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { FEED_EVENT_NAMES, type FeedEventName, type FeedEvents, type FeedItem } from '../feed/feedEvents';
import { defineRoute } from '../http/defineRoute';
import { addressSchema, deviceIdSchema, errorSchema } from '../schemas/common';

/** Seconds between keep-alive comments on an idle stream. */
const KEEP_ALIVE_MS = 15_000;
/** How often a signed-in stream re-reads its entity: a revoked reader's stream ends within this. */
const RECHECK_MS = 5_000;
/** Outbox events a resuming stream is sent at most before it goes live. */
export const MAX_REPLAY_EVENTS = 5_000;
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
 * (503 beyond). Each event's `data` is JSON and its `id` the number of the index outbox event it came from (the same
 * on every API instance): a client reconnecting with `Last-Event-ID` (an EventSource does) first gets what it
 * missed, up to {@link MAX_REPLAY_EVENTS} outbox events (beyond, or when they were pruned, a `resync` event says
 * to reload). A comment line every 15 s keeps proxies from closing an idle stream.
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
        '`access_token`. Streams per client address are capped (429). Each event has an `id` (the outbox number, ' +
        'the same on every instance): reconnecting with `Last-Event-ID` (or `lastEventId`) resumes after it; a ' +
        '`resync` event means events were missed (too many, or pruned): reload the page state.',
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
        lastEventId: z.coerce
          .number()
          .int()
          .min(0)
          .optional()
          .meta({ description: 'Resume after this event id (as the `Last-Event-ID` header, which wins)' }),
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
        const ownerOf = (item: FeedItem, deviceId: string) =>
          item.twins.get(deviceId.toLowerCase())?.owner.toLowerCase();
        const ownerMatches = (item: FeedItem, deviceId: string) =>
          query.owner === undefined || ownerOf(item, deviceId) === query.owner.toLowerCase();
        const matches = (item: FeedItem) => {
          if (item.name === 'anchored') {
            const { deviceIds } = item.data as FeedEvents['anchored'];
            if (query.deviceId !== undefined && !deviceIds.includes(query.deviceId)) return false;
            return query.owner === undefined || deviceIds.some((deviceId) => ownerMatches(item, deviceId));
          }
          const { deviceId } = item.data as { deviceId?: string };
          if (deviceId === undefined) return query.deviceId === undefined && query.owner === undefined;
          if (query.deviceId !== undefined && deviceId.toLowerCase() !== query.deviceId.toLowerCase()) return false;
          if (!ownerMatches(item, deviceId)) return false;
          if (!PRIVATE_EVENTS.has(item.name)) return true;
          const twin: IndexedTwin | undefined = item.twins.get(deviceId.toLowerCase());
          return twin !== undefined && canReadTwin(reader, twin);
        };
        const types = new Set<FeedEventName>(query.types);
        const send = (item: FeedItem) => {
          if (types.has(item.name) && matches(item))
            res.write(`id: ${item.seq}\nevent: ${item.name}\ndata: ${JSON.stringify(item.data)}\n\n`);
        };
        let closed = false;
        // Resuming: live items wait while the missed ones are read and sent, then those not sent yet follow.
        const header = req.get('last-event-id');
        const resumeAfter =
          header !== undefined && /^\d{1,15}$/.test(header.trim()) ? Number(header) : query.lastEventId;
        let waiting: FeedItem[] | undefined = resumeAfter === undefined ? undefined : [];
        let sentThrough = resumeAfter ?? 0;
        const listeners = query.types.map((name) => {
          const listener = (_data: FeedEvents[FeedEventName], item: FeedItem) => {
            if (waiting !== undefined) {
              if (waiting.length < 10_000) waiting.push(item);
              return;
            }
            if (item.seq > sentThrough || resumeAfter === undefined) send(item);
          };
          context.feed.on(name, listener);
          return [name, listener] as const;
        });
        if (resumeAfter !== undefined) {
          void (async () => {
            try {
              const live = context.feed.cursor ?? 0;
              let skipped = false;
              for (let read = 0; sentThrough < live && read < MAX_REPLAY_EVENTS; ) {
                const page = await context.feed.replay(sentThrough, 1_000);
                if (closed) return;
                skipped ||= page.skipped;
                for (const item of page.items) send(item);
                read += page.through - sentThrough;
                if (page.through <= sentThrough) break;
                sentThrough = page.through;
              }
              if (skipped || sentThrough < live)
                res.write(
                  `event: resync\ndata: ${JSON.stringify({
                    reason: skipped ? 'pruned' : 'too-many',
                    through: sentThrough,
                  })}\n\n`,
                );
            } catch (error) {
              context.log('warn', 'event replay failed', { error: (error as Error).message });
              if (closed) return;
              res.write(`event: resync\ndata: ${JSON.stringify({ reason: 'index-unavailable' })}\n\n`);
            }
            const held = waiting ?? [];
            waiting = undefined;
            for (const item of held) if (item.seq > sentThrough) send(item);
          })();
        }
        const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
        const recheck =
          reader.session === undefined
            ? undefined
            : setInterval(() => {
                getEntity(context.index, reader.session!.address).then(
                  (entity) => {
                    if (closed) return;
                    if (entity?.status === 'approved' && entity.role === reader.session!.role) {
                      reader.entity = entity;
                      return;
                    }
                    res.write(`event: signed-out\ndata: ${JSON.stringify({ reason: 'entity-not-approved' })}\n\n`);
                    res.end();
                  },
                  // The index is unreachable: the stream stays as it is; the next check decides.
                  () => undefined,
                );
              }, RECHECK_MS);
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
