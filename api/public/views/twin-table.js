// The paginated twin table shared by the twin list (with filters) and the owner page (fixed owner filter).
import { addressLink, badge, dataTable, deviceHref, deviceLink, h, replace, stateBadge } from '../dom.js';
import { STATES, formatEth, stateName } from '../format.js';

const COLUMNS = ['Device', 'Manufacturer', 'Owner', 'State', 'Listing', 'Latest snapshot', 'Behaviour'];

/**
 * `createTwinTable(ctx, { baseQuery, filters, initial, onQueryChange })` → `{ element, load, reload, deviceIds }`.
 * `initial` holds `{ page, state, forSale }` (e.g. from the hash query); `onQueryChange` hears every change.
 */
export function createTwinTable(
  ctx,
  { baseQuery = {}, filters = true, pageSize = 20, initial = {}, onQueryChange } = {},
) {
  const query = {
    page: Math.max(1, Number.parseInt(initial.page, 10) || 1),
    state: STATES.includes(initial.state) ? initial.state : '',
    forSale: ['true', 'false'].includes(initial.forSale) ? initial.forSale : '',
  };
  const table = dataTable({ testid: 'twin-list', caption: 'Twins', columns: COLUMNS });
  table.setMessage('Loading twins…', 'loading');
  let deviceIds = [];
  let lastPageCount = 1;
  let token = 0;

  const stateSelect = h(
    'select',
    { id: 'filter-state', name: 'state', 'data-testid': 'filter-state' },
    h('option', { value: '' }, 'All states'),
    STATES.map((state) => h('option', { value: state, selected: state === query.state }, state)),
  );
  const saleSelect = h(
    'select',
    { id: 'filter-for-sale', name: 'forSale', 'data-testid': 'filter-for-sale' },
    h('option', { value: '' }, 'Any'),
    h('option', { value: 'true', selected: query.forSale === 'true' }, 'For sale'),
    h('option', { value: 'false', selected: query.forSale === 'false' }, 'Not for sale'),
  );
  const onFilter = () => {
    query.state = stateSelect.value;
    query.forSale = saleSelect.value;
    query.page = 1;
    changed();
  };
  stateSelect.addEventListener('change', onFilter);
  saleSelect.addEventListener('change', onFilter);
  const filterBar = filters
    ? h(
        'form',
        { class: 'filters', 'data-testid': 'filters', onsubmit: (event) => event.preventDefault() },
        h('span', { class: 'filter' }, h('label', { for: 'filter-state' }, 'State'), stateSelect),
        h('span', { class: 'filter' }, h('label', { for: 'filter-for-sale' }, 'Listing'), saleSelect),
      )
    : null;

  const prev = h('button', { type: 'button', 'data-testid': 'page-prev', disabled: true }, '← Previous');
  const next = h('button', { type: 'button', 'data-testid': 'page-next', disabled: true }, 'Next →');
  const info = h('span', { class: 'page-info', 'data-testid': 'page-info', 'aria-live': 'polite' }, '');
  prev.addEventListener('click', () => {
    if (query.page > 1) {
      query.page -= 1;
      changed();
    }
  });
  next.addEventListener('click', () => {
    if (query.page < lastPageCount) {
      query.page += 1;
      changed();
    }
  });
  const pager = h(
    'nav',
    { class: 'pagination', 'aria-label': 'Twin pages', 'data-testid': 'pagination' },
    prev,
    info,
    next,
  );

  function changed() {
    if (onQueryChange) onQueryChange({ ...query });
    ctx.run(load);
  }

  async function load() {
    const mine = ++token;
    let data;
    try {
      data = await ctx.get('/twins', {
        ...baseQuery,
        page: query.page,
        pageSize,
        state: query.state,
        forSale: query.forSale,
      });
    } catch (error) {
      if (mine === token && ctx.alive) table.setMessage('Could not load the twins.', 'error');
      throw error;
    }
    if (mine !== token || !ctx.alive) return;
    render(data);
  }

  function render(data) {
    const items = Array.isArray(data.items) ? data.items : [];
    const total = Number(data.total ?? items.length);
    const size = Number(data.pageSize ?? pageSize) || pageSize;
    const page = Number(data.page ?? query.page) || 1;
    lastPageCount = Math.max(1, Math.ceil(total / size));
    deviceIds = items.map((twin) => twin.deviceId);
    if (items.length === 0) {
      const filtered = query.state || query.forSale;
      table.setMessage(filtered ? 'No twins match these filters.' : 'No twins yet.');
    } else {
      table.setRows(items.map(twinRow));
    }
    const first = total === 0 ? 0 : (page - 1) * size + 1;
    const last = Math.min(total, (page - 1) * size + items.length);
    replace(info, `${first}–${last} of ${total} · page ${page} of ${lastPageCount}`);
    prev.disabled = page <= 1;
    next.disabled = page >= lastPageCount;
  }

  return {
    element: h('div', { class: 'twin-table' }, filterBar, table.element, pager),
    load,
    reload: ctx.debounce(400, load),
    get deviceIds() {
      return deviceIds;
    },
  };
}

/** One row; a click anywhere but on a link or control opens the twin page. */
function twinRow(twin) {
  const row = h(
    'tr',
    {
      class: 'clickable',
      'data-testid': 'twin-row',
      'data-device-id': twin.deviceId,
      'data-state': stateName(twin.state),
    },
    h('td', {}, deviceLink(twin.deviceId)),
    h('td', {}, addressLink(twin.manufacturer)),
    h('td', {}, addressLink(twin.owner)),
    h(
      'td',
      {},
      stateBadge(twin.state),
      twin.reviewRequested ? [' ', badge('review', 'warn', { title: 'Review requested' })] : null,
    ),
    h('td', {}, listing(twin)),
    h('td', {}, snapshotCell(twin.latestSnapshot)),
    h('td', {}, behaviourCell(twin)),
  );
  row.addEventListener('click', (event) => {
    if (event.target.closest('a, button, input, select, label')) return;
    if (String(window.getSelection?.() ?? '') !== '') return;
    location.hash = deviceHref(twin.deviceId);
  });
  return row;
}

function listing(twin) {
  if (!twin.forSale) return h('span', { class: 'muted' }, 'not for sale');
  return h('span', { class: 'price', 'data-testid': 'price', title: `${twin.price} wei` }, formatEth(twin.price));
}

function snapshotCell(snapshot) {
  if (!snapshot) return h('span', { class: 'muted' }, 'none');
  const anchored = Boolean(snapshot.anchored);
  return h(
    'span',
    { class: 'snapshot-cell', title: snapshot.collectedAt ?? '' },
    h('span', { class: 'mono' }, `#${snapshot.seq} `),
    anchored
      ? badge('✓ anchored', 'ok', { 'data-testid': 'snapshot-anchored', 'data-anchored': 'true' })
      : badge('pending', 'pending', { 'data-testid': 'snapshot-anchored', 'data-anchored': 'false' }),
  );
}

function behaviourCell(twin) {
  if (twin.anomalous) {
    return badge(twin.behaviour ?? 'anomalous', 'danger', {
      'data-testid': 'anomaly-badge',
      title: 'Anomalous behaviour (ground truth)',
    });
  }
  return h('span', { class: 'muted' }, twin.behaviour ?? '—');
}
