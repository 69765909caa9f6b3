import { dirname, join } from 'node:path';
import cors from 'cors';
import express, { type Express, Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { ApiContext } from './context';
import { ApiError } from './errors';
import type { AnyRoute } from './http/defineRoute';
import { errorHandler } from './http/errorHandler';
import { mountRoutes } from './http/mountRoutes';
import { authRoutes } from './routes/auth';
import { commandRoutes } from './routes/command';
import { dashboardRoutes } from './routes/dashboard';
import { stateRoutes } from './routes/state';
import { entityRoutes } from './routes/entities';
import { eventRoutes } from './routes/events';
import { ipfsRoutes } from './routes/ipfs';
import { rejectionRoutes } from './routes/rejections';
import { relayRoutes } from './routes/relay';
import { snapshotRoutes } from './routes/snapshots';
import { specRoutes } from './routes/spec';
import { systemRoutes } from './routes/system';
import { topologyRoutes } from './routes/topology';
import { twinRoutes } from './routes/twins';

/** The API's base path. */
export const API_BASE_PATH = '/api/v1';
/** The API's version, as the OpenAPI document states it. */
export const API_VERSION = '1.0.0';

/** Where the dashboard's files are. */
const PUBLIC_DIR = join(__dirname, '..', 'public');
/** Chart.js's UMD bundle, served locally (no CDN: the dashboard works offline). */
const CHART_JS = join(dirname(require.resolve('chart.js')), 'chart.umd.js');
/** ethers' browser ES module: the dashboard signs sign-in messages and relayed requests with it. */
const ETHERS_JS = join(dirname(require.resolve('ethers')), '..', 'dist', 'ethers.min.js');

/**
 * Every route of the API, in mount order.
 *
 * @example
 * const operations = apiRoutes(context).map((route) => route.operationId)
 */
export function apiRoutes(context: ApiContext): AnyRoute[] {
  const routes: AnyRoute[] = [
    ...twinRoutes(context),
    ...dashboardRoutes(context),
    ...snapshotRoutes(context),
    ...entityRoutes(context),
    ...commandRoutes(context),
    ...stateRoutes(context),
    ...relayRoutes(context),
    ...rejectionRoutes(context),
    ...authRoutes(context),
    ...eventRoutes(context),
    ...topologyRoutes(context),
    ...specRoutes(),
    ...ipfsRoutes(context),
  ];
  routes.push(...systemRoutes(context, () => routes, API_VERSION));
  return routes;
}

/**
 * The Express application: security headers (helmet), CORS as configured, a request-size limit, rate limiting per
 * client, latency metrics, the API under `/api/v1`, the dashboard at `/`, and JSON errors everywhere.
 *
 * @example
 * const server = createApp(context).listen(8080, '127.0.0.1')
 */
export function createApp(context: ApiContext): Express {
  const { config } = context;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('json replacer', (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          // Chart.js sizes its canvases with inline styles.
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
    }),
  );
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
        allowedHeaders: ['Content-Type', 'Authorization', 'If-Match'],
        exposedHeaders: ['ETag'],
        methods: ['GET', 'POST', 'PUT', 'PATCH'],
        maxAge: 600,
      }),
    );
  }
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: config.rateLimitPerMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, _res, next) =>
        next(
          new ApiError('Too many requests: slow down.', {
            status: 429,
            code: 'rate-limited',
            details: { limitPerMinute: config.rateLimitPerMinute },
          }),
        ),
    }),
  );
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      context.metrics.observeRequest(
        req.method,
        route,
        res.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  });
  // A path that is not valid percent-encoding is a 400 wherever it points (Express decodes only route parameters:
  // an unmatched API path or a static file would otherwise answer 404); the error handler names it `invalid-url`.
  app.use((req, _res, next) => {
    decodeURIComponent(req.path);
    next();
  });

  const routes = apiRoutes(context);
  const api = Router();
  // A dry run takes the device's payload byte for byte (the oracle's bound, not the JSON body limit).
  api.use('/messages/check', express.raw({ type: () => true, limit: config.checkMessageMaxBytes }));
  api.use(express.json({ limit: config.bodyLimitBytes }));
  mountRoutes(
    api,
    routes.filter((route) => !route.absolutePath),
  );
  api.use((req) => {
    throw new ApiError(`No route ${req.method} ${API_BASE_PATH}${req.path}.`, {
      status: 404,
      code: 'route-not-found',
      details: { openapi: `${API_BASE_PATH}/openapi.json` },
    });
  });
  app.use(API_BASE_PATH, api);

  // The IPFS trustless gateway, at the root as gateways are (`/ipfs/{cid}`); raw blocks have no path below the CID.
  const root = Router();
  mountRoutes(
    root,
    routes.filter((route) => route.absolutePath),
  );
  app.use(root);
  app.use('/ipfs', (req) => {
    throw new ApiError('A raw block is requested by CID alone: /ipfs/{cid}, no path below it.', {
      status: 400,
      code: 'path-not-supported',
      details: { path: `/ipfs${req.path}`.slice(0, 300) },
    });
  });

  app.get('/vendor/chart.umd.js', (_req, res) => res.type('application/javascript').sendFile(CHART_JS));
  app.get('/vendor/ethers.js', (_req, res) => res.type('application/javascript').sendFile(ETHERS_JS));
  app.use(express.static(PUBLIC_DIR, { index: 'index.html', maxAge: '5m' }));
  app.use(
    errorHandler(
      (level, message, fields) => context.log(level, message, fields),
      (code, status) => context.metrics.countError(code, status),
    ),
  );
  return app;
}
