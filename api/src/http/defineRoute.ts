import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';

/** How a route is authorised, as the OpenAPI document states it. */
export type RouteAuth = 'none' | 'bearer' | 'eip712';

/** One documented response of a route. */
export type RouteResponse = {
  description: string;
  /** The JSON body's schema; omitted for bodies that are not JSON (event streams, metrics text). */
  schema?: z.ZodType;
  /** Default `application/json`. */
  contentType?: string;
};

/** What a handler gets: the validated parameters, query and body, and the raw request and response. */
export type RouteInput<params, query, body> = {
  params: params;
  query: query;
  body: body;
  req: Request;
  res: Response;
};

/**
 * One API route, the single source of its validation and of its OpenAPI description. The handler's result is sent
 * as JSON with `status` (default 200), a `JsonBody` (`http/jsonBody.ts`) as the bytes it holds; a handler that writes
 * the response itself (an event stream, metrics text) returns undefined.
 */
export type RouteDefinition<
  paramsSchema extends z.ZodType = z.ZodType,
  querySchema extends z.ZodType = z.ZodType,
  bodySchema extends z.ZodType = z.ZodType,
> = {
  method: 'get' | 'post' | 'put' | 'patch';
  /** Express path under the base path, e.g. `/twins/:deviceId`; from the server's root with `absolutePath`. */
  path: string;
  /** The path is from the server's root, not under the base path (the IPFS gateway's `/ipfs/:cid`). */
  absolutePath?: boolean;
  /** A body that is not JSON (read raw): its content type and what it is, for the OpenAPI document. */
  rawBody?: { contentType: string; description: string };
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  auth?: RouteAuth;
  params?: paramsSchema;
  query?: querySchema;
  body?: bodySchema;
  /** Express middleware run before validation (a route's own rate limit). */
  middleware?: RequestHandler[];
  /** Status of a successful answer (default 200). */
  status?: number;
  responses: Record<number, RouteResponse>;
  handler: (
    input: RouteInput<z.output<paramsSchema>, z.output<querySchema>, z.output<bodySchema>>,
  ) => unknown | Promise<unknown>;
};

/**
 * Declares a route with its zod schemas; {@link mountRoutes} validates requests with them and the OpenAPI
 * document is generated from them.
 *
 * @example
 * export const getEntity = defineRoute({ method: 'get', path: '/entities/:address', operationId: 'getEntity',
 *   summary: 'One entity', tag: 'entities', params: addressParams, responses: { 200: { description: 'The entity',
 *   schema: entitySchema } }, handler: ({ params }) => entityOf(params.address) })
 */
export function defineRoute<
  paramsSchema extends z.ZodType = z.ZodType,
  querySchema extends z.ZodType = z.ZodType,
  bodySchema extends z.ZodType = z.ZodType,
>(
  definition: RouteDefinition<paramsSchema, querySchema, bodySchema>,
): RouteDefinition<paramsSchema, querySchema, bodySchema> {
  return definition;
}

/** A route of any schemas, as lists of routes hold them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDefinition<any, any, any>;
