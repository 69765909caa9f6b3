// The searchable, sortable, paginated twin directory (`GET /fleet/twins`), shared by the overview (with search and
// filters) and the owner page (fixed owner filter). Devices show their hostname and model, people their names, and
// the Behaviour column the security service's detections.
import { addressLink, badge, dataTable, deviceHref, h, replace, stateBadge, time } from '../dom.js';
import { STATES, formatEth, shorten, stateName } from '../format.js';

/** Sortable columns: header → the API's sort key (null: not sortable). */
const COLUMNS = [
  ['Device', 'hostname'],
  ['Model', 'model'],
  ['Owner', 'owner'],
  ['State', 'state'],
  ['Listing', null],
  ['Latest snapshot', 'snapshot'],
  ['Behaviour (detections)', 'alerts'],
];
const SORTS = ['minted', ...COLUMNS.map(([, key]) => key).filter(Boolean), 'device'];

/**
 * `createTwinTable(ctx, { baseQuery, filters, initial, onQueryChange })` → `{ element, load, reload, deviceIds }`.
 * `initial` holds `{ page, q, state, forSale, sort, order }` (e.g. from the hash query); `onQueryChange` hears every
 * change.
 */
export function createTwinTable(
  ctx,
  { baseQuery = {}, filters = true, pageSize = 20, initial = {}, onQueryChange, compact = false } = {},
) {
  // Compact (the owner page's narrower card): no owner column (it is the page's owner), the model under the host.
  const columns = compact ? COLUMNS.filter(([label]) => label !== 'Owner' && label !== 'Model') : COLUMNS;
  const query = {
    page: Math.max(1, Number.parseInt(initial.page, 10) || 1),
    q: typeof initial.q === 'string' ? initial.q : '',
    state: STATES.includes(initial.state) ? initial.state : '',
    forSale: ['true', 'false'].includes(initial.forSale) ? initial.forSale : '',
    sort: SORTS.includes(initial.sort) ? initial.sort : 'minted',
    order: initial.order === 'desc' ? 'desc' : 'asc',
  };
  const headers = columns.map(([label, key]) => {
    if (!key) return h('th', { scope: 'col' }, label);
    const button = h('button', { type: 'button', class: 'sort', 'data-sort': key }, label);
    button.addEventListener('click', () => {
      query.order = query.sort === key && query.order === 'asc' ? 'desc' : 'asc';
      query.sort = key;
      query.page = 1;
      changed();
    });
    return h('th', { scope: 'col', 'data-sort-key': key }, button);
  });
  const table = dataTable({ testid: 'twin-list', caption: 'Twins', columns: columns.map(([label]) => label) });
  replace(table.table.querySelector('thead tr'), headers);
  table.setMessage('Loading twins…', 'loading');
  let deviceIds = [];
  let lastPageCount = 1;
  let token = 0;

  const search = h('input', {
    id: 'twin-search',
    type: 'search',
    name: 'q',
    'data-testid': 'twin-search',
    placeholder: 'DeviceID prefix, hostname, model or owner',
    value: query.q,
    autocomplete: 'off',
    spellcheck: 'false',
  });
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
    query.q = search.value.trim();
    query.state = stateSelect.value;
    query.forSale = saleSelect.value;
    query.page = 1;
    changed();
  };
  const typed = ctx.debounce(250, () => onFilter());
  search.addEventListener('input', typed);
  stateSelect.addEventListener('change', onFilter);
  saleSelect.addEventListener('change', onFilter);
  const filterBar = filters
    ? h(
        'form',
        {
          class: 'filters',
          'data-testid': 'filters',
          role: 'search',
          onsubmit: (event) => {
            event.preventDefault();
            onFilter();
          },
        },
        h('span', { class: 'filter filter-grow' }, h('label', { for: 'twin-search' }, 'Search'), search),
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
      data = await ctx.get('/fleet/twins', {
        ...baseQuery,
        page: query.page,
        pageSize,
        q: query.q,
        state: query.state,
        forSale: query.forSale,
        sort: query.sort === 'minted' ? '' : query.sort,
        order: query.sort === 'minted' ? '' : query.order,
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
    for (const th of headers) {
      const key = th.dataset.sortKey;
      if (!key) continue;
      th.setAttribute('aria-sort', key === query.sort ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none');
    }
    if (items.length === 0) {
      const filtered = query.q || query.state || query.forSale;
      table.setMessage(filtered ? 'No twins match this search.' : 'No twins yet: none has been minted.');
    } else {
      table.setRows(items.map((twin) => twinRow(twin, compact)));
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
function twinRow(twin, compact) {
  const row = h(
    'tr',
    {
      class: 'clickable',
      'data-testid': 'twin-row',
      'data-device-id': twin.deviceId,
      'data-state': stateName(twin.state),
    },
    h('td', {}, deviceCell(twin, compact)),
    compact ? null : h('td', {}, twin.model ?? h('span', { class: 'muted' }, 'not read yet')),
    compact ? null : h('td', {}, addressLink(twin.owner, twin.ownerName)),
    h(
      'td',
      {},
      stateBadge(twin.state),
      twin.reviewRequested ? [' ', badge('review', 'warn', { title: 'Review requested' })] : null,
    ),
    h('td', {}, listing(twin)),
    h('td', {}, snapshotCell(twin.latestSnapshot)),
    h('td', {}, detectionCell(twin)),
  );
  row.addEventListener('click', (event) => {
    if (event.target.closest('a, button, input, select, label')) return;
    if (String(window.getSelection?.() ?? '') !== '') return;
    location.hash = deviceHref(twin.deviceId);
  });
  return row;
}

/** The hostname as the link, the short DeviceID under it. */
function deviceCell(twin, compact) {
  return h(
    'span',
    { class: 'device-cell' },
    h(
      'a',
      { href: deviceHref(twin.deviceId), title: twin.deviceId, 'data-testid': 'twin-hostname' },
      twin.hostname ?? shorten(twin.deviceId),
    ),
    compact && twin.model ? h('span', { class: 'muted small' }, twin.model) : null,
    twin.hostname ? h('span', { class: 'mono muted small' }, shorten(twin.deviceId)) : null,
  );
}

function listing(twin) {
  if (!twin.forSale) return h('span', { class: 'muted' }, 'not for sale');
  return h('span', { class: 'price', 'data-testid': 'price', title: `${twin.price} wei` }, formatEth(twin.price));
}

function snapshotCell(snapshot) {
  if (!snapshot) return h('span', { class: 'muted' }, 'no snapshot yet');
  const anchored = Boolean(snapshot.anchored);
  return h(
    'span',
    { class: 'snapshot-cell', title: snapshot.collectedAt ?? '' },
    h('span', { class: 'mono' }, `#${snapshot.seq} `),
    anchored
      ? badge('✓ anchored', 'ok', { 'data-testid': 'snapshot-anchored', 'data-anchored': 'true' })
      : badge('pending', 'pending', { 'data-testid': 'snapshot-anchored', 'data-anchored': 'false' }),
    h('span', { class: 'muted small block' }, time(snapshot.collectedAt)),
  );
}

/** The security service's latest open detection, or "no open alert". */
function detectionCell(twin) {
  if (twin.detection) {
    return h(
      'span',
      {},
      badge(twin.detection.behaviour, 'danger', {
        'data-testid': 'detection-badge',
        title: `Detected by a security entity (score ${twin.detection.score.toFixed(2)}, ${twin.detection.action})`,
      }),
      twin.openAlerts > 1 ? h('span', { class: 'muted small' }, ` +${twin.openAlerts - 1}`) : null,
    );
  }
  return h('span', { class: 'muted', 'data-testid': 'detection-none' }, 'no open alert');
}
