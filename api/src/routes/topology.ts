import {
  buildTopology,
  observeSnapshot,
  redactTopology,
  redactWhatIf,
  topologyAround,
  topologySnapshotSchema,
  TopologyQueryError,
  whatIf,
  type DeviceObservation,
} from '../../../analytics/src';
import { getTwins, latestSnapshot, listTwins, type IndexedTwin } from '../../../store/src';
import { canReadTwin, readerOf, type Reader } from '../access/reader';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import { errorSchema } from '../schemas/common';
import { topologyQuery, topologySchema, whatIfQuery, whatIfSchema } from '../schemas/topology';

/** The most twins the model reads (the first minted); the rest are left out and counted as such. */
export const TOPOLOGY_MAX_TWINS = 5_000;
/** Snapshots read from IPFS at once while building the model. */
const READ_CONCURRENCY = 8;
/** How long one snapshot read from IPFS may take, ms. */
const READ_TIMEOUT_MS = 3_000;
/** How long a built graph answers requests before it is built again, ms (snapshots come every 30 s by default). */
export const TOPOLOGY_REBUILD_MS = 2_000;

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
    let registered = 0;
    for (let page = 1; twins.length < TOPOLOGY_MAX_TWINS; page++) {
      const { items, total } = await listTwins(index, { page, pageSize: 500 });
      registered = total;
      twins.push(...items.slice(0, TOPOLOGY_MAX_TWINS - twins.length));
      if (page * 500 >= total) break;
    }
    const observations: DeviceObservation[] = [];
    const unreadable: Array<{ deviceId: string; reason: string }> = [];
    let withoutSnapshot = 0;
    const queue = [...twins];
    const worker = async () => {
      for (let twin = queue.shift(); twin !== undefined; twin = queue.shift()) {
        const snapshot = await latestSnapshot(index, twin.deviceId);
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
    // Keep the observations of the twins there are (a twin undone by a reorganisation leaves).
    const current = new Set(twins.map((twin) => twin.deviceId as string));
    for (const deviceId of observed.keys()) if (!current.has(deviceId)) observed.delete(deviceId);
    const topology = buildTopology({ observations, twins });
    return {
      topology,
      twins: new Map(twins.map((twin) => [twin.deviceId as string, twin])),
      sources: {
        twins: twins.length,
        twinsLeftOut: registered - twins.length,
        snapshots: observations.length,
        withoutSnapshot,
        unreadable,
      },
    };
  }

  /** Which twins' internals the reader sees (the API's one rule, `canReadTwin`), and who the reader is. */
  const access = (reader: Reader, twins: Map<string, IndexedTwin>) => {
    const readable = new Set(
      [...twins.values()].filter((twin) => canReadTwin(reader, twin)).map((twin) => twin.deviceId as string),
    );
    const viewer = {
      address: reader.session?.address ?? null,
      role: reader.entity?.role ?? null,
      internalsOf: readable.size,
    };
    return { mayRead: (deviceId: string) => readable.has(deviceId), viewer };
  };
  /** Runs a graph query, a node the graph lacks (a twin beyond {@link TOPOLOGY_MAX_TWINS}) answered 404. */
  const graphQuery = <result>(run: () => result): result => {
    try {
      return run();
    } catch (error) {
      if (!(error instanceof TopologyQueryError)) throw error;
      throw new ApiError('The twin is not in the topology.', {
        status: 404,
        code: 'twin-not-in-topology',
        details: { deviceIds: error.unknown, maxTwins: TOPOLOGY_MAX_TWINS },
        cause: error,
      });
    }
  };
  const requireTwins = async (deviceIds: readonly string[]) => {
    const known = await getTwins(index, deviceIds);
    const missing = deviceIds.filter((deviceId) => !known.has(deviceId.toLowerCase() as `0x${string}`));
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
        const reader = await readerOf(req, context);
        if (query.around !== undefined) await requireTwins([query.around]);
        const { topology, twins, sources } = await fleet();
        const { mayRead, viewer: seen } = access(reader, twins);
        const full = redactTopology(topology, mayRead);
        const around = query.around;
        const view = around === undefined ? full : graphQuery(() => topologyAround(full, around, query.depth));
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
      summary: 'What stops if these twins are suspended or cut off (or what the current suspensions cut off)',
      description:
        "Which other twins lose a gateway (directly, or because their gateway's own uplink runs through an isolated " +
        'twin) or peers, and which flows stop (an end isolated, or the gateway they leave through lost). ' +
        privacy +
        ' Stopped flows list only those a twin readable by the caller observed. `suspended=true` adds every twin ' +
        'suspended on chain now to `isolate`.',
      tag: 'topology',
      query: whatIfQuery,
      responses: { 200: { description: 'The consequences', schema: whatIfSchema }, ...common },
      handler: async ({ query, req }) => {
        const reader = await readerOf(req, context);
        const named = query.isolate ?? [];
        await requireTwins(named);
        const { topology, twins } = await fleet();
        const suspended = query.suspended
          ? [...twins.values()].filter((twin) => twin.state === 'suspended').map((twin) => twin.deviceId as string)
          : [];
        const isolate = [...new Set([...named, ...suspended])];
        const { mayRead, viewer: seen } = access(reader, twins);
        const answer = redactWhatIf(
          graphQuery(() => whatIf(topology, isolate)),
          topology,
          mayRead,
        );
        return { generatedAt: topology.generatedAt, viewer: seen, ...answer };
      },
    }),
  ];
}
