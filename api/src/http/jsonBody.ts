import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * A JSON response serialised once, with its ETag: what a handler returns to have the same bytes sent again and
 * again (a cached view) without `JSON.stringify`, Express's content-type lookup and ETag hash on each request.
 */
export class JsonBody {
  constructor(
    /** The UTF-8 JSON text. */
    readonly bytes: Buffer,
    /** A weak ETag of the bytes, as Express makes them (`W/"<length hex>-<sha1 base64, 27 chars>"`). */
    readonly etag: string,
  ) {}
}

/** What `app.set('json replacer', …)` does for the API: bigints as decimal strings. */
const replacer = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

/**
 * Serialises `value` as the API sends JSON (bigints as decimal strings) and takes its ETag.
 *
 * @example
 * const body = jsonBody({ ok: true })
 * body.bytes.toString() // '{"ok":true}'
 */
export function jsonBody(value: unknown): JsonBody {
  const bytes = Buffer.from(JSON.stringify(value, replacer), 'utf8');
  const hash = createHash('sha1').update(bytes).digest('base64').slice(0, 27);
  return new JsonBody(bytes, `W/"${bytes.length.toString(16)}-${hash}"`);
}

/**
 * Sends a {@link JsonBody} with `status`: `Content-Type`, `Content-Length` and `ETag` set directly, and a 304 without
 * the bytes when the request's `If-None-Match` names the ETag (as `res.json` would answer).
 *
 * @example
 * sendJsonBody(req, res, 200, jsonBody(view))
 */
export function sendJsonBody(req: Request, res: Response, status: number, body: JsonBody): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('ETag', body.etag);
  if (req.headers['if-none-match'] !== undefined && status === 200 && req.fresh) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader('Content-Length', body.bytes.length);
  res.end(body.bytes);
}
