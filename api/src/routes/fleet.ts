import { z } from 'zod';
import {
  ENTITY_ROLES,
  ENTITY_STATUSES,
  TWIN_STATES,
  alertsUpdatedSince,
  fleetCounts,
  latestSnapshotsOf,
  listEntities,
  listTwins,
  openAlertsByDevice,
  type IndexedTwin,
  type LatestSnapshotSummary,
  type ListTwinsQuery,
  type Store,
} from '../../../store/src';
import { assertSessionRole } from '../auth/sessionRole';
import type { ApiContext } from '../context';
import { defineRoute } from '../http/defineRoute';
import { addressSchema, errorSchema, pageOf, timeSchema } from '../schemas/common';
import { entitySchema, twinSchema, twinStateSchema } from '../schemas/twins';
import { sessionOf } from './auth';
import { inboxAlertSchema, withAcknowledgements } from './alerts';

const badInput = { description: 'Invalid input; the message names each bad field', schema: errorSchema };

/** Ingest rates are counted over this window. */
const RATE_WINDOW_MS = 60_000;
/** The directory reads at most this many twins per request (their static documents come from the cache). */
const DIRECTORY_MAX_TWINS = 5_000;
/** Static documents not in the cache are waited for this long, then the twin shows no hostname or model yet. */
const STATIC_TIMEOUT_MS = 1_500;
/** A static document IPFS did not give is not asked for again before this long (the directory stays fast). */
const STATIC_RETRY_MS = 5_000;

export const fleetSummarySchema = z
  .object({
    twins: z.number().int().meta({ description: 'Every minted twin' }),
    byState: z.record(twinStateSchema, z.number().int()),
    forSale: z.number().int(),
    reviewRequested: z.number().int(),
    openAlerts: z.number().int().meta({ description: 'Security alerts whose status is open' }),
    alertedTwins: z.number().int().meta({ description: 'Twins with at least one open alert' }),
    anchoring: z.object({
      pendingSnapshots: z.number().int().meta({ description: 'Accepted snapshots whose batch is not confirmed yet' }),
      oldestPendingAt: timeSchema.nullable().meta({ description: 'When the oldest of them was received' }),
      lagSeconds: z
        .number()
        .nullable()
        .meta({ description: 'Age of the oldest pending snapshot, seconds (null when none is pending)' }),
      lastConfirmedAt: timeSchema.nullable().meta({ description: 'When the latest batch was confirmed on chain' }),
      confirmedBatches: z.number().int(),
    }),
    ingest: z.object({
      windowSeconds: z.number().int(),
      snapshotsPerMinute: z.number().meta({ description: 'Snapshots accepted over the last minute' }),
      readingsPerMinute: z.number().meta({ description: 'Telemetry readings kept over the last minute' }),
      lastSnapshotAt: timeSchema.nullable(),
    }),
    chain: z.object({
      chainId: z.number().int(),
      contracts: z.record(z.string(), z.string()).meta({ description: 'The deployment: contract name → address' }),
    }),
    at: timeSchema,
  })
  .meta({ id: 'FleetSummary' });

export const SORT_KEYS = ['minted', 'device', 'hostname', 'model', 'owner', 'state', 'snapshot', 'alerts'] as const;

const directoryQuery = z.object({
  q: z
    .string()
    .trim()
    .max(128)
    .optional()
    .meta({ description: 'DeviceID prefix, or part of the hostname, model, owner or manufacturer name (any case)' }),
  state: twinStateSchema.optional(),
  owner: addressSchema.optional(),
  forSale: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional(),
  sort: z.enum(SORT_KEYS).default('minted'),
  order: z.enum(['asc', 'desc']).default('asc'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(500).default(20),
});

/** A directory row: the public chain record (no device internals: the behaviour label is not here). */
const directoryEntrySchema = twinSchema
  .pick({
    deviceId: true,
    owner: true,
    manufacturer: true,
    deviceSigner: true,
    state: true,
    forSale: true,
    price: true,
    staticHash: true,
    staticCid: true,
    updateCount: true,
    reviewRequested: true,
    mintedBlock: true,
    updatedBlock: true,
    latestSnapshot: true,
  })
  .extend({
    hostname: z.string().nullable().meta({ description: 'From the static document (null until it is read)' }),
    model: z.string().nullable().meta({ description: 'Hardware model, from the static document' }),
    ownerName: z.string().nullable().meta({ description: "The owner's registered entity name" }),
    manufacturerName: z.string().nullable(),
    openAlerts: z.number().int(),
    detection: z
      .object({ behaviour: z.string(), score: z.number(), action: z.string(), at: timeSchema })
      .nullable()
      .meta({
        description: "The latest open security alert's detection (the security service's, not the simulator's)",
      }),
  })
  .meta({ id: 'DirectoryTwin' });

/**
 * The fleet routes: the overview's aggregates, the searchable and sortable twin directory with names, hostnames
 * and models, and every security alert (the security entities' inbox).
 *
 * @example
 * mountRoutes(router, fleetRoutes(context))
 */
export function fleetRoutes(context: ApiContext) {
  const { index } = context;
  /** CIDs of static documents IPFS did not give, and when to ask again (bounded: one per twin at most). */
  const missing = new Map<string, number>();
  const readStatic = async (cid: string) => {
    const retryAt = missing.get(cid);
    if (retryAt !== undefined && Date.now() < retryAt) return null;
    const { value } = await context.documents.read(cid, STATIC_TIMEOUT_MS);
    if (value === null) {
      if (missing.size >= DIRECTORY_MAX_TWINS) missing.clear();
      missing.set(cid, Date.now() + STATIC_RETRY_MS);
    } else missing.delete(cid);
    return value;
  };

  return [
    defineRoute({
      method: 'get',
      path: '/fleet',
      operationId: 'getFleetSummary',
      summary: 'The fleet at a glance',
      description:
        'Twins by state, listings and review requests, open security alerts, how far anchoring lags behind ' +
        'ingestion, and the ingest rate over the last minute.',
      tag: 'fleet',
      responses: { 200: { description: 'The summary', schema: fleetSummarySchema } },
      handler: async () => {
        const now = Date.now();
        const counts = await fleetCounts(index, now - RATE_WINDOW_MS);
        const byState = Object.fromEntries(TWIN_STATES.map((state) => [state, 0])) as Record<string, number>;
        Object.assign(byState, counts.byState);
        const oldestPending = counts.oldestPendingAt === null ? null : Date.parse(counts.oldestPendingAt);
        const perMinute = (n: number) => Math.round((n * 60_000 * 100) / RATE_WINDOW_MS) / 100;
        return {
          twins: counts.twins,
          byState,
          forSale: counts.forSale,
          reviewRequested: counts.reviewRequested,
          openAlerts: counts.openAlerts,
          alertedTwins: counts.alertedTwins,
          anchoring: {
            pendingSnapshots: counts.pendingSnapshots,
            oldestPendingAt: counts.oldestPendingAt,
            lagSeconds: oldestPending === null ? null : Math.max(0, Math.round((now - oldestPending) / 100) / 10),
            lastConfirmedAt: counts.lastConfirmedAt,
            confirmedBatches: counts.confirmedBatches,
          },
          ingest: {
            windowSeconds: RATE_WINDOW_MS / 1000,
            snapshotsPerMinute: perMinute(counts.recentSnapshots),
            readingsPerMinute: perMinute(counts.recentReadings),
            lastSnapshotAt: counts.lastSnapshotAt,
          },
          chain: { chainId: context.deployment.chainId, contracts: { ...context.deployment.contracts } },
          at: new Date(now).toISOString(),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/fleet/twins',
      operationId: 'searchTwins',
      summary: 'Search and sort the twins, with names, hostnames and models',
      description:
        '`q` matches a DeviceID prefix (`0x…`), or any part of the hostname, hardware model, owner or manufacturer ' +
        `name, ignoring case. Sorted by \`sort\` (${SORT_KEYS.join(', ')}) in \`order\`. Reads at most ` +
        `${DIRECTORY_MAX_TWINS} twins; hostnames and models come from the static documents on IPFS (cached).`,
      tag: 'fleet',
      query: directoryQuery,
      responses: {
        200: { description: 'A page of matching twins', schema: pageOf(directoryEntrySchema, 'DirectoryPage') },
        400: badInput,
      },
      handler: async ({ query }) => {
        const twins = await firstTwins(index, DIRECTORY_MAX_TWINS, {
          ...(query.state === undefined ? {} : { state: query.state }),
          ...(query.owner === undefined ? {} : { owner: query.owner }),
          ...(query.forSale === undefined ? {} : { forSale: query.forSale }),
        });
        const [entities, open, detections, snapshots] = await Promise.all([
          listEntities(index),
          openAlertsByDevice(index),
          latestOpenDetections(context),
          latestSnapshotsOf(
            index,
            twins.map((twin) => twin.deviceId),
          ),
        ]);
        const names = new Map(entities.map((entity) => [entity.account.toLowerCase(), entity.name]));
        const entries = await Promise.all(
          twins.map((twin, order) =>
            directoryEntry(readStatic, twin, order, names, open, detections, snapshots.get(twin.deviceId)),
          ),
        );
        const needle = query.q?.toLowerCase() ?? '';
        const matched = needle === '' ? entries : entries.filter((entry) => matches(entry.item, needle));
        matched.sort(comparator(query.sort, query.order));
        const start = (query.page - 1) * query.pageSize;
        return {
          items: matched.slice(start, start + query.pageSize).map((entry) => entry.item),
          total: matched.length,
          page: query.page,
          pageSize: query.pageSize,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/entities',
      operationId: 'listEntities',
      summary: 'Every registered entity, in registration order',
      description: 'What the dashboard names addresses with: manufacturers, owners and security entities.',
      tag: 'fleet',
      query: z.object({
        role: z.enum(ENTITY_ROLES).optional(),
        status: z.enum(ENTITY_STATUSES).optional(),
      }),
      responses: {
        200: {
          description: 'The entities',
          schema: z.object({ items: z.array(entitySchema) }).meta({ id: 'EntityList' }),
        },
        400: badInput,
      },
      handler: async ({ query }) => ({
        items: await listEntities(index, {
          ...(query.role === undefined ? {} : { role: query.role }),
          ...(query.status === undefined ? {} : { status: query.status }),
        }),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/alerts',
      operationId: 'listAllAlerts',
      summary: 'Security alerts across the fleet, newest change first (security entities)',
      description:
        "The security entities' inbox: every alert's latest state, `status` to keep open or closed ones. For a " +
        'signed-in security entity (`Authorization: Bearer`), since alerts carry their evidence.',
      tag: 'fleet',
      auth: 'bearer',
      query: z.object({
        status: z.enum(['open', 'closed']).optional(),
        limit: z.coerce.number().int().min(1).max(1_000).default(200),
      }),
      responses: {
        200: {
          description: 'The alerts',
          schema: z.object({ items: z.array(inboxAlertSchema) }).meta({ id: 'FleetAlertPage' }),
        },
        400: badInput,
        401: { description: 'Not signed in, or the token is bad or expired', schema: errorSchema },
        403: { description: 'Not a security entity', schema: errorSchema },
      },
      handler: async ({ query, req }) => {
        const session = await sessionOf(req, context.auth);
        assertSessionRole(session, ['security']);
        const all = (await alertsUpdatedSince(index, 0, 10_000)).reverse();
        const kept = query.status === undefined ? all : all.filter((alert) => alert.status === query.status);
        return { items: await withAcknowledgements(context, kept.slice(0, query.limit)) };
      },
    }),
  ];
}

type Detection = { behaviour: string; score: number; action: string; at: string };

/** The first `max` twins matching `filter`, in mint order (the store's pages are at most 500). */
async function firstTwins(index: Store, max: number, filter: Omit<ListTwinsQuery, 'page' | 'pageSize'>) {
  const twins: IndexedTwin[] = [];
  for (let page = 1; twins.length < max; page++) {
    const { items, total } = await listTwins(index, { ...filter, page, pageSize: 500 });
    twins.push(...items.slice(0, max - twins.length));
    if (items.length === 0 || page * 500 >= total) break;
  }
  return twins;
}

async function latestOpenDetections(context: ApiContext): Promise<Map<string, Detection>> {
  const detections = new Map<string, Detection>();
  // Oldest change first: the latest open alert of each twin wins.
  for (const alert of await alertsUpdatedSince(context.index, 0, 10_000)) {
    const key = alert.deviceId.toLowerCase();
    if (alert.status === 'open') {
      detections.set(key, {
        behaviour: alert.behaviour,
        score: alert.score,
        action: alert.action,
        at: alert.updatedAt,
      });
    }
  }
  return detections;
}

type DirectoryEntry = { order: number; item: ReturnType<typeof publicSummary> & DirectoryExtras };

/** The twin's public record and latest snapshot, as `twinSummary` lists them but without any device internals. */
function publicSummary(twin: IndexedTwin, snapshot: LatestSnapshotSummary | undefined) {
  return {
    ...twin,
    price: twin.price.toString(),
    latestSnapshot:
      snapshot === undefined
        ? null
        : { seq: snapshot.seq, collectedAt: snapshot.collectedAt, anchored: snapshot.anchored },
  };
}
type DirectoryExtras = {
  hostname: string | null;
  model: string | null;
  ownerName: string | null;
  manufacturerName: string | null;
  openAlerts: number;
  detection: Detection | null;
};

async function directoryEntry(
  readStatic: (cid: string) => Promise<Record<string, unknown> | null>,
  twin: IndexedTwin,
  order: number,
  names: Map<string, string>,
  open: Map<string, number>,
  detections: Map<string, Detection>,
  snapshot: LatestSnapshotSummary | undefined,
): Promise<DirectoryEntry> {
  const value = await readStatic(twin.staticCid);
  const document = value as { identity?: { hardwareModel?: unknown }; os?: { hostname?: unknown } } | null;
  const text = (field: unknown) => (typeof field === 'string' && field !== '' ? field : null);
  return {
    order,
    item: {
      ...publicSummary(twin, snapshot),
      hostname: text(document?.os?.hostname),
      model: text(document?.identity?.hardwareModel),
      ownerName: names.get(twin.owner.toLowerCase()) ?? null,
      manufacturerName: names.get(twin.manufacturer.toLowerCase()) ?? null,
      openAlerts: open.get(twin.deviceId.toLowerCase()) ?? 0,
      detection: detections.get(twin.deviceId.toLowerCase()) ?? null,
    },
  };
}

function matches(item: DirectoryEntry['item'], needle: string): boolean {
  if (needle.startsWith('0x')) {
    if (item.deviceId.toLowerCase().startsWith(needle)) return true;
    return item.owner.toLowerCase().startsWith(needle);
  }
  return [item.hostname, item.model, item.ownerName, item.manufacturerName].some(
    (field) => field !== null && field.toLowerCase().includes(needle),
  );
}

function comparator(sort: (typeof SORT_KEYS)[number], order: 'asc' | 'desc') {
  const key = (entry: DirectoryEntry): string | number => {
    const { item } = entry;
    switch (sort) {
      case 'device':
        return item.deviceId;
      case 'hostname':
        return item.hostname?.toLowerCase() ?? '\uffff';
      case 'model':
        return item.model?.toLowerCase() ?? '\uffff';
      case 'owner':
        return (item.ownerName ?? item.owner).toLowerCase();
      case 'state':
        return TWIN_STATES.indexOf(item.state);
      case 'snapshot':
        return item.latestSnapshot === null ? 0 : Date.parse(item.latestSnapshot.collectedAt);
      case 'alerts':
        return item.openAlerts;
      default:
        return entry.order;
    }
  };
  const sign = order === 'asc' ? 1 : -1;
  return (a: DirectoryEntry, b: DirectoryEntry) => {
    const ka = key(a);
    const kb = key(b);
    if (ka < kb) return -sign;
    if (ka > kb) return sign;
    return a.order - b.order;
  };
}
