// DOM building blocks. Text always goes in through text nodes (never innerHTML), so API strings stay inert.
import { formatTime, shorten, stateName } from './format.js';

/**
 * `h('a', { href, class, 'data-testid': 'x', onclick }, 'text', child)`: an element with attributes, listeners
 * (`on…` functions) and children (nodes, or anything else as text; null, undefined and false are skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes ?? {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') element.addEventListener(key.slice(2), value);
    else if (key === 'class') element.className = value;
    else element.setAttribute(key, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** Appends children like {@link h} does. */
export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** Replaces all children of `element`. */
export function replace(element, ...children) {
  element.replaceChildren();
  return append(element, children);
}

export const deviceHref = (deviceId) => `#/twins/${encodeURIComponent(deviceId)}`;
export const ownerHref = (address) => `#/owners/${encodeURIComponent(address)}`;
/** The snapshot viewer; with `against`, the diff from that older snapshot. */
export const snapshotHref = (deviceId, seq, against) =>
  `#/twins/${encodeURIComponent(deviceId)}/snapshots/${encodeURIComponent(seq)}${
    against == null ? '' : `?against=${encodeURIComponent(against)}`
  }`;

/** A hex value shortened to `0x1234…abcd` with the full value in `title`. */
export function hex(value, attributes = {}) {
  if (value == null || value === '') return h('span', { class: 'muted' }, '—');
  return h('span', { class: 'mono', title: String(value), ...attributes }, shorten(value));
}

/** A link to the twin page showing the shortened DeviceID. */
export function deviceLink(deviceId) {
  return h('a', { href: deviceHref(deviceId), class: 'mono', title: deviceId }, shorten(deviceId));
}

/** A link to the owner page: the entity name when known, else the shortened address. */
export function addressLink(address, name) {
  if (!address) return h('span', { class: 'muted' }, '—');
  return h('a', { href: ownerHref(address), class: name ? '' : 'mono', title: address }, name || shorten(address));
}

/** The state badge `<span data-testid="state-badge" class="badge state state-suspended">suspended</span>` (history tables pass `testid: false`). */
export function stateBadge(state, { testid = true } = {}) {
  const name = stateName(state);
  const attributes = { class: `badge state state-${name}`, 'data-state': name };
  if (testid) attributes['data-testid'] = 'state-badge';
  return h('span', attributes, name);
}

/** A small neutral or coloured badge. */
export function badge(text, kind = 'neutral', attributes = {}) {
  return h('span', { class: `badge badge-${kind}`, ...attributes }, text);
}

/** `<time>` with the local time as text and the ISO value in `datetime` and `title`. */
export function time(iso) {
  if (iso == null || iso === '') return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: String(iso), title: String(iso) }, formatTime(iso));
}

/** A titled card section. */
export function section(title, attributes = {}, ...children) {
  return h('section', { class: 'card', ...attributes }, h('h2', {}, title), ...children);
}

/**
 * A table with a header row and a body the caller fills: `{ element, tbody, setRows(rows), setMessage(text) }`.
 * `setMessage` shows one full-width row (empty and loading states).
 */
export function dataTable({ testid, caption, columns }) {
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'data', 'data-testid': testid },
    caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((column) => h('th', { scope: 'col' }, column)),
      ),
    ),
    tbody,
  );
  const element = h('div', { class: 'table-wrap' }, table);
  return {
    element,
    table,
    tbody,
    setRows(rows) {
      replace(tbody, rows);
    },
    setMessage(text, kind = 'empty') {
      replace(tbody, h('tr', { class: `message ${kind}` }, h('td', { colspan: columns.length }, text)));
    },
  };
}

/** A `<dl>` of label/value pairs, skipping pairs whose value is undefined. */
export function definitionList(pairs, attributes = {}) {
  const list = h('dl', { class: 'pairs', ...attributes });
  for (const [label, value] of pairs) {
    if (value === undefined) continue;
    list.append(h('div', { class: 'pair' }, h('dt', {}, label), h('dd', {}, value ?? '—')));
  }
  return list;
}

// --- the global error banner and live indicator (both live in index.html) ---

/** Shows `error.message` (or a string) in the error banner. */
export function showError(error) {
  const banner = document.querySelector('[data-testid="error"]');
  if (!banner) return;
  const message = typeof error === 'string' ? error : error?.message || 'Something went wrong.';
  banner.querySelector('.error-message').textContent = message;
  banner.title = error?.code ? `code: ${error.code}` : '';
  banner.hidden = false;
}

export function clearError() {
  const banner = document.querySelector('[data-testid="error"]');
  if (!banner) return;
  banner.hidden = true;
  banner.querySelector('.error-message').textContent = '';
}

const LIVE_TEXT = { open: 'live', connecting: 'connecting…', closed: 'offline', off: '' };

/** The header's live-stream indicator: `open`, `connecting`, `closed` or `off` (hidden: no stream on this page). */
export function setLiveStatus(state) {
  const indicator = document.querySelector('[data-testid="live-status"]');
  if (!indicator) return;
  indicator.dataset.state = state;
  indicator.hidden = state === 'off';
  indicator.querySelector('.live-text').textContent = LIVE_TEXT[state] ?? state;
}
