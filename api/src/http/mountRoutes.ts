import type { NextFunction, Request, Response, Router } from 'express';
import type { z } from 'zod';
import { formatIssues } from '../../../twin-core/src/errors/parseOrThrow';
import { ApiError } from '../errors';
import type { AnyRoute } from './defineRoute';
import { JsonBody, sendJsonBody } from './jsonBody';

/**
 * Mounts each route on `router`: parameters, query and body validated by the route's zod schemas (a 400
 * `invalid-input` naming each bad field otherwise), then the handler, whose result is sent as JSON (a {@link JsonBody}
 * as its bytes, already serialised).
 *
 * @example
 * mountRoutes(router, [listTwins, getTwin])
 */
export function mountRoutes(router: Router, routes: readonly AnyRoute[]): void {
  for (const route of routes) {
    router[route.method](
      route.path,
      ...(route.middleware ?? []),
      async (req: Request, res: Response, next: NextFunction) => {
        try {
          const params = parse(route.params, req.params, 'path parameter');
          const query = parse(route.query, req.query, 'query parameter');
          const body = parse(route.body, req.body, 'body');
          const result = await route.handler({ params, query, body, req, res });
          if (result === undefined || res.headersSent) return;
          if (result instanceof JsonBody) sendJsonBody(req, res, route.status ?? 200, result);
          else res.status(route.status ?? 200).json(result);
        } catch (error) {
          next(error);
        }
      },
    );
  }
}

function parse(schema: z.ZodType | undefined, input: unknown, where: string): unknown {
  if (schema === undefined) return input;
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issues = formatIssues(result.error.issues, where);
  throw new ApiError(`Invalid ${where}: ${issues.join('; ')}`, {
    status: 400,
    code: 'invalid-input',
    details: result.error.issues.map((issue) => ({
      in: where,
      field: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  });
}
