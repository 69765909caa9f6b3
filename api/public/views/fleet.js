// The fleet overview (`GET /fleet`): twins by state, open alerts, anchoring lag and ingest rate, as stat tiles.
import { h, replace } from '../dom.js';
import { STATES, formatNumber } from '../format.js';

/** `createFleetOverview(ctx)` → `{ element, load, reload }`: the tiles `data-testid="fleet-<name>"`. */
export function createFleetOverview(ctx) {
  const tiles = h('div', { class: 'stat-tiles', 'data-testid': 'fleet' }, h('p', { class: 'muted' }, 'Loading the fleet…'));
  const element = h(
    'section',
    { class: 'card fleet', 'aria-labelledby': 'fleet-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'fleet-title' }, 'Fleet overview')),
    tiles,
  );
  let token = 0;

  async function load() {
    const mine = ++token;
    const data = await ctx.get('/fleet');
    if (mine !== token || !ctx.alive) return;
    draw(data);
  }

  function draw(data) {
    const lag = data.anchoring?.lagSeconds;
    const pending = data.anchoring?.pendingSnapshots ?? 0;
    replace(
      tiles,
      tile('twins', 'Twins', String(data.twins ?? 0), data.twins ? null : 'none minted yet'),
      h(
        'div',
        { class: 'stat-tile stat-states', 'data-testid': 'fleet-states' },
        h('span', { class: 'stat-label' }, 'By state'),
        h(
          'ul',
          { class: 'state-counts' },
          STATES.map((state) =>
            h(
              'li',
              { 'data-state': state, 'data-testid': `fleet-state-${state}` },
              h('span', { class: `badge state state-${state}` }, state),
              ' ',
              h('strong', {}, String(data.byState?.[state] ?? 0)),
            ),
          ),
        ),
      ),
      tile(
        'alerts',
        'Open alerts',
        String(data.openAlerts ?? 0),
        data.openAlerts ? `on ${data.alertedTwins} twin${data.alertedTwins === 1 ? '' : 's'}` : 'nothing detected',
        data.openAlerts ? 'danger' : 'ok',
      ),
      tile(
        'lag',
        'Anchoring lag',
        lag == null ? '0 s' : `${formatNumber(lag)} s`,
        pending ? `${pending} snapshot${pending === 1 ? '' : 's'} awaiting anchoring` : 'every snapshot anchored',
        lag != null && lag > 120 ? 'warn' : 'ok',
      ),
      tile(
        'ingest',
        'Ingest rate',
        `${formatNumber(data.ingest?.readingsPerMinute ?? 0)}/min`,
        `telemetry readings · ${formatNumber(data.ingest?.snapshotsPerMinute ?? 0)} snapshots/min`,
        data.ingest?.readingsPerMinute ? 'ok' : 'neutral',
      ),
      tile('for-sale', 'For sale', String(data.forSale ?? 0), `${data.reviewRequested ?? 0} review requested`),
    );
  }

  return { element, load, reload: ctx.debounce(500, load) };
}

function tile(name, label, value, detail, kind = 'neutral') {
  return h(
    'div',
    { class: `stat-tile stat-${kind}`, 'data-testid': `fleet-${name}` },
    h('span', { class: 'stat-label' }, label),
    h('span', { class: 'stat-big', 'data-testid': `fleet-${name}-value` }, value),
    detail ? h('span', { class: 'muted small' }, detail) : null,
  );
}
