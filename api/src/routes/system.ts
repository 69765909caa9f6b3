import { indexTotals } from '../../../store/src';
import { formatEther, parseEther } from 'ethers';
import { z } from 'zod';
import type { ApiContext, ComponentHealth } from '../context';
import { defineRoute, type AnyRoute } from '../http/defineRoute';
import { buildOpenApi } from '../openapi/buildOpenApi';
import { rawCidV1 } from '../../../twin-core/src/encoding/rawCid';

/** A CID asked about to probe the IPFS store (any answer, held or not, means it is reachable). */
const PROBE_CID = rawCidV1(new Uint8Array());

const componentSchema = z.object({ up: z.boolean(), detail: z.string() });
const healthSchema = z
  .object({
    status: z.enum(['up', 'degraded']).meta({ description: 'From chain, broker, IPFS and index (not the relayer)' }),
    components: z.object({
      chain: componentSchema,
      broker: componentSchema,
      ipfs: componentSchema,
      index: componentSchema,
    }),
    relayer: z
      .object({
        configured: z.boolean(),
        address: z.string().nullable(),
        balanceWei: z.string().nullable(),
        lowBalance: z.boolean().meta({ description: 'Below `API_RELAYER_LOW_BALANCE_ETH`: top it up' }),
        detail: z.string(),
      })
      .meta({ description: 'The relayer paying users’ gas; a low balance shows here without failing the check' }),
    reads: z.enum(['private', 'open']).meta({
      description:
        "`private`: device internals for the twin's owner, manufacturer and security entities only; `open`: the " +
        'demo switch `API_OPEN_READS` is on and everyone reads them',
    }),
  })
  .meta({ id: 'Health' });

/** Runs `check` with a deadline; a timeout or an error is "down" with the reason. */
async function probe(check: () => Promise<string>, timeoutMs = 2_000): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      check(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { up: true, detail };
  } catch (error) {
    return { up: false, detail: (error as Error).message.split('\n')[0]! };
  } finally {
    clearTimeout(timer);
  }
}

/** The health of each part the API depends on, checked now. */
export async function checkHealth(context: ApiContext) {
  const [chain, ipfs, index] = await Promise.all([
    probe(async () => {
      const block = await context.provider.getBlockNumber();
      return `block ${block} on chain ${context.deployment.chainId}`;
    }),
    probe(async () => {
      // Any answer about a blob is an answer: the store is reachable.
      await context.store.has(PROBE_CID);
      return context.store.describe();
    }),
    probe(async () => {
      const totals = await indexTotals(context.index);
      return (
        `PostgreSQL ${Math.floor(context.index.serverVersion / 10_000)}, schema v${context.index.schemaVersion}, ` +
        `${totals.twins} twins, mirrored to block ${totals.mirroredBlock ?? 'none'}`
      );
    }),
  ]);
  const components = { chain, broker: context.brokerHealth(), ipfs, index };
  const up = Object.values(components).every((component) => component.up);
  return {
    status: up ? ('up' as const) : ('degraded' as const),
    components,
    relayer: await relayerHealth(context),
    reads: context.config.openReads ? ('open' as const) : ('private' as const),
  };
}

/** The relayer's account and balance, and whether it is below the low-balance threshold. */
async function relayerHealth(context: ApiContext) {
  const { relayer } = context;
  if (relayer === undefined) {
    return {
      configured: false,
      address: null,
      balanceWei: null,
      lowBalance: false,
      detail: 'no relayer key (API_RELAYER_KEY): the relay answers 503',
    };
  }
  const address = await relayer.address();
  const threshold = parseEther(String(context.config.relayerLowBalanceEth));
  let balance: bigint;
  try {
    balance = await relayer.balance();
  } catch (error) {
    return {
      configured: true,
      address,
      balanceWei: null,
      lowBalance: false,
      detail: `balance unknown: ${(error as Error).message.split('\n')[0]}`,
    };
  }
  const low = balance < threshold;
  return {
    configured: true,
    address,
    balanceWei: balance.toString(),
    lowBalance: low,
    detail: `${formatEther(balance)} ETH${low ? `, below ${formatEther(threshold)} ETH: top it up` : ''}`,
  };
}

/**
 * The system routes: health, Prometheus metrics and the OpenAPI document (built from every route given).
 *
 * @example
 * mountRoutes(router, systemRoutes(context, () => allRoutes, version))
 */
export function systemRoutes(context: ApiContext, allRoutes: () => readonly AnyRoute[], version: string) {
  let document: unknown;
  return [
    defineRoute({
      method: 'get',
      path: '/health',
      operationId: 'getHealth',
      summary: 'Health of the chain, broker, IPFS and index',
      description: '200 when every component is up, 503 otherwise; each component says why.',
      tag: 'system',
      responses: {
        200: { description: 'All up', schema: healthSchema },
        503: { description: 'Some component is down', schema: healthSchema },
      },
      handler: async ({ res }) => {
        const health = await checkHealth(context);
        res.status(health.status === 'up' ? 200 : 503).json(health);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/metrics',
      operationId: 'getMetrics',
      summary: 'Prometheus metrics',
      description:
        'Messages in, rejections by reason, anchored batch sizes and time to anchor, gas spent, API latency.',
      tag: 'system',
      responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain; version=0.0.4' } },
      handler: async ({ res }) => {
        res.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApi',
      summary: 'This OpenAPI 3.1 document',
      tag: 'system',
      responses: { 200: { description: 'The OpenAPI document', contentType: 'application/json' } },
      handler: () =>
        (document ??= buildOpenApi({
          routes: allRoutes(),
          basePath: '/api/v1',
          version,
          ...(context.config.publicUrl ? { serverUrl: context.config.publicUrl } : {}),
        })),
    }),
  ];
}
