// The topology page: the fleet's network graph from GET /topology drawn in SVG, a node's details, and the what-if
// of isolating twins (GET /topology/what-if). A sign-in token, when given, shows the internals of the twins its
// entity may read; it is kept for this tab only (sessionStorage).
import { API_BASE, ApiError } from './api.js';
import { h, replace } from './dom.js';
import { formatTime, queryString, shorten } from './format.js';
import { layoutGraph } from './topology-layout.js';

const SVG = 'http://www.w3.org/2000/svg';
const TOKEN_KEY = 'twin-registry.topology-token';
/** Where the main dashboard keeps its signed-in session (`{ token, expiresAt, … }`) for the tab, once it has one. */
const DASHBOARD_SESSION_KEY = 'twin-dashboard-session';

/** The token to read with: one pasted here, else the dashboard's session in this tab while it lasts, else none. */
function currentToken() {
  const pasted = sessionStorage.getItem(TOKEN_KEY);
  if (pasted) return pasted;
  try {
    const stored = JSON.parse(sessionStorage.getItem(DASHBOARD_SESSION_KEY) ?? 'null');
    if (typeof stored?.token === 'string' && !(Date.parse(stored.expiresAt) <= Date.now())) return stored.token;
  } catch {
    // not a session: read as the public
  }
  return null;
}
const svg = document.querySelector('[data-testid=topology-svg]');
const form = document.querySelector('[data-testid=topology-form]');
const details = document.querySelector('[data-testid=topology-details]');
const viewerLine = document.querySelector('[data-testid=topology-viewer]');
const selection = document.querySelector('[data-testid=whatif-selection]');
const runButton = document.querySelector('[data-testid=whatif-run]');
const clearButton = document.querySelector('[data-testid=whatif-clear]');
const result = document.querySelector('[data-testid=whatif-result]');
const banner = document.querySelector('[data-testid=error]');

const state = { topology: null, selected: null, isolate: new Set(), whatIf: null };

/** An SVG element with attributes and children. */
function s(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) if (value != null) element.setAttribute(key, String(value));
  for (const child of children) element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return element;
}

function showError(error) {
  banner.querySelector('.error-message').textContent = error?.message ?? String(error);
  banner.hidden = false;
}
banner.querySelector('.error-dismiss').addEventListener('click', () => (banner.hidden = true));

/** GET `API_BASE + path` with the token, if any; the parsed body, or an ApiError with the API's message. */
async function get(path, query) {
  const token = currentToken();
  const headers = { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  let response;
  try {
    response = await fetch(`${API_BASE}${path}${queryString(query)}`, { headers });
  } catch (error) {
    throw new ApiError(`Cannot reach the API (${error?.message ?? 'network error'}).`, { code: 'network-error' });
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(body?.error?.message ?? `The API answered ${response.status}.`, {
      status: response.status,
      code: body?.error?.code ?? 'http-error',
      details: body?.error?.details,
      body,
    });
  }
  return body;
}

const labelOf = (node) => (node.kind === 'twin' ? shorten(node.id) : node.addresses[0] ?? node.id);
/** A node's label by ID: a twin's shortened DeviceID, a host's address. */
const nameOf = (id) => {
  const node = state.topology?.nodes.find((candidate) => candidate.id === id);
  return node ? labelOf(node) : id.startsWith('host:') ? id.slice(5).split('@')[0] : shorten(id);
};

function render() {
  const topology = state.topology;
  svg.replaceChildren();
  if (!topology) return;
  const positions = layoutGraph(topology.nodes, topology.links);
  const stopped = new Set((state.whatIf?.stoppedFlows ?? []).map((flow) => flow.linkId));
  const affected = new Set([
    ...(state.whatIf?.lostGateway ?? []).map((entry) => entry.deviceId),
    ...(state.whatIf?.lostPeers ?? []).map((entry) => entry.deviceId),
  ]);
  const isolated = new Set(state.whatIf?.isolated ?? []);
  for (const link of topology.links) {
    const a = positions.get(link.source);
    const b = positions.get(link.target);
    if (!a || !b) continue;
    const classes = ['topology-link', link.kind, stopped.has(link.id) ? 'stopped' : ''].join(' ').trim();
    const title = link.redacted
      ? 'linked (details not readable)'
      : `${link.kind}${link.protocol ? ` ${link.protocol}/${link.port}` : ''} · ${
          link.traffic.connections
        } connection(s)` +
        `${link.traffic.bytes === null ? '' : ` · ${link.traffic.bytes} bytes`} · last seen ${formatTime(
          link.lastSeen,
        )}`;
    svg.append(
      s(
        'line',
        {
          class: classes,
          x1: a.x,
          y1: a.y,
          x2: b.x,
          y2: b.y,
          'data-testid': 'topology-link',
          'data-link-id': link.id,
          'data-kind': link.kind,
          'data-stopped': stopped.has(link.id),
        },
        s('title', {}, title),
      ),
    );
  }
  for (const node of topology.nodes) {
    const at = positions.get(node.id);
    const classes = [
      'topology-node',
      node.kind,
      isolated.has(node.id) ? 'isolated' : '',
      affected.has(node.id) ? 'affected' : '',
      state.selected === node.id ? 'selected' : '',
    ];
    const group = s(
      'g',
      {
        class: classes.join(' ').trim(),
        transform: `translate(${at.x.toFixed(1)} ${at.y.toFixed(1)})`,
        'data-testid': 'topology-node',
        'data-node-id': node.id,
        'data-kind': node.kind,
        'data-affected': affected.has(node.id),
        tabindex: 0,
        role: 'button',
        'aria-label': `${node.kind} ${labelOf(node)}`,
      },
      s('circle', { r: node.kind === 'twin' ? 11 : 7 }),
      at.x > 780
        ? s('text', { x: -14, y: 4, 'text-anchor': 'end' }, labelOf(node))
        : s('text', { x: 14, y: 4 }, labelOf(node)),
      s('title', {}, `${node.kind} ${node.id}`),
    );
    const choose = () => select(node.id);
    group.addEventListener('click', choose);
    group.addEventListener('keydown', (event) => (event.key === 'Enter' || event.key === ' ') && choose());
    svg.append(group);
  }
}

function select(id) {
  state.selected = id;
  const node = state.topology.nodes.find((candidate) => candidate.id === id);
  const links = state.topology.links.filter((link) => link.source === id || link.target === id);
  const rows = [
    ['Kind', node.kind],
    ['ID', node.id],
    ['State', node.state ?? '—'],
    ['Addresses', node.addresses.join(', ') || '—'],
    ['MAC', node.mac ?? '—'],
    ['Gateway for', node.gatewayFor.map(nameOf).join(', ') || '—'],
    ['Last seen', node.lastSeen ? formatTime(node.lastSeen) : '—'],
    ['Links', String(links.length)],
  ];
  replace(
    details,
    h(
      'dl',
      { 'data-node-id': id },
      rows.map(([term, value]) => [h('dt', {}, term), h('dd', { class: 'wrap' }, value)]),
    ),
    node.kind === 'twin'
      ? h(
          'button',
          { type: 'button', 'data-testid': 'whatif-toggle', onclick: () => toggleIsolate(id) },
          state.isolate.has(id) ? 'Remove from the what-if' : 'Add to the what-if',
        )
      : null,
  );
  details.classList.remove('muted');
  render();
}

function toggleIsolate(id) {
  if (state.isolate.has(id)) state.isolate.delete(id);
  else state.isolate.add(id);
  replace(
    selection,
    [...state.isolate].map((twin) => h('li', { class: 'mono', title: twin }, shorten(twin))),
  );
  runButton.disabled = state.isolate.size === 0;
  clearButton.disabled = state.isolate.size === 0;
  if (state.selected) select(state.selected);
}

function renderWhatIf(answer) {
  const list = (testid, items, text) =>
    h(
      'ul',
      { 'data-testid': testid },
      items.length === 0 ? h('li', { class: 'muted' }, 'none') : items.map((item) => h('li', {}, text(item))),
    );
  replace(
    result,
    h(
      'p',
      { 'data-testid': 'whatif-summary' },
      `${answer.summary.twinsAffected} twin(s) affected, ${answer.summary.flowsStopped} of ${answer.summary.flows} flow(s) stop.`,
    ),
    h('h3', {}, 'Lose a gateway'),
    list(
      'whatif-lost-gateway',
      answer.lostGateway,
      (entry) =>
        `${nameOf(entry.deviceId)} via ${entry.gateways.map(nameOf).join(', ')}${
          entry.routeLeft ? ' (another route is left)' : ''
        }`,
    ),
    h('h3', {}, 'Lose peers'),
    list(
      'whatif-lost-peers',
      answer.lostPeers,
      (entry) => `${nameOf(entry.deviceId)}: ${entry.peers.map(nameOf).join(', ')}`,
    ),
    h('h3', {}, 'Flows that stop'),
    list(
      'whatif-stopped',
      answer.stoppedFlows,
      (flow) =>
        `${nameOf(flow.source)} → ${nameOf(flow.target)} ${flow.protocol ?? ''}/${flow.port ?? '—'} (${flow.reason})`,
    ),
  );
}

async function load() {
  const data = new FormData(form);
  const around = String(data.get('around') ?? '').trim();
  const token = String(data.get('token') ?? '').trim();
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  const query = around ? { around, depth: String(data.get('depth') ?? '1') } : {};
  banner.hidden = true;
  const topology = await get('/topology', query);
  state.topology = topology;
  state.whatIf = null;
  state.selected = null;
  state.isolate = new Set([...state.isolate].filter((id) => topology.nodes.some((node) => node.id === id)));
  replace(result);
  const { viewer } = topology;
  viewerLine.textContent =
    viewer.address === null
      ? `Public view: ${topology.nodes.length} twins and which are linked. Sign in to see your twins' internals.`
      : `Signed in as ${shorten(viewer.address)} (${viewer.role}): internals of ${viewer.internalsOf} twin(s).`;
  viewerLine.dataset.internalsOf = String(viewer.internalsOf);
  svg.dataset.nodes = String(topology.nodes.length);
  render();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  load().catch(showError);
});
runButton.addEventListener('click', () => {
  get('/topology/what-if', { isolate: [...state.isolate].join(',') })
    .then((answer) => {
      state.whatIf = answer;
      renderWhatIf(answer);
      render();
    })
    .catch(showError);
});
clearButton.addEventListener('click', () => {
  for (const id of [...state.isolate]) toggleIsolate(id);
  state.whatIf = null;
  replace(result);
  render();
});

const initial = new URLSearchParams(location.search);
if (initial.get('around')) form.elements.around.value = initial.get('around');
if (initial.get('depth')) form.elements.depth.value = initial.get('depth');
form.elements.token.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
load().catch(showError);
