import type { Request } from 'express';
import {
  buildTopology,
  observeSnapshot,
  redactTopology,
  redactWhatIf,
  topologyAround,
  topologySnapshotSchema,
  whatIf,
  type DeviceObservation,
} from '../../../analytics/src';
import { getEntity, getTwin, latestSnapshot, listTwins, type IndexedTwin } from '../../../oracle/src/index';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { errorSchema } from '../schemas/common';
import { topologyQuery, topologySchema, whatIfQuery, whatIfSchema } from '../schemas/topology';
import { sessionOf } from './auth';

/** The most twins the model reads (the first minted); the rest are left out and counted as such. */
export const TOPOLOGY_MAX_TWINS = 5_000;
/** Snapshots read from IPFS at once while building the model. */
const READ_CONCURRENCY = 8;
/** How long one snapshot read from IPFS may take, ms. */
const READ_TIMEOUT_MS = 3_000;
/** How long a built graph answers requests before it is built again, ms (snapshots come every 30 s by default). */
export const TOPOLOGY_REBUILD_MS = 2_000;

/** Who is asking: an approved entity signed in, or the public (both null). */
export type TopologyViewer = { address: string | null; role: string | null };

/**
 * The caller, from an optional `Authorization: Bearer` token: none is the public; a bad or expired token is a 401
 * (never silently the public view), an entity no longer approved a 403.
 */
async function viewerOf(req: Request, context: ApiContext): Promise<TopologyViewer> {
  if (req.get('authorization') === undefined) return { address: null, role: null };
  const session = await sessionOf(req, context.auth);
  const entity = getEntity(context.index, session.address);
  if (entity === undefined || entity.status !== 'approved') {
    throw new ApiError('Your entity is no longer approved.', {
      status: 403,
      code: 'entity-not-approved',
      details: { address: session.address, status: entity?.status ?? null },
    });
  }
  return { address: session.address, role: entity.role };
}

/**
 * Whether `viewer` may read the internals (addresses, flows, peers) of `twin`: its owner, its manufacturer, or an
 * approved security entity. The public reads no twin's internals.
 *
 * TODO(lead): replace with the API's one access rule for device internals once it lands (the `api` helper's).
 */
export function mayReadInternals(viewer: TopologyViewer, twin: Pick<IndexedTwin, 'owner' | 'manufacturer'>): boolean {
  if (viewer.address === null) return false;
  if (viewer.role === 'security') return true;
  const address = viewer.address.toLowerCase();
  return twin.owner.toLowerCase() === address || twin.manufacturer.toLowerCase() === address;
}

/**
 * The topology routes (seed 002's network model, issue 17 item 4): the fleet graph built from each twin's latest
 * snapshot, around one twin, and the what-if of isolating twins. Each twin's internals show only to a caller who may
 * read them; the public sees the twins and which of them are linked.
 *
 * @example
 * mountRoutes(router, topologyRoutes(context))
 */
export function topologyRoutes(context: ApiContext) {
  const { index } = context;
  /** Each twin's latest observation, by the snapshot's seq (a snapshot never changes once stored). */
  const observed = new Map<string, { seq: number; observation: DeviceObservation }>();

  let built: { at: number; graph: ReturnType<typeof buildFleet> } | undefined;
  /** The graph, built at most once per {@link TOPOLOGY_REBUILD_MS}; concurrent requests share one build. */
  function fleet(): ReturnType<typeof buildFleet> {
    if (built === undefined || Date.now() - built.at >= TOPOLOGY_REBUILD_MS) {
      const graph = buildFleet();
      built = { at: Date.now(), graph };
      graph.catch(() => (built = undefined));
    }
    return built.graph;
  }

  async function buildFleet() {
    const twins: IndexedTwin[] = [];
    for (let page = 1; twins.length < TOPOLOGY_MAX_TWINS; page++) {
      const { items, total } = listTwins(index, { page, pageSize: 500 });
      twins.push(...items.slice(0, TOPOLOGY_MAX_TWINS - twins.length));
      if (page * 500 >= total) break;
    }
    const observations: DeviceObservation[] = [];
    const unreadable: Array<{ deviceId: string; reason: string }> = [];
    let withoutSnapshot = 0;
    const queue = [...twins];
    const worker = async () => {
      for (let twin = queue.shift(); twin !== undefined; twin = queue.shift()) {
        const snapshot = latestSnapshot(index, twin.deviceId);
        if (snapshot === undefined) {
          withoutSnapshot++;
          continue;
        }
        const cached = observed.get(twin.deviceId);
        if (cached?.seq === snapshot.seq) {
          observations.push(cached.observation);
          continue;
        }
        const { value, error } = await context.documents.read(snapshot.cid, READ_TIMEOUT_MS);
        if (value === null) {
          unreadable.push({ deviceId: twin.deviceId, reason: `IPFS: ${error}` });
          continue;
        }
        const parsed = topologySnapshotSchema.safeParse((value as { body?: unknown }).body);
        if (!parsed.success) {
          unreadable.push({ deviceId: twin.deviceId, reason: formatIssues(parsed.error.issues, 'body').join('; ') });
          continue;
        }
        const observation = observeSnapshot(twin.deviceId, parsed.data);
        observed.set(twin.deviceId, { seq: snapshot.seq, observation });
        observations.push(observation);
      }
    };
    await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
    const topology = buildTopology({ observations, twins });
    return {
      topology,
      twins: new Map(twins.map((twin) => [twin.deviceId as string, twin])),
      sources: { twins: twins.length, snapshots: observations.length, withoutSnapshot, unreadable },
    };
  }

  const access = (viewer: TopologyViewer, twins: Map<string, IndexedTwin>) => {
    const readable = new Set(
      [...twins.values()].filter((twin) => mayReadInternals(viewer, twin)).map((twin) => twin.deviceId as string),
    );
    return { mayRead: (deviceId: string) => readable.has(deviceId), viewer: { ...viewer, internalsOf: readable.size } };
  };
  const requireTwins = (deviceIds: readonly string[]) => {
    const missing = deviceIds.filter((deviceId) => getTwin(index, deviceId) === undefined);
    if (missing.length > 0) {
      throw new ApiError('Twin not found.', { status: 404, code: 'twin-not-found', details: { deviceIds: missing } });
    }
  };
  const common = {
    400: { description: 'Invalid query; the message names each bad field', schema: errorSchema },
    401: { description: 'A bearer token was sent and is bad or expired', schema: errorSchema },
    403: { description: "The token's entity is no longer approved", schema: errorSchema },
    404: { description: 'No such twin', schema: errorSchema },
  };
  const privacy =
    "Public, with an optional `Authorization: Bearer` token from `POST /auth/sign-in`: a twin's internals " +
    '(addresses, flows, peers, the hosts it reaches) show only to its owner, its manufacturer and approved security ' +
    'entities; anyone else sees the twins and which of them are linked (`kind: link`, `redacted: true`).';

  return [
    defineRoute({
      method: 'get',
      path: '/topology',
      operationId: 'getTopology',
      summary: "The fleet's network graph, or the part around one twin",
      description:
        "Built from each twin's latest snapshot (interfaces, routes, ARP, sockets): twins, gateways, peers on a " +
        "twin's own link and outside hosts as nodes; `route`, `neighbour` and `flow` links with connections, bytes " +
        'and packets where the device counts them, and the time last seen. ' +
        privacy,
      tag: 'topology',
      query: topologyQuery,
      responses: { 200: { description: 'The graph', schema: topologySchema }, ...common },
      handler: async ({ query, req }) => {
        const viewer = await viewerOf(req, context);
        if (query.around !== undefined) requireTwins([query.around]);
        const { topology, twins, sources } = await fleet();
        const { mayRead, viewer: seen } = access(viewer, twins);
        const full = redactTopology(topology, mayRead);
        const view = query.around === undefined ? full : topologyAround(full, query.around, query.depth);
        return {
          generatedAt: view.generatedAt,
          around: query.around ?? null,
          depth: query.around === undefined ? null : query.depth,
          viewer: seen,
          sources,
          nodes: view.nodes,
          links: view.links,
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/topology/what-if',
      operationId: 'topologyWhatIf',
      summary: 'What stops if these twins are suspended or cut off',
      description:
        "Which other twins lose a gateway (directly, or because their gateway's own uplink runs through an isolated " +
        'twin) or peers, and which flows stop (an end isolated, or the gateway they leave through lost). ' +
        privacy +
        ' Stopped flows list only those a twin readable by the caller observed.',
      tag: 'topology',
      query: whatIfQuery,
      responses: { 200: { description: 'The consequences', schema: whatIfSchema }, ...common },
      handler: async ({ query, req }) => {
        const viewer = await viewerOf(req, context);
        const isolate = [...new Set(query.isolate)];
        requireTwins(isolate);
        const { topology, twins } = await fleet();
        const { mayRead, viewer: seen } = access(viewer, twins);
        const answer = redactWhatIf(whatIf(topology, isolate), topology, mayRead);
        return { generatedAt: topology.generatedAt, viewer: seen, ...answer };
      },
    }),
  ];
}
