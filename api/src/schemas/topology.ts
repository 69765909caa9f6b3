import { z } from 'zod';
import { MAX_TOPOLOGY_DEPTH } from '../../../analytics/src';
import { booleanQuery, deviceIdSchema, timeSchema } from './common';

/** The most twins one what-if isolates. */
export const MAX_ISOLATED = 32;

/** `?around=<deviceId>&depth=n`. */
export const topologyQuery = z.object({
  around: deviceIdSchema.optional().meta({ description: 'Only the part of the graph around this twin' }),
  depth: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_TOPOLOGY_DEPTH)
    .default(1)
    .meta({ description: `Links followed from \`around\` (0–${MAX_TOPOLOGY_DEPTH}, default 1)` }),
});

/** `?isolate=<deviceId>[,<deviceId>…]&suspended=true|false`: at least one of them. */
export const whatIfQuery = z
  .object({
    isolate: z
      .string()
      .transform((text) => text.split(',').map((part) => part.trim()))
      .pipe(z.array(deviceIdSchema).min(1).max(MAX_ISOLATED))
      .optional()
      .meta({ description: `Comma-separated DeviceIDs of the twins suspended or cut off (1–${MAX_ISOLATED})` }),
    suspended: booleanQuery
      .default(false)
      .meta({ description: 'Also isolate every twin suspended on chain now: what the current suspensions cut off' }),
  })
  .refine((query) => query.isolate !== undefined || query.suspended, {
    path: ['isolate'],
    message: 'name the twins to isolate, or set suspended=true',
  });

const nodeSchema = z
  .object({
    id: z.string().meta({ description: "A twin's DeviceID; a host's `host:<address>` or `host:<address>@<mac>`" }),
    kind: z.enum(['twin', 'gateway', 'peer', 'outside']),
    deviceId: z.string().nullable(),
    state: z.string().nullable().meta({ description: "A twin's chain state" }),
    addresses: z.array(z.string()).meta({ description: 'Empty for a twin whose internals the caller may not read' }),
    mac: z.string().nullable(),
    gatewayFor: z.array(z.string()).meta({ description: 'Twins (readable by the caller) whose routes go through it' }),
    lastSeen: timeSchema.nullable(),
  })
  .meta({ id: 'TopologyNode' });

const observationSchema = z
  .object({
    by: z.string().meta({ description: 'The twin whose snapshot showed the link' }),
    at: timeSchema,
    interface: z.string().nullable(),
    destinations: z.array(z.string()),
    protocol: z.string().nullable(),
    port: z.number().int().nullable(),
    connections: z.number().int(),
    bytes: z.number().nullable().meta({ description: 'null where the source counts none (sockets)' }),
    packets: z.number().nullable(),
    via: z.string().nullable().meta({ description: 'The gateway node a flow leaves its link through' }),
  })
  .meta({ id: 'TopologyLinkObservation' });

const linkSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['route', 'neighbour', 'flow']),
    source: z.string(),
    target: z.string(),
    protocol: z.string().nullable(),
    port: z.number().int().nullable(),
    lastSeen: timeSchema,
    traffic: z.object({ connections: z.number().int(), bytes: z.number().nullable(), packets: z.number().nullable() }),
    observations: z.array(observationSchema),
  })
  .meta({ id: 'TopologyLink' });

const redactedLinkSchema = z
  .object({
    id: z.string(),
    kind: z.literal('link'),
    source: z.string(),
    target: z.string(),
    redacted: z.literal(true),
  })
  .meta({
    id: 'TopologyRedactedLink',
    description: "Two twins are linked; the caller may read neither one's internals",
  });

const viewerSchema = z
  .object({
    address: z.string().nullable(),
    role: z.string().nullable(),
    internalsOf: z.number().int().meta({ description: 'How many twins the caller sees the internals of' }),
  })
  .meta({ id: 'TopologyViewer' });

const sourcesSchema = z
  .object({
    twins: z.number().int().meta({ description: 'Twins in the model (the first 5,000 minted)' }),
    twinsLeftOut: z.number().int().meta({ description: 'Twins registered beyond that bound, not in the model' }),
    snapshots: z.number().int().meta({ description: 'Twins whose latest snapshot the model read' }),
    withoutSnapshot: z.number().int(),
    unreadable: z.array(z.object({ deviceId: z.string(), reason: z.string() })),
  })
  .meta({ id: 'TopologySources' });

export const topologySchema = z
  .object({
    generatedAt: timeSchema,
    around: z.string().nullable(),
    depth: z.number().int().nullable(),
    viewer: viewerSchema,
    sources: sourcesSchema,
    nodes: z.array(nodeSchema),
    links: z.array(z.union([linkSchema, redactedLinkSchema])),
  })
  .meta({ id: 'Topology' });

export const whatIfSchema = z
  .object({
    generatedAt: timeSchema,
    viewer: viewerSchema,
    isolated: z.array(z.string()),
    lostGateway: z.array(z.object({ deviceId: z.string(), gateways: z.array(z.string()), routeLeft: z.boolean() })),
    lostPeers: z.array(z.object({ deviceId: z.string(), peers: z.array(z.string()) })),
    stoppedFlows: z.array(
      z.object({
        linkId: z.string(),
        source: z.string(),
        target: z.string(),
        protocol: z.string().nullable(),
        port: z.number().int().nullable(),
        reason: z.enum(['endpoint-isolated', 'gateway-lost']),
        via: z.string().nullable(),
        connections: z.number().int(),
        observedBy: z.array(z.string()),
      }),
    ),
    summary: z.object({ twinsAffected: z.number().int(), flowsStopped: z.number().int(), flows: z.number().int() }),
  })
  .meta({ id: 'TopologyWhatIf' });
