/**
 * The framework experiment's server (issue 15: is Express's per-request cost what remains of the twin view?): one
 * process answering `GET /api/v1/twins/:deviceId` with the same pre-serialised body and ETag (304 on `If-None-Match`),
 * as the API answers a cached twin view, on one of:
 * - `express`: Express 5, the route on a router under `/api/v1` (the API's routing, no middleware);
 * - `express-stack`: that plus the API's middleware for every request: helmet with the API's CSP, express-rate-limit
 *   (draft-8 headers, a limit never reached), a `finish` listener observing a prom-client histogram, `express.json()`;
 * - `fastify`: Fastify 5, the same route and headers (`fastify` is a devDependency for this experiment only).
 *
 * argv[2]: the framework, argv[3]: a file holding the body. Reports `{ type: 'ready', port }` over IPC; stops on
 * SIGTERM or when the parent goes away.
 *
 * @example
 * spawnEntry({ entry: 'bench/api/frameworkProcess.ts', args: ['fastify', bodyFile] })
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { Histogram, Registry } from 'prom-client';

/** The frameworks the experiment runs. */
const FRAMEWORKS = ['express', 'express-stack', 'fastify'] as const;
type Framework = (typeof FRAMEWORKS)[number];

const DEVICE_ID = /^0x[0-9a-fA-F]{64}$/;

function expressApp(body: Buffer, etag: string, stack: boolean) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (stack) {
    app.use(
      helmet({
        contentSecurityPolicy: {
          directives: {
            defaultSrc: ["'self'"],
            scriptSrc: ["'self'"],
            styleSrc: ["'self'", "'unsafe-inline'"],
            imgSrc: ["'self'", 'data:'],
            connectSrc: ["'self'"],
            upgradeInsecureRequests: null,
          },
        },
      }),
    );
    app.use(rateLimit({ windowMs: 60_000, limit: 2 ** 31 - 1, standardHeaders: 'draft-8', legacyHeaders: false }));
    const histogram = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'request latency',
      labelNames: ['method', 'route', 'status'],
      registers: [new Registry()],
    });
    app.use((req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
        histogram.observe(
          { method: req.method, route, status: String(res.statusCode) },
          Number(process.hrtime.bigint() - started) / 1e9,
        );
      });
      next();
    });
    app.use(express.json({ limit: '256kb' }));
  }
  const router = express.Router();
  router.get('/twins/:deviceId', (req, res) => {
    if (!DEVICE_ID.test(req.params.deviceId)) {
      res.status(400).json({ error: 'deviceId' });
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('ETag', etag);
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Length', body.length);
    res.end(body);
  });
  app.use('/api/v1', router);
  return app;
}

async function fastifyServer(body: Buffer, etag: string): Promise<Server> {
  // A devDependency for this experiment only: loaded here, never by the API.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: Fastify } = require('fastify') as typeof import('fastify');
  const app = Fastify({ logger: false, keepAliveTimeout: 60_000 });
  app.get<{ Params: { deviceId: string } }>('/api/v1/twins/:deviceId', (request, reply) => {
    if (!DEVICE_ID.test(request.params.deviceId)) return reply.code(400).send({ error: 'deviceId' });
    reply.header('Content-Type', 'application/json; charset=utf-8').header('ETag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.header('Content-Length', body.length).send(body);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}

async function main(): Promise<void> {
  const [framework, file] = process.argv.slice(2) as [Framework | undefined, string | undefined];
  if (framework === undefined || !FRAMEWORKS.includes(framework) || file === undefined) {
    throw new Error(`usage: frameworkProcess.ts <${FRAMEWORKS.join('|')}> <body file>`);
  }
  const body = readFileSync(file);
  const etag = `W/"${body.length.toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`;
  let server: Server;
  if (framework === 'fastify') server = await fastifyServer(body, etag);
  else {
    const app = expressApp(body, etag, framework === 'express-stack');
    server = await new Promise<Server>((resolve) => {
      const listening: Server = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    server.keepAliveTimeout = 60_000;
  }
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('disconnect', stop);
  process.once('SIGTERM', stop);
  process.send?.({ type: 'ready', port: (server.address() as { port: number }).port });
}

main().catch((error: unknown) => {
  process.stderr.write(`frameworkProcess: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
