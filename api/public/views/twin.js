// `#/twins/<deviceId>`: the merged twin view with live charts, snapshots and their proofs, static data, history.
import { bucketsAsReadings, createTelemetryCharts } from '../charts.js';
import { addressLink, badge, definitionList, h, hex, replace, stateBadge } from '../dom.js';
import { formatClock, formatEth, formatNumber, sameHex, shorten } from '../format.js';
import { alertsTable, stateHistoryTable, updatesTable } from './history.js';
import { createActionsPanel } from './actions.js';
import { createControlPanel } from './control.js';
import { createSnapshotTable } from './snapshots.js';
import { renderStaticParams } from './static.js';

const TELEMETRY_LIMIT = 120;
/** How far the charts look back: the live window, or the history in buckets (`GET /twins/{id}/telemetry?bucket=`). */
const RANGES = [
  { value: 'live', label: 'Live', ms: 0, bucket: 0 },
  { value: '1h', label: 'Last hour', ms: 3_600_000, bucket: 30 },
  { value: '24h', label: 'Last 24 h', ms: 86_400_000, bucket: 600 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 86_400_000, bucket: 3_600 },
];
const CHARTS = [
  ['cpu', 'CPU', 'CPU usage over time, percent'],
  ['memory', 'Memory', 'Memory used over time, percent'],
  ['network', 'Network', 'Packets in and out per second, new and failed connections per second'],
  ['sensors', 'Sensors', 'One line per sensor'],
];

export async function renderTwin(container, { deviceId }, ctx) {
  replace(container, h('p', { class: 'muted loading' }, 'Loading twin…'));
  const base = `/twins/${encodeURIComponent(deviceId)}`;
  let detail;
  try {
    detail = await ctx.get(base);
  } catch (error) {
    if (ctx.alive) replace(container, failureCard(deviceId, error));
    throw error;
  }
  if (!ctx.alive) return;
  const id = detail.twin?.deviceId ?? deviceId;

  const header = h('section', { class: 'card twin-header', 'data-testid': 'twin-header' });
  const live = createLivePanel();
  const canvases = {};
  const rangeSelect = h(
    'select',
    { 'data-testid': 'chart-range', 'aria-label': 'Chart range', hidden: true },
    RANGES.map((range) => h('option', { value: range.value }, range.label)),
  );
  const rangeBar = h('div', { class: 'chart-range' }, h('label', {}, 'Charts: ', rangeSelect));
  const chartGrid = h(
    'div',
    { class: 'chart-grid' },
    CHARTS.map(([name, title, description]) => {
      canvases[name] = h('canvas', {
        'data-testid': `chart-${name}`,
        role: 'img',
        'aria-label': `${title}: ${description}`,
        'data-points': '0',
      });
      return h(
        'figure',
        { class: 'card chart-card' },
        h('figcaption', {}, title),
        h('div', { class: 'chart-box' }, canvases[name]),
      );
    }),
  );
  const snapshots = createSnapshotTable(ctx, id);
  const staticHolder = h('div', { class: 'static-holder' });
  const alertsHolder = h('div', { class: 'alerts-holder' });
  const histories = h('div', { class: 'two-col' });
  let refreshDetail = () => {};
  const actions = createActionsPanel(ctx, id, { refresh: () => refreshDetail() });
  const control = createControlPanel(ctx, id);
  replace(
    container,
    header,
    actions.element,
    control.element,
    live.element,
    rangeBar,
    chartGrid,
    alertsHolder,
    snapshots.element,
    staticHolder,
    histories,
  );

  const draw = (data) => {
    replace(header, headerContent(data));
    replace(staticHolder, renderStaticParams(data));
    replace(alertsHolder, alertsTable(data.alerts));
    live.setAlerts(data.alerts);
    actions.update(data);
    control.update(data);
    replace(histories, updatesTable(data.updates), stateHistoryTable(data.stateHistory));
  };
  draw(detail);
  live.setInitial(detail);

  const charts = createTelemetryCharts(canvases);
  ctx.onCleanup(() => charts.destroy());

  // The stream opens before the recent readings arrive; live readings wait in `buffered` until the charts hold them.
  let ready = false;
  const buffered = [];
  const mine = (data) => data && (data.deviceId == null || sameHex(data.deviceId, id));
  refreshDetail = ctx.debounce(400, async () => {
    const fresh = await ctx.get(base);
    if (ctx.alive) draw(fresh);
  });
  ctx.events(
    { deviceId: id },
    {
      telemetry: (data) => {
        if (!mine(data)) return;
        live.received(data);
        if (rangeSelect.value !== 'live') return; // a look back: the live readings wait for Live again
        if (ready) charts.append(data);
        else buffered.push(data);
      },
      snapshot: (data) => {
        if (!mine(data)) return;
        snapshots.prepend(data);
        // The header follows the table: its latest snapshot is the newest one, pending until anchored.
        setHeaderSnapshot(header, { seq: data.seq, anchored: false, collectedAt: data.collectedAt });
      },
      anchored: (data) => {
        if (!Array.isArray(data?.deviceIds) || data.deviceIds.some((other) => sameHex(other, id))) {
          snapshots.reload();
          refreshDetail();
        }
      },
      alert: (data) => {
        if (mine(data)) refreshDetail();
      },
      chain: (data) => {
        if (!mine(data)) return;
        actions.onChain(data);
        refreshDetail();
      },
      command: (data) => {
        if (mine(data)) control.onCommand(data);
      },
      'state-document': (data) => {
        if (mine(data)) control.onDocument(data);
      },
      state: (data) => {
        if (!mine(data)) return;
        actions.onChain(data);
        const current = header.querySelector('[data-testid="state-badge"]');
        if (current && data.new != null) current.replaceWith(stateBadge(data.new));
        refreshDetail();
      },
    },
  );

  ctx.run(snapshots.load);
  // Telemetry is a device internal: only the owner, the manufacturer and security entities read it, signed in.
  if (detail.twin?.access === 'public') {
    live.setPrivate();
    charts.load([]);
    return;
  }
  rangeSelect.hidden = false;
  const loadLive = async () => {
    let recent = [];
    try {
      const data = await ctx.get(`${base}/telemetry`, { limit: TELEMETRY_LIMIT });
      recent = Array.isArray(data.items) ? data.items : [];
    } finally {
      if (ctx.alive && rangeSelect.value === 'live') {
        charts.load(recent);
        ready = true;
        for (const reading of buffered.splice(0)) charts.append(reading);
      }
    }
  };
  rangeSelect.addEventListener('change', () => {
    const range = RANGES.find((candidate) => candidate.value === rangeSelect.value) ?? RANGES[0];
    ready = false;
    buffered.length = 0;
    charts.reset({ withDay: range.ms > 86_400_000 });
    if (range.value === 'live') return void ctx.run(loadLive);
    const to = Date.now();
    ctx.run(async () => {
      const data = await ctx.get(`${base}/telemetry`, { bucket: range.bucket, from: to - range.ms, to });
      if (ctx.alive && rangeSelect.value === range.value) {
        charts.reset({ withDay: range.ms > 86_400_000 });
        charts.load(bucketsAsReadings(data.buckets));
      }
    });
  });
  await loadLive();
}

function headerContent(detail) {
  const twin = detail.twin ?? {};
  const snapshot = detail.latestSnapshot ?? twin.latestSnapshot;
  return [
    h(
      'div',
      { class: 'title-row' },
      h(
        'h1',
        { 'data-testid': 'twin-title' },
        hostnameOf(detail) ?? ['Twin ', h('span', { class: 'mono', title: twin.deviceId }, shorten(twin.deviceId))],
      ),
      modelOf(detail) ? h('span', { class: 'muted model', 'data-testid': 'twin-model' }, modelOf(detail)) : null,
      stateBadge(twin.state),
      twin.reviewRequested ? badge('review requested', 'warn', { 'data-testid': 'review-requested' }) : null,
    ),
    h('p', { class: 'device-id mono wrap', 'data-testid': 'device-id' }, twin.deviceId ?? ''),
    definitionList([
      ['Owner', entityCell(twin.owner, detail.owner)],
      ['Manufacturer', entityCell(twin.manufacturer, detail.manufacturer)],
      [
        'Listing',
        twin.forSale
          ? h(
              'span',
              { class: 'price', 'data-testid': 'price', title: `${twin.price} wei` },
              `for sale at ${formatEth(twin.price)}`,
            )
          : h('span', { class: 'muted', 'data-testid': 'price' }, 'not for sale'),
      ],
      ['Device signer', hex(twin.deviceSigner, { 'data-testid': 'device-signer' })],
      ['Static hash', hex(twin.staticHash, { 'data-testid': 'static-hash' })],
      ['Static CID', twin.staticCid ? h('span', { class: 'mono wrap' }, twin.staticCid) : null],
      ['Software updates', String(twin.updateCount ?? 0)],
      ['Minted at block', twin.mintedBlock != null ? String(twin.mintedBlock) : null],
      ['Updated at block', twin.updatedBlock != null ? String(twin.updatedBlock) : null],
      ['Latest snapshot', h('span', { 'data-testid': 'header-snapshot' }, snapshotSummary(snapshot))],
    ]),
  ];
}

const hostnameOf = (detail) => (typeof detail.static?.os?.hostname === 'string' ? detail.static.os.hostname : null);
const modelOf = (detail) =>
  typeof detail.static?.identity?.hardwareModel === 'string' ? detail.static.identity.hardwareModel : null;

function snapshotSummary(snapshot) {
  if (!snapshot) return h('span', { class: 'muted' }, 'no snapshot yet');
  return [
    h('span', { class: 'mono', 'data-seq': String(snapshot.seq) }, `#${snapshot.seq} `),
    snapshot.anchored ? badge('anchored', 'ok') : badge('pending anchoring', 'pending'),
  ];
}

/** Keeps the header's latest snapshot in step with the live stream (never going back to an older one). */
function setHeaderSnapshot(header, snapshot) {
  const holder = header.querySelector('[data-testid="header-snapshot"]');
  if (!holder) return;
  const shown = Number(holder.querySelector('[data-seq]')?.dataset.seq ?? -1);
  if (Number(snapshot.seq) < shown) return;
  replace(holder, snapshotSummary(snapshot));
}

function entityCell(address, entity) {
  if (!address) return null;
  const name = entity?.name;
  return h('span', {}, addressLink(address, name), name ? [' ', hex(address, { class: 'mono muted' })] : null);
}

/**
 * The live strip: what the security service detected (its open alerts), the simulator's ground truth as a labelled
 * simulation field (simulated devices only), the count of live readings, the latest values.
 */
function createLivePanel() {
  const detection = h('span', { class: 'detection', 'data-testid': 'detection' }, 'no open alert');
  const behaviour = h('span', { class: 'behaviour', 'data-testid': 'behaviour', 'data-anomalous': 'unknown' }, '—');
  const scenario = h('span', { class: 'muted scenario' });
  const simulation = h(
    'div',
    { class: 'stat stat-simulation', 'data-testid': 'simulation-field', hidden: true },
    h('span', { class: 'stat-label' }, 'Simulation ground truth'),
    h('span', { class: 'stat-value' }, behaviour, ' ', scenario),
    h('span', { class: 'muted small' }, 'what the simulator plays, not a detection'),
  );
  const count = h('span', { class: 'live-count', 'data-testid': 'live-count', 'aria-live': 'off' }, '0');
  const latest = h('span', { class: 'latest', 'data-testid': 'latest-reading' }, 'no reading yet');
  let received = 0;

  const setLabel = (name, anomalous, scenarioName) => {
    behaviour.textContent = name ?? '—';
    behaviour.dataset.anomalous = anomalous == null ? 'unknown' : String(Boolean(anomalous));
    behaviour.classList.toggle('anomalous', anomalous === true);
    behaviour.title = anomalous ? 'Anomalous behaviour (simulator ground truth)' : 'Behaviour (simulator ground truth)';
    scenario.textContent = scenarioName ? `scenario ${scenarioName}` : '';
    simulation.hidden = name == null;
  };
  const setReading = (reading) => {
    const body = reading?.body;
    if (!body || typeof body !== 'object') return;
    const net = body.network ?? {};
    latest.textContent = [
      `#${reading.seq} at ${formatClock(reading.ts)}`,
      `CPU ${formatNumber(body.cpuPercent)}%`,
      `memory ${formatNumber(body.memoryUsedPercent)}%`,
      `load ${formatNumber(body.load1, 2)}`,
      `latency ${formatNumber(net.latencyMs)} ms`,
    ].join(' · ');
    if (body.label) setLabel(body.label.behaviour, body.label.anomalous, body.label.scenario);
  };

  const element = h(
    'section',
    { class: 'card live-panel', 'aria-label': 'Live telemetry' },
    h(
      'div',
      { class: 'stat' },
      h('span', { class: 'stat-label' }, 'Behaviour (security detections)'),
      h('span', { class: 'stat-value' }, detection),
    ),
    simulation,
    h(
      'div',
      { class: 'stat' },
      h('span', { class: 'stat-label' }, 'Live readings'),
      h('span', { class: 'stat-value' }, count),
    ),
    h(
      'div',
      { class: 'stat stat-wide' },
      h('span', { class: 'stat-label' }, 'Latest reading'),
      h('span', { class: 'stat-value' }, latest),
    ),
  );

  return {
    element,
    /** The public view: no readings, and why. */
    setPrivate() {
      latest.textContent = "private: sign in as the twin's owner, its manufacturer or a security entity";
      latest.dataset.private = 'true';
    },
    /** The twin's open alerts as the security service published them. */
    setAlerts(alerts) {
      const open = (Array.isArray(alerts) ? alerts : []).filter((alert) => alert.status === 'open');
      if (open.length === 0) {
        replace(detection, h('span', { class: 'muted' }, 'no open alert'));
        detection.dataset.open = '0';
        return;
      }
      detection.dataset.open = String(open.length);
      replace(
        detection,
        open
          .slice(0, 3)
          .map((alert) =>
            badge(alert.behaviour, 'danger', { title: `score ${Number(alert.score).toFixed(2)} · ${alert.action}` }),
          ),
        open.length > 3 ? ` +${open.length - 3}` : null,
      );
    },
    setInitial(detail) {
      if (detail.latestTelemetry) setReading(detail.latestTelemetry);
      if (!detail.latestTelemetry?.body?.label && detail.twin?.behaviour)
        setLabel(detail.twin.behaviour, detail.twin.anomalous);
    },
    received(reading) {
      received += 1;
      count.textContent = String(received);
      setReading(reading);
    },
  };
}

function failureCard(deviceId, error) {
  const missing = error?.status === 404;
  return h(
    'section',
    { class: 'card empty-page', 'data-testid': missing ? 'not-found' : 'load-failed' },
    h('h1', {}, missing ? 'Twin not found' : 'Could not load this twin'),
    h('p', { class: 'mono wrap' }, deviceId),
    h('p', {}, missing ? 'No twin is registered under this DeviceID.' : error?.message ?? ''),
    h('p', {}, h('a', { href: '#/' }, 'Back to the twin list')),
  );
}
