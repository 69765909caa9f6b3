import { rateLimit } from 'express-rate-limit';
import { z } from 'zod';
import { countRejectionsByReason, keptRejections, pageRejections, readSequenceLedger } from '../../../store/src';
import {
  createTwinDirectory,
  dryRunMessage,
  messageTopic,
  REJECTION_REASONS,
  REJECTION_TRIGGERS,
} from '../../../oracle/src';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { deviceIdSchema, errorSchema, timeSchema } from '../schemas/common';

const reasonSchema = z.enum(REJECTION_REASONS).meta({
  id: 'RejectionReason',
  description: Object.entries(REJECTION_TRIGGERS)
    .map(([reason, trigger]) => `\`${reason}\`: ${trigger}`)
    .join('\n\n'),
});

const rejectionSchema = z
  .object({
    id: z.number().int(),
    at: timeSchema,
    deviceId: z.string().nullable().meta({ description: 'The device, when the message let the oracle tell it' }),
    reason: z.string().meta({ description: 'A reason code of `reasons` (spec/README.md §7)' }),
    detail: z.string().meta({ description: 'One line, at most 500 characters' }),
  })
  .meta({ id: 'Rejection' });

const rejectionPageSchema = z
  .object({
    items: z.array(rejectionSchema),
    next: z.number().int().nullable().meta({ description: 'Pass as `before` for the next (older) page' }),
    counts: z
      .record(z.string(), z.number().int())
      .meta({ description: 'Every rejection ever recorded, per reason (kept when old rows are pruned)' }),
    kept: z.number().int().meta({ description: 'Rejection rows kept now (the newest `ORACLE_REJECTIONS_KEPT`)' }),
    reasons: z
      .record(z.string(), z.string())
      .meta({ description: 'Every reason code with what triggers it, in the order the checks run' }),
  })
  .meta({ id: 'RejectionPage' });

const dryRunSchema = z
  .object({
    verdict: z.enum(['accepted', 'refused', 'passes-offline']),
    rejection: z
      .object({
        reason: reasonSchema,
        detail: z.string(),
        trigger: z.string(),
        field: z.string().optional(),
        deviceId: z.string().optional(),
      })
      .optional(),
    skipped: z.array(z.string()),
    derived: z.record(z.string(), z.unknown()).optional().meta({
      description: 'What the oracle would store and anchor: signer, hash, stored bytes, CID, Merkle leaf',
    }),
  })
  .meta({ id: 'MessageCheck' });

/**
 * The rejection routes: the messages the oracle refused (paged, by device, reason and time, each reason documented
 * with its trigger) and the dry run that says what the oracle would answer about a message, accepting nothing.
 *
 * @example
 * mountRoutes(router, rejectionRoutes(context))
 */
export function rejectionRoutes(context: ApiContext) {
  const checkLimiter = rateLimit({
    windowMs: 60_000,
    limit: context.config.checkMessagePerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(
        new ApiError('Too many message checks: slow down.', {
          status: 429,
          code: 'rate-limited',
          details: { limitPerMinute: context.config.checkMessagePerMinute },
        }),
      ),
  });
  const twins = createTwinDirectory({
    index: context.index,
    provider: context.provider,
    twinRegistry: context.deployment.contracts.TwinRegistry,
  });
  return [
    defineRoute({
      method: 'get',
      path: '/rejections',
      operationId: 'listRejections',
      summary: 'Messages the oracle refused, newest first',
      description:
        'Filter by `deviceId`, `reason` and time (`from`, `to`: when the oracle refused it); page back with ' +
        '`before` = `next`. Each reason code is documented in `reasons` (and spec/README.md §7): `bad-signature` is a ' +
        'signature no key recovers from, `wrong-signer` one that recovers to another address (any change to the ' +
        'signed bytes). The newest `ORACLE_REJECTIONS_KEPT` rows are kept; `counts` covers every rejection.',
      tag: 'rejections',
      query: z.object({
        deviceId: deviceIdSchema.optional(),
        reason: reasonSchema.optional(),
        from: timeSchema.optional().meta({ description: 'Refused at or after' }),
        to: timeSchema.optional().meta({ description: 'Refused at or before' }),
        before: z.coerce.number().int().min(1).optional().meta({ description: 'Only rejections with a smaller id' }),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      }),
      responses: {
        200: { description: 'A page of rejections', schema: rejectionPageSchema },
        400: { description: 'Invalid filter; the message names the field', schema: errorSchema },
      },
      handler: async ({ query }) => {
        if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) > Date.parse(query.to)) {
          throw new ApiError('Invalid query parameter: from is after to.', {
            status: 400,
            code: 'invalid-input',
            details: [{ in: 'query parameter', field: 'from', message: 'must not be after to' }],
          });
        }
        const [items, counts, kept] = await Promise.all([
          pageRejections(context.index, {
            deviceId: query.deviceId,
            reason: query.reason,
            from: query.from,
            to: query.to,
            beforeId: query.before,
            limit: query.limit,
          }),
          countRejectionsByReason(context.index),
          keptRejections(context.index),
        ]);
        return {
          items,
          next: items.length === query.limit ? items[items.length - 1]!.id : null,
          counts,
          kept,
          reasons: REJECTION_TRIGGERS,
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/messages/check',
      operationId: 'checkMessage',
      summary: 'What the oracle would answer about a device message (a dry run: nothing is accepted or stored)',
      description:
        'The body is the MQTT payload, byte for byte (any content type); `topic` the topic it would be published ' +
        'on (default `twins/{its deviceId}/{its kind}`). The same checks in the same order as the oracle, against ' +
        "the chain mirror and the oracle's sequence ledger: `accepted`, or `refused` with the reason code, its " +
        'trigger and the field at fault; and what would be stored (canonical bytes, CID) and anchored (Merkle ' +
        'leaf). At most `API_CHECK_MESSAGE_MAX_BYTES` (413 beyond) and `API_CHECK_MESSAGE_PER_MINUTE` per client.',
      tag: 'rejections',
      rawBody: { contentType: 'application/json', description: 'The message exactly as the device would publish it' },
      query: z.object({
        topic: z
          .string()
          .max(300)
          .optional()
          .meta({ description: 'e.g. `twins/0x…/snapshot` (default from the message)' }),
      }),
      responses: {
        200: { description: 'The verdict (a refusal is a 200 too: the check itself succeeded)', schema: dryRunSchema },
        400: { description: 'No body', schema: errorSchema },
        413: { description: 'Larger than API_CHECK_MESSAGE_MAX_BYTES', schema: errorSchema },
        429: { description: 'Too many checks from this client', schema: errorSchema },
      },
      middleware: [checkLimiter],
      handler: async ({ query, req }) => {
        const payload = Buffer.isBuffer(req.body) ? (req.body as Buffer) : Buffer.alloc(0);
        if (payload.length === 0) {
          throw new ApiError('Send the message as the request body.', {
            status: 400,
            code: 'invalid-input',
            details: [{ in: 'body', field: '', message: 'empty' }],
          });
        }
        const result = await dryRunMessage({
          topic: query.topic ?? messageTopic(payload),
          payload,
          twins,
          ledger: readSequenceLedger(context.index),
          maxPayloadBytes: context.config.checkMessageMaxBytes,
          now: Date.now(),
        });
        return JSON.parse(JSON.stringify(result, (_key, value) => (typeof value === 'bigint' ? String(value) : value)));
      },
    }),
  ];
}
