import { Wallet } from 'ethers';
import { z } from 'zod';
import { getEntity } from '../../../store/src';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute, type AnyRoute } from '../http/defineRoute';
import { errorSchema } from '../schemas/common';

/** The chains demo keys may be served on: Hardhat's and Ganache's local development chains. */
export const DEVELOPMENT_CHAIN_IDS = [31337, 1337] as const;

/** What the page's own transactions need from the chain (a deposit, a mint): nothing else is forwarded. */
export const DEMO_RPC_METHODS = [
  'eth_chainId',
  'net_version',
  'eth_blockNumber',
  'eth_getBlockByNumber',
  'eth_getBalance',
  'eth_getTransactionCount',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_estimateGas',
  'eth_call',
  'eth_sendRawTransaction',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
] as const;

const demoAccountSchema = z
  .object({
    label: z.string(),
    address: z.string(),
    role: z.string().nullable().meta({ description: "The entity's registered role, null when not registered" }),
    name: z.string().nullable(),
    privateKey: z.string().meta({ description: 'A development key of the local chain: never a real key' }),
  })
  .meta({ id: 'DemoAccount' });

const rpcRequestSchema = z.strictObject({
  jsonrpc: z.literal('2.0'),
  id: z.union([z.number().int(), z.string().max(64)]),
  method: z.enum(DEMO_RPC_METHODS),
  params: z.array(z.unknown()).max(8).default([]),
});

/**
 * The demo routes, mounted only when `demoAccounts` is configured (as `npm start` does): the demo cast's
 * development keys, for the dashboard's "sign in with a development key", and a JSON-RPC forwarder limited to
 * {@link DEMO_RPC_METHODS} for the page's own transactions. Throws when keys are configured on a chain that is not a
 * local development chain, so the API does not start.
 *
 * @example
 * mountRoutes(router, demoRoutes(context)) // [] unless API_DEMO_ACCOUNTS is set
 */
export function demoRoutes(context: ApiContext): AnyRoute[] {
  const accounts = context.config.demoAccounts;
  if (accounts.length === 0) return [];
  const chainId = Number(context.deployment.chainId);
  if (!(DEVELOPMENT_CHAIN_IDS as readonly number[]).includes(chainId)) {
    throw new ApiError(
      `API_DEMO_ACCOUNTS is set but chain ${chainId} is not a local development chain ` +
        `(${DEVELOPMENT_CHAIN_IDS.join(' or ')}): demo keys are never served elsewhere.`,
      { status: 500, code: 'demo-accounts-refused', details: { chainId } },
    );
  }
  if (!/^https?:/.test(context.config.rpcUrl)) {
    throw new ApiError('API_DEMO_ACCOUNTS needs an http(s) RPC_URL to forward the demo transactions to.', {
      status: 500,
      code: 'demo-accounts-refused',
      details: { rpcUrl: context.config.rpcUrl },
    });
  }
  const wallets = accounts.map((account) => ({ label: account.label, wallet: new Wallet(account.key) }));
  return [
    defineRoute({
      method: 'get',
      path: '/demo/accounts',
      operationId: 'listDemoAccounts',
      summary: "The demo cast's development keys (demo only)",
      description:
        'Exists only when the API runs with `API_DEMO_ACCOUNTS` on a local development chain (`npm start`): ' +
        "Hardhat's well-known development keys, so the dashboard can sign in as the demo cast. Never real keys.",
      tag: 'demo',
      responses: {
        200: {
          description: 'The development accounts',
          schema: z.object({ development: z.literal(true), items: z.array(demoAccountSchema) }),
        },
      },
      handler: async () => ({
        development: true as const,
        items: await Promise.all(
          wallets.map(async ({ label, wallet }) => {
            const entity = await getEntity(context.index, wallet.address);
            return {
              label,
              address: wallet.address,
              role: entity?.role ?? null,
              name: entity?.name ?? null,
              privateKey: wallet.privateKey,
            };
          }),
        ),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/demo/rpc',
      operationId: 'demoRpc',
      summary: "Forward one JSON-RPC call of the page's own transactions to the chain (demo only)",
      description:
        'For a page signed in with a development key: the transactions that cannot be relayed (a deposit, a ' +
        `mint) are signed in the page and sent here. Only ${DEMO_RPC_METHODS.join(', ')}; one call per request.`,
      tag: 'demo',
      body: rpcRequestSchema,
      responses: {
        200: { description: 'The JSON-RPC answer, result or error, as the chain gave it' },
        400: { description: 'Not a single JSON-RPC call of an allowed method', schema: errorSchema },
        502: { description: 'The chain did not answer', schema: errorSchema },
      },
      handler: async ({ body, res }) => {
        let answer: unknown;
        try {
          const response = await fetch(context.config.rpcUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(15_000),
          });
          answer = await response.json();
        } catch (error) {
          throw new ApiError('The chain did not answer.', {
            status: 502,
            code: 'chain-unavailable',
            details: { reason: (error as Error).message.split('\n')[0] },
            cause: error,
          });
        }
        res.json(answer);
        return undefined;
      },
    }),
  ];
}
