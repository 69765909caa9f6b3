// `#/twins/<deviceId>/snapshots/<seq>[?against=<seq>]`: one snapshot's contents as tables (processes, sockets and
// listening ports, USB/PCI, libraries, ARP, DNS, sensors), links to the signed message and the proof, and with
// `against` the diff from an older snapshot: new and gone processes, ports, USB devices, libraries and neighbours.
import { API_BASE, fetchBytes } from '../api.js';
import { badge, dataTable, definitionList, deviceHref, h, replace, section, showError, snapshotHref, time } from '../dom.js';
import { formatNumber, shorten } from '../format.js';

/** Each table: title, testid, the probe's rows from the body, its columns and one cell function per column. */
const TABLES = [
  {
    key: 'processes',
    title: 'Processes',
    rows: (body) => probe(body.processes, (value) => value.list),
    columns: ['PID', 'User', 'Name', 'CPU %', 'Memory %', 'Threads', 'Command'],
    cells: (p) => [p.pid, p.user, p.name, formatNumber(p.cpuPercent), formatNumber(p.memPercent), p.threads, p.command],
    identity: (p) => `${p.name} (${p.user})`,
  },
  {
    key: 'listening',
    title: 'Listening ports',
    rows: (body) => probe(body.network, (value) => value.listening),
    columns: ['Protocol', 'Address', 'Port'],
    cells: (l) => [l.protocol, l.address, l.port],
    identity: (l) => `${l.protocol} ${l.address}:${l.port}`,
  },
  {
    key: 'sockets',
    title: 'Sockets',
    rows: (body) => probe(body.network, (value) => value.sockets),
    columns: ['Protocol', 'Local', 'Remote', 'State', 'UID'],
    cells: (s) => [s.protocol, `${s.localAddress}:${s.localPort}`, `${s.remoteAddress}:${s.remotePort}`, s.state, s.uid],
    identity: (s) => `${s.protocol} ${s.localAddress}:${s.localPort} → ${s.remoteAddress}:${s.remotePort}`,
  },
  {
    key: 'usb',
    title: 'USB devices',
    rows: (body) => probe(body.usb, (value) => value),
    columns: ['Bus', 'Device', 'Vendor:product', 'Manufacturer', 'Product', 'Speed'],
    cells: (u) => [u.bus, u.device, `${u.vendorId}:${u.productId}`, u.manufacturer, u.product, u.speedMbps == null ? null : `${u.speedMbps} Mbit/s`],
    identity: (u) => `${u.vendorId}:${u.productId} ${u.product ?? ''}`.trim(),
  },
  {
    key: 'pci',
    title: 'PCI devices',
    rows: (body) => probe(body.pci, (value) => value),
    columns: ['Address', 'Vendor:device', 'Class', 'Driver'],
    cells: (p) => [p.address, `${p.vendorId}:${p.deviceId}`, p.classCode, p.driver],
    identity: (p) => `${p.address} ${p.vendorId}:${p.deviceId}`,
  },
  {
    key: 'libraries',
    title: 'Shared libraries',
    rows: (body) =>
      probe(body.sharedLibraries, (value) =>
        value.flatMap((process) => process.libraries.map((library) => ({ library, name: process.name, pid: process.pid }))),
      ),
    columns: ['Library', 'Loaded by', 'PID'],
    cells: (l) => [l.library, l.name, l.pid],
    identity: (l) => l.library,
  },
  {
    key: 'arp',
    title: 'ARP table',
    rows: (body) => probe(body.arp, (value) => value),
    columns: ['IP', 'MAC', 'Interface', 'Kind'],
    cells: (a) => [a.ip, a.mac, a.device, a.kind],
    identity: (a) => `${a.ip} ${a.mac}`,
  },
  {
    key: 'dns',
    title: 'DNS resolvers',
    rows: (body) =>
      probe(body.dns?.config, (value) => [
        ...value.nameservers.map((server) => ({ kind: 'nameserver', value: server })),
        ...value.search.map((domain) => ({ kind: 'search domain', value: domain })),
        ...value.options.map((option) => ({ kind: 'option', value: option })),
      ]),
    columns: ['Kind', 'Value'],
    cells: (d) => [d.kind, d.value],
    identity: (d) => `${d.kind} ${d.value}`,
  },
  {
    key: 'sensors',
    title: 'Sensors',
    rows: (body) => probe(body.sensors, (value) => value),
    columns: ['Sensor', 'Value', 'Unit', 'Source'],
    cells: (s) => [s.name, formatNumber(s.value, 2), s.unit, s.source],
    identity: (s) => s.name,
  },
];

/** `{ rows }` of an available probe, `{ reason }` of an unavailable one, `{ missing: true }` when absent. */
function probe(result, pick) {
  if (!result || typeof result !== 'object') return { missing: true };
  if (result.available === false) return { reason: result.reason };
  if (result.available !== true) return { missing: true };
  try {
    const rows = pick(result.value);
    return { rows: Array.isArray(rows) ? rows : [] };
  } catch {
    return { missing: true };
  }
}

export async function renderSnapshot(container, { deviceId, seq, query = {} }, ctx) {
  replace(container, h('p', { class: 'muted loading' }, 'Loading the snapshot…'));
  const base = `/twins/${encodeURIComponent(deviceId)}/snapshots`;
  const against = query.against != null && query.against !== '' ? Number(query.against) : null;
  let current;
  let older = null;
  try {
    [current, older] = await Promise.all([
      ctx.get(`${base}/${encodeURIComponent(seq)}`),
      against == null || !Number.isInteger(against) ? null : ctx.get(`${base}/${encodeURIComponent(against)}`),
    ]);
  } catch (error) {
    if (ctx.alive) replace(container, failure(deviceId, seq, error));
    throw error;
  }
  if (!ctx.alive) return;
  // The snapshot before this one (sequence numbers are shared with telemetry, so not seq - 1).
  let previousSeq = null;
  try {
    const page = await ctx.get(base, { to: current.snapshot?.collectedAt, pageSize: 2 });
    previousSeq = (page.items ?? []).find((item) => Number(item.seq) < Number(seq))?.seq ?? null;
  } catch (error) {
    if (!ctx.alive) throw error;
  }
  const body = current.message?.body ?? {};
  const meta = current.snapshot ?? {};
  const documentHref = `${API_BASE}${base}/${encodeURIComponent(seq)}`;
  // The exact bytes from the API's IPFS gateway when it has one (`snapshot.url`), else the signed message as JSON.
  const rawHref = typeof meta.url === 'string' ? meta.url : documentHref;
  const proofHref = `${documentHref}/proof`;
  const system = body.system?.available ? body.system.value : null;

  const head = h(
    'section',
    { class: 'card', 'data-testid': 'snapshot-header' },
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, `Snapshot #${meta.seq ?? seq}`),
      meta.anchored ? badge('anchored', 'ok', { 'data-testid': 'snapshot-anchored' }) : badge('pending anchoring', 'pending'),
      older ? badge(`compared with #${older.snapshot?.seq ?? against}`, 'info', { 'data-testid': 'diff-against' }) : null,
    ),
    definitionList([
      ['Twin', h('a', { href: deviceHref(deviceId), class: 'mono', title: deviceId }, system?.hostname ?? shorten(deviceId))],
      ['Collected at', time(meta.collectedAt ?? body.collectedAt)],
      ['Received at', time(meta.receivedAt)],
      ['Uptime', system ? `${formatNumber(system.uptimeSeconds / 3600, 1)} h` : h('span', { class: 'muted' }, 'not reported')],
      ['Load average', system ? system.loadAverage.map((n) => formatNumber(n, 2)).join(' · ') : undefined],
      ['Signed message', rawLink(rawHref, meta.cid, documentHref)],
      [
        'Proof',
        meta.anchored
          ? h('a', { href: proofHref, target: '_blank', rel: 'noopener', 'data-testid': 'snapshot-proof' }, 'Merkle proof, checked on chain')
          : h('span', { class: 'muted' }, 'not anchored yet'),
      ],
      ['Hash', meta.hash ? h('span', { class: 'mono wrap' }, meta.hash) : undefined],
      ['CID', meta.cid ? h('span', { class: 'mono wrap' }, meta.cid) : undefined],
      [
        'Compare',
        h(
          'span',
          {},
          previousSeq != null
            ? h('a', { href: snapshotHref(deviceId, seq, previousSeq), 'data-testid': 'diff-previous' }, `with the previous snapshot (#${previousSeq})`)
            : h('span', { class: 'muted' }, 'no older snapshot'),
          older ? [' · ', h('a', { href: snapshotHref(deviceId, seq) }, 'no comparison')] : null,
        ),
      ],
    ]),
    body.label
      ? h(
          'p',
          { class: 'notice', 'data-testid': 'simulation-field' },
          `Simulation ground truth (not a detection): ${body.label.behaviour}${body.label.anomalous ? ' (anomalous)' : ''}`,
        )
      : null,
  );

  const parts = [head];
  if (older) parts.push(diffCard(older.message?.body ?? {}, body));
  for (const definition of TABLES) parts.push(tableCard(definition, body));
  replace(container, ...parts);
}

/**
 * The exact bytes as published, from the API's IPFS gateway (private: fetched with the session token, then saved),
 * and the signed message as JSON.
 */
function rawLink(rawHref, cid, documentHref) {
  const link = h('a', { href: rawHref, 'data-testid': 'snapshot-raw', download: `${cid ?? 'snapshot'}.json` }, 'the bytes as published');
  link.addEventListener('click', async (event) => {
    event.preventDefault();
    try {
      const bytes = await fetchBytes(rawHref);
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const save = h('a', { href: url, download: `${cid ?? 'snapshot'}.json` });
      save.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      showError(error);
    }
  });
  return h('span', {}, link, ' · ', h('a', { href: documentHref, target: '_blank', rel: 'noopener' }, 'as JSON'));
}

function tableCard(definition, body) {
  const result = definition.rows(body);
  const table = dataTable({ testid: `snapshot-${definition.key}`, caption: definition.title, columns: definition.columns });
  let note = null;
  if (result.missing) table.setMessage('No data yet: this snapshot does not carry this section.');
  else if (result.reason) table.setMessage(`Not available on this device: ${result.reason}`);
  else if (result.rows.length === 0) table.setMessage('None.');
  else {
    table.setRows(
      result.rows.map((row) =>
        h(
          'tr',
          { 'data-testid': `${definition.key}-row` },
          definition.cells(row).map((cell) => h('td', {}, cell == null || cell === '' ? h('span', { class: 'muted' }, '—') : String(cell))),
        ),
      ),
    );
    note = h('span', { class: 'muted small' }, `${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`);
  }
  return h(
    'section',
    { class: 'card', 'data-section': definition.key },
    h('div', { class: 'card-head' }, h('h2', {}, definition.title), note),
    table.element,
  );
}

/** What appeared and disappeared between two snapshots, per table, by each row's identity. */
function diffCard(olderBody, newerBody) {
  const rows = [];
  for (const definition of TABLES) {
    if (definition.key === 'sockets' || definition.key === 'sensors') continue; // churn, not change
    const before = definition.rows(olderBody);
    const after = definition.rows(newerBody);
    if (!before.rows || !after.rows) continue;
    const was = new Set(before.rows.map(definition.identity));
    const is = new Set(after.rows.map(definition.identity));
    for (const id of is) if (!was.has(id)) rows.push([definition.title, 'new', id]);
    for (const id of was) if (!is.has(id)) rows.push([definition.title, 'gone', id]);
  }
  const table = dataTable({ testid: 'snapshot-diff', caption: 'Changes', columns: ['Section', 'Change', 'What'] });
  if (rows.length === 0) table.setMessage('No new or gone processes, ports, devices, libraries or neighbours.');
  else
    table.setRows(
      rows.map(([title, change, id]) =>
        h(
          'tr',
          { 'data-testid': 'diff-row', 'data-change': change, 'data-section': title },
          h('td', {}, title),
          h('td', {}, badge(change, change === 'new' ? 'warn' : 'neutral')),
          h('td', { class: 'mono wrap' }, id),
        ),
      ),
    );
  return section('Changes since the older snapshot', { 'data-testid': 'diff' }, table.element);
}

function failure(deviceId, seq, error) {
  const missing = error?.status === 404;
  const locked = error?.status === 401 || error?.status === 403;
  return h(
    'section',
    { class: 'card empty-page', 'data-testid': missing ? 'not-found' : 'load-failed' },
    h('h1', {}, missing ? 'Snapshot not found' : 'Could not load this snapshot'),
    h(
      'p',
      {},
      locked
        ? "A snapshot's contents are readable by the twin's owner, its manufacturer and security entities: sign in."
        : error?.message ?? '',
    ),
    h('p', {}, h('a', { href: deviceHref(deviceId) }, `Back to the twin (snapshot #${seq})`)),
  );
}
