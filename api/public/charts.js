// Live telemetry charts on Chart.js (the UMD bundle served at /vendor/chart.umd.js sets window.Chart).
import { formatClock } from './format.js';

export const MAX_POINTS = 300;
const RENDER_DELAY_MS = 100;
const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#d97706',
  '#7c3aed',
  '#0891b2',
  '#db2777',
  '#4b5563',
  '#65a30d',
  '#9333ea',
];

const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The fixed series: chart → datasets of `{ label, value(body), axis? }`. */
const SERIES = {
  cpu: [{ label: 'CPU %', value: (body) => num(body.cpuPercent) }],
  memory: [{ label: 'Memory used %', value: (body) => num(body.memoryUsedPercent) }],
  network: [
    { label: 'Packets in/s', value: (body) => num(body.network?.packetsInPerSec) },
    { label: 'Packets out/s', value: (body) => num(body.network?.packetsOutPerSec) },
    { label: 'New connections/s', value: (body) => num(body.network?.newConnectionsPerSec), axis: 'y1' },
    { label: 'Failed connections/s', value: (body) => num(body.network?.failedConnectionsPerSec), axis: 'y1' },
  ],
};

function baseOptions({ percent = false, secondAxis = null } = {}) {
  const scales = {
    x: { ticks: { maxTicksLimit: 6, maxRotation: 0, autoSkip: true }, grid: { display: false } },
    y: percent ? { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } } : { beginAtZero: true },
  };
  if (secondAxis) {
    scales.y.title = { display: true, text: 'packets/s' };
    scales.y1 = {
      beginAtZero: true,
      position: 'right',
      grid: { drawOnChartArea: false },
      title: { display: true, text: secondAxis },
    };
  }
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    normalized: true,
    interaction: { mode: 'index', intersect: false },
    elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 2, tension: 0.25 } },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 12 } } },
    scales,
  };
}

function dataset(label, index, axis) {
  const color = PALETTE[index % PALETTE.length];
  return { label, data: [], borderColor: color, backgroundColor: `${color}33`, yAxisID: axis ?? 'y', spanGaps: true };
}

/**
 * `createTelemetryCharts({ cpu, memory, network, sensors })` with one canvas each → `{ available, load(items),
 * append(reading), reset(), size, destroy() }`. Keeps the last MAX_POINTS readings; a reading already shown (same seq and
 * ts) is skipped. Each canvas gets `data-points` (readings shown) after every redraw.
 */
export function createTelemetryCharts(canvases) {
  const Chart = globalThis.Chart;
  const readings = [];
  const seen = new Set();
  const keyOf = (reading) => `${reading.seq}|${reading.ts}`;
  /** How the x axis labels a point: the clock (live), or the day and time (a look back over days). */
  let label = (reading) => formatClock(reading.ts);
  if (typeof Chart !== 'function') {
    for (const canvas of Object.values(canvases)) canvas.replaceWith(unavailable());
    return {
      available: false,
      load() {},
      append() {},
      reset() {},
      destroy() {},
      get size() {
        return 0;
      },
    };
  }

  const charts = {
    cpu: new Chart(canvases.cpu, {
      type: 'line',
      data: { labels: [], datasets: [dataset('CPU %', 0)] },
      options: baseOptions({ percent: true }),
    }),
    memory: new Chart(canvases.memory, {
      type: 'line',
      data: { labels: [], datasets: [dataset('Memory used %', 4)] },
      options: baseOptions({ percent: true }),
    }),
    network: new Chart(canvases.network, {
      type: 'line',
      data: { labels: [], datasets: SERIES.network.map((series, i) => dataset(series.label, i, series.axis)) },
      options: baseOptions({ secondAxis: 'connections/s' }),
    }),
    sensors: new Chart(canvases.sensors, { type: 'line', data: { labels: [], datasets: [] }, options: baseOptions() }),
  };
  let timer = null;
  let destroyed = false;

  function add(reading) {
    if (destroyed || !reading || typeof reading.body !== 'object' || reading.body === null) return false;
    const key = keyOf(reading);
    if (seen.has(key)) return false;
    seen.add(key);
    readings.push(reading);
    while (readings.length > MAX_POINTS) seen.delete(keyOf(readings.shift()));
    return true;
  }

  function redraw() {
    timer = null;
    const labels = readings.map((reading) => label(reading));
    for (const name of ['cpu', 'memory', 'network']) {
      const chart = charts[name];
      chart.data.labels = labels;
      SERIES[name].forEach((series, i) => {
        chart.data.datasets[i].data = readings.map((reading) => series.value(reading.body));
      });
    }
    drawSensors(labels);
    for (const [name, chart] of Object.entries(charts)) {
      chart.update('none');
      canvases[name].dataset.points = String(readings.length);
    }
  }

  function drawSensors(labels) {
    const chart = charts.sensors;
    const names = [];
    const units = new Map();
    for (const reading of readings) {
      for (const sensor of Array.isArray(reading.body.sensors) ? reading.body.sensors : []) {
        if (!sensor || typeof sensor.name !== 'string') continue;
        if (!units.has(sensor.name)) {
          names.push(sensor.name);
          units.set(sensor.name, sensor.unit ?? '');
        }
      }
    }
    chart.data.labels = labels;
    chart.data.datasets = names.map((name, i) => {
      const unit = units.get(name);
      const existing = chart.data.datasets.find((set) => set.sensorName === name);
      const set = existing ?? { ...dataset(unit ? `${name} (${unit})` : name, i), sensorName: name };
      set.data = readings.map((reading) => {
        const sensor = (reading.body.sensors ?? []).find((s) => s && s.name === name);
        return sensor ? num(sensor.value) : null;
      });
      return set;
    });
  }

  function schedule() {
    if (timer === null) timer = setTimeout(redraw, RENDER_DELAY_MS);
  }

  return {
    available: true,
    /** Adds the readings (oldest first) to what is shown and redraws now. */
    load(items) {
      if (destroyed) return;
      for (const reading of Array.isArray(items) ? items : []) add(reading);
      clearTimeout(timer);
      redraw();
    },
    /** Forgets every reading shown (a change of range); `withDay` labels points with their day too. */
    reset({ withDay = false } = {}) {
      readings.length = 0;
      seen.clear();
      label = withDay
        ? (reading) =>
            `${new Date(reading.ts).toLocaleDateString([], { month: 'short', day: 'numeric' })} ${formatClock(
              reading.ts,
            ).slice(0, 5)}`
        : (reading) => formatClock(reading.ts);
    },
    /** Adds one live reading; redraws at most every RENDER_DELAY_MS. */
    append(reading) {
      if (add(reading)) schedule();
    },
    get size() {
      return readings.length;
    },
    destroy() {
      destroyed = true;
      clearTimeout(timer);
      timer = null;
      for (const chart of Object.values(charts)) chart.destroy();
    },
  };
}

function unavailable() {
  const note = document.createElement('p');
  note.className = 'muted chart-unavailable';
  note.textContent = 'Charts unavailable: the chart library did not load.';
  return note;
}

/**
 * The buckets of `GET /twins/{id}/telemetry?bucket=` as readings the charts draw: each bucket's averages, at its
 * start (`sensors.<name>` back into the body's sensors list, `network.<field>` into its network object).
 */
export function bucketsAsReadings(buckets) {
  return (Array.isArray(buckets) ? buckets : []).map((bucket, index) => {
    const body = { network: {}, sensors: [] };
    for (const [metric, stats] of Object.entries(bucket.metrics ?? {})) {
      const value = num(stats?.avg);
      if (metric.startsWith('network.')) body.network[metric.slice(8)] = value;
      else if (metric.startsWith('sensors.')) body.sensors.push({ name: metric.slice(8), value });
      else body[metric] = value;
    }
    return { seq: index, ts: bucket.start, body };
  });
}
