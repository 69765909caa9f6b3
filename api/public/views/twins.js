// `#/`: the health strip, the fleet overview and the searchable twin directory, refreshed live on state, anchoring
// and alert events.
import { getHealth } from '../api.js';
import { clearError, h, replace } from '../dom.js';
import { queryString } from '../format.js';
import { createFleetOverview } from './fleet.js';
import { createTwinTable } from './twin-table.js';

const COMPONENTS = ['chain', 'broker', 'ipfs', 'index'];
const HEALTH_INTERVAL_MS = 15_000;
/** The ingest rate and anchoring lag move all the time: the overview is read again this often. */
const FLEET_INTERVAL_MS = 5_000;

export async function renderTwins(container, { query = {} }, ctx) {
  const health = createHealthStrip(ctx);
  const twins = createTwinTable(ctx, {
    initial: query,
    onQueryChange: ({ page, q, state, forSale, sort, order }) => {
      const search = queryString({
        q,
        state,
        forSale,
        sort: sort === 'minted' ? '' : sort,
        order: sort === 'minted' ? '' : order,
        page: page > 1 ? page : '',
      });
      history.replaceState(null, '', `#/${search}`);
    },
  });
  const fleet = createFleetOverview(ctx);
  replace(
    container,
    health.element,
    fleet.element,
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h1', {}, 'Twins'),
        h(
          'p',
          { class: 'muted' },
          'Every registered device twin: its host and model, owner, state, latest anchored snapshot and what the ' +
            'security service detected. Click a column to sort.',
        ),
      ),
      twins.element,
    ),
  );

  // While the API is unreachable the health poll keeps trying; its first answer after that reloads the list.
  let unreachable = false;
  const poll = async () => {
    try {
      await health.load();
    } catch (error) {
      unreachable = true;
      throw error;
    }
    if (unreachable) {
      unreachable = false;
      clearError();
      twins.reload();
      fleet.reload();
    }
  };
  ctx.run(poll);
  ctx.every(HEALTH_INTERVAL_MS, poll);
  ctx.events(
    {},
    {
      state: () => {
        twins.reload();
        fleet.reload();
      },
      anchored: () => {
        twins.reload();
        fleet.reload();
      },
      alert: () => {
        twins.reload();
        fleet.reload();
      },
    },
  );
  ctx.run(fleet.load);
  ctx.every(FLEET_INTERVAL_MS, fleet.load);
  await twins.load();
}

/** The four components' health: `data-testid="health"`, one item per component with `data-component` and `data-up`. */
function createHealthStrip(ctx) {
  const overall = h('span', { class: 'badge badge-neutral', 'data-testid': 'health-status' }, 'checking…');
  const list = h('ul', { class: 'health-items' });
  const element = h(
    'section',
    { class: 'health', 'data-testid': 'health', 'aria-label': 'Service health' },
    h('span', { class: 'health-title' }, 'Health'),
    overall,
    list,
  );
  const draw = (components) => {
    replace(
      list,
      COMPONENTS.map((name) => {
        const component = components?.[name];
        const up = component ? Boolean(component.up) : null;
        const stateText = up === null ? 'unknown' : up ? 'up' : 'down';
        const detail =
          component?.detail == null
            ? ''
            : typeof component.detail === 'string'
            ? component.detail
            : JSON.stringify(component.detail);
        return h(
          'li',
          {
            class: `health-item health-${stateText}`,
            'data-testid': `health-${name}`,
            'data-component': name,
            'data-up': up === null ? 'unknown' : String(up),
            title: detail ? `${name}: ${detail}` : `${name}: ${stateText}`,
          },
          h('span', { class: 'dot', 'aria-hidden': 'true' }),
          h('span', { class: 'health-name' }, name),
          h('span', { class: 'visually-hidden' }, ` ${stateText}`),
        );
      }),
    );
  };
  draw(null);

  let token = 0;
  async function load() {
    const mine = ++token;
    let body;
    try {
      body = await getHealth({ signal: ctx.signal });
    } catch (error) {
      if (mine === token && ctx.alive) {
        overall.className = 'badge badge-danger';
        replace(overall, 'unreachable');
        draw(null);
      }
      throw error;
    }
    if (mine !== token || !ctx.alive) return;
    const status = String(body.status ?? 'unknown');
    overall.className = `badge ${status === 'up' ? 'badge-ok' : 'badge-warn'}`;
    replace(overall, status);
    draw(body.components ?? {});
  }
  return { element, load };
}
