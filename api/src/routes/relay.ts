import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { defineRoute } from '../http/defineRoute';
import {
  prepareBodySchema,
  relayBodySchema,
  relayResultSchema,
  typedForwardRequestSchema,
} from '../relay/forwardRequest';
import { addressParams, deviceIdParams, errorSchema } from '../schemas/common';
import { z } from 'zod';

const relayResponses = {
  200: { description: 'Relayed and mined', schema: relayResultSchema },
  400: { description: 'Invalid, expired, or not an allowed action', schema: errorSchema },
  401: { description: 'The signature does not match the request or its nonce', schema: errorSchema },
  409: {
    description: 'The request is being relayed already, by this instance or another (sent once)',
    schema: errorSchema,
  },
  422: { description: 'The registry would revert; details name the custom error', schema: errorSchema },
  429: {
    description: "The signer's relay budget (gas or requests per window) is spent: what is left, when it refills",
    schema: errorSchema,
  },
  503: { description: 'No relayer configured, or the chain or the index is unreachable', schema: errorSchema },
};

/**
 * The relay routes: user writes to the chain (list, delist, buy from a deposit, record update, set state, report
 * lost or found, deactivate, request review, withdraw) as EIP-712 `ForwardRequest`s the user signs; the API checks and
 * submits them through the ERC-2771 forwarder, paying the gas. It holds no user's key.
 *
 * @example
 * mountRoutes(router, relayRoutes(context))
 */
export function relayRoutes(context: ApiContext) {
  const relayer = () => {
    if (context.relayer === undefined) {
      throw new ApiError('This API relays no transactions: it has no relayer key.', {
        status: 503,
        code: 'relayer-not-configured',
        details: 'set API_RELAYER_KEY',
      });
    }
    return context.relayer;
  };
  return [
    defineRoute({
      method: 'post',
      path: '/relay/prepare',
      operationId: 'prepareRelay',
      summary: 'The EIP-712 request to sign for an action',
      description:
        "Reads the signer's forwarder nonce and estimates the gas; returns `domain`, `types` and `message` for " +
        '`signTypedData`. Send the signed result to `POST /relay` (or `PUT /twins/{deviceId}/state`).',
      tag: 'relay',
      body: prepareBodySchema,
      responses: {
        200: { description: 'The typed data to sign', schema: typedForwardRequestSchema },
        400: relayResponses[400],
        422: relayResponses[422],
        503: relayResponses[503],
      },
      handler: ({ body }) => relayer().prepare(body),
    }),
    defineRoute({
      method: 'post',
      path: '/relay',
      operationId: 'relay',
      summary: 'Relay a signed request through the forwarder',
      description:
        'Checked before any gas is spent: target, action, deadline, signature and nonce, then a dry run whose ' +
        'revert is returned decoded (422). Answers once the transaction is mined.',
      tag: 'relay',
      auth: 'eip712',
      body: relayBodySchema,
      responses: relayResponses,
      handler: ({ body }) => relayer().relay(body),
    }),
    defineRoute({
      method: 'get',
      path: '/relay/budget/:address',
      operationId: 'getRelayBudget',
      summary: "An entity's relay budget: gas and requests left in this window, and when they refill",
      description:
        'Each signer may have `API_RELAY_BUDGET_GAS` gas and `API_RELAY_BUDGET_REQUESTS` requests relayed per ' +
        '`API_RELAY_BUDGET_WINDOW_SECONDS`; beyond, `POST /relay` answers 429 before broadcasting.',
      tag: 'relay',
      params: addressParams,
      responses: {
        200: {
          description: 'The standing',
          schema: z
            .object({
              entity: z.string(),
              windowSeconds: z.number(),
              limit: z.object({ gas: z.string(), requests: z.number().int() }),
              used: z.object({ gas: z.string(), requests: z.number().int() }),
              remaining: z.object({ gas: z.string(), requests: z.number().int() }),
              refillsAt: z.string(),
            })
            .meta({ id: 'RelayBudget' }),
        },
        400: relayResponses[400],
        503: { description: 'No relayer configured, or the index is unreachable', schema: errorSchema },
      },
      handler: async ({ params }) => {
        const standing = await relayer().budgetOf(params.address);
        if (standing !== undefined) return standing;
        throw new ApiError('This relayer has no budgets.', { status: 404, code: 'relay-budget-none' });
      },
    }),
    defineRoute({
      method: 'put',
      path: '/twins/:deviceId/lifecycle',
      operationId: 'setTwinLifecycle',
      summary: "Change a twin's lifecycle state on chain (security entities), as a signed relayed request",
      description:
        'The body is a relay of `setState` for this DeviceID signed by a security entity (prepare it with ' +
        '`POST /relay/prepare`, action `setState`); the contract checks the role and emits `TwinStateChanged`, ' +
        'which notifies the owner.',
      tag: 'twins',
      auth: 'eip712',
      params: deviceIdParams,
      body: relayBodySchema,
      responses: relayResponses,
      handler: ({ params, body }) => relayer().relay(body, { actions: ['setState'], deviceId: params.deviceId }),
    }),
  ];
}
