import type { ApiContext } from '../context';
import type { AnyRoute } from '../http/defineRoute';
import { alertRoutes } from './alerts';
import { demoRoutes } from './demo';
import { fleetRoutes } from './fleet';
import { mintRoutes } from './mint';

/**
 * The routes the dashboard needs beyond the twin records: the fleet overview and directory, the entity list and
 * the security inbox, the manufacturer's mint, and (with `API_DEMO_ACCOUNTS` only) the demo's development keys.
 *
 * @example
 * mountRoutes(router, dashboardRoutes(context))
 */
export function dashboardRoutes(context: ApiContext): AnyRoute[] {
  return [...fleetRoutes(context), ...alertRoutes(context), ...mintRoutes(context), ...demoRoutes(context)];
}
