import { z } from 'zod';
import type { AnyRoute } from '../http/defineRoute';

type JsonSchema = Record<string, unknown>;

/** Parameters of {@link buildOpenApi}. */
export type BuildOpenApiParameters = {
  routes: readonly AnyRoute[];
  /** Base path of every route, e.g. `/api/v1`. */
  basePath: string;
  version: string;
  /** Public server URL, when known. */
  serverUrl?: string;
};

/**
 * The OpenAPI 3.1 document of the API, generated from the same zod schemas that validate the requests: path and
 * query parameters, JSON bodies, every documented response, and the two ways to authorise (a sign-in token; an
 * EIP-712 request signed by the user). Named schemas (`.meta({ id })`) become `components.schemas`.
 *
 * @example
 * app.get('/api/v1/openapi.json', (_req, res) => res.json(buildOpenApi({ routes, basePath: '/api/v1', version })))
 */
export function buildOpenApi(parameters: BuildOpenApiParameters): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema =>
    hoist(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema, components);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of parameters.routes) {
    const path = `${route.absolutePath ? '' : parameters.basePath}${route.path}`.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      parameters: [
        ...objectParameters(route.params, 'path', convert),
        ...objectParameters(route.query, 'query', convert),
      ],
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: convert(route.body, 'input') } } } }
        : {}),
      ...(route.rawBody
        ? {
            requestBody: {
              required: true,
              description: route.rawBody.description,
              content: { [route.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } },
            },
          }
        : {}),
      ...(route.auth === 'bearer' ? { security: [{ signInToken: [] }] } : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.schema || response.contentType
              ? {
                  content: {
                    [response.contentType ?? 'application/json']: response.schema
                      ? { schema: convert(response.schema, 'output') }
                      : {},
                  },
                }
              : {}),
          },
        ]),
      ),
    };
    (paths[path] ??= {})[route.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Twin Registry API',
      version: parameters.version,
      description:
        'The merged view of blockchain-anchored IoT device twins (chain + IPFS + latest snapshot), with proofs ' +
        'checked live on chain, device commands for signed-in owners and security entities, and chain writes ' +
        'relayed as EIP-712 requests the user signs (the API holds no user key). Errors: `{ error: { code, ' +
        'message, details } }`.',
    },
    ...(parameters.serverUrl ? { servers: [{ url: parameters.serverUrl }] } : {}),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        signInToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'From `POST /auth/sign-in` with a Sign-In with Ethereum (EIP-4361) message; short-lived.',
        },
      },
    },
  };
}

function objectParameters(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  convert: (schema: z.ZodType, io: 'input' | 'output') => JsonSchema,
): unknown[] {
  if (schema === undefined) return [];
  const json = convert(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

/** Moves a converted schema's `$defs` into the components and points its references there. */
function hoist(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  const { $schema: _ignored, $defs, ...rest } = schema as JsonSchema & { $defs?: Record<string, JsonSchema> };
  for (const [name, definition] of Object.entries($defs ?? {})) components[name] = rewrite(definition) as JsonSchema;
  const id = (rest as { id?: unknown }).id;
  if (typeof id === 'string') {
    const { id: _id, ...body } = rest as JsonSchema & { id: string };
    components[id] = rewrite(body) as JsonSchema;
    return { $ref: `#/components/schemas/${id}` };
  }
  return rewrite(rest) as JsonSchema;
}

function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      key === '$ref' && typeof item === 'string' ? item.replace('#/$defs/', '#/components/schemas/') : rewrite(item),
    ]),
  );
}
