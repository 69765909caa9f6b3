// The twin's static document, rendered generically: one group per top-level object, nested definition lists.
import { h } from '../dom.js';
import { humanizeKey } from '../format.js';

const MAX_DEPTH = 6;

const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The card `data-testid="static-params"` for the detail's `static` and `staticError`. */
export function renderStaticParams(detail) {
  const card = h('section', { class: 'card', 'data-testid': 'static-params', 'aria-labelledby': 'static-title' });
  card.append(h('h2', { id: 'static-title' }, 'Static parameters'));
  const doc = detail.static;
  if (!isPlainObject(doc)) {
    card.append(
      detail.staticError
        ? h('p', { class: 'notice notice-warn' }, `Static document unavailable: ${detail.staticError}`)
        : h('p', { class: 'muted' }, 'No static document.'),
    );
    return card;
  }
  if (detail.staticError) card.append(h('p', { class: 'notice notice-warn' }, detail.staticError));

  const top = [];
  const groups = [];
  for (const [key, value] of Object.entries(doc)) {
    if (isPlainObject(value)) groups.push([key, value]);
    else top.push([key, value]);
  }
  const grid = h('div', { class: 'static-grid' });
  if (top.length) grid.append(group('Document', top));
  for (const [key, value] of groups) grid.append(group(humanizeKey(key), Object.entries(value), key));
  card.append(grid);
  return card;
}

function group(title, entries, key) {
  return h(
    'div',
    { class: 'static-group', 'data-group': key ?? 'document' },
    h('h3', {}, title),
    entries.length ? fields(entries, 1) : h('p', { class: 'muted' }, 'empty'),
  );
}

function fields(entries, depth) {
  return h(
    'dl',
    { class: 'fields' },
    entries.map(([key, value]) =>
      h(
        'div',
        { class: 'field', 'data-key': key },
        h('dt', { title: key }, humanizeKey(key)),
        h('dd', {}, renderValue(value, depth)),
      ),
    ),
  );
}

function renderValue(value, depth) {
  if (value === null || value === undefined) return h('span', { class: 'muted' }, '—');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') {
    const long = /^0x[0-9a-fA-F]{16,}$/.test(value) || value.length > 48;
    return long ? h('span', { class: 'mono wrap' }, value) : value;
  }
  if (depth >= MAX_DEPTH) return h('span', { class: 'mono wrap' }, JSON.stringify(value));
  if (Array.isArray(value)) {
    if (value.length === 0) return h('span', { class: 'muted' }, 'none');
    if (value.every((item) => item === null || typeof item !== 'object')) return value.map(String).join(', ');
    return h(
      'ol',
      { class: 'values' },
      value.map((item) => h('li', {}, renderValue(item, depth + 1))),
    );
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    return entries.length ? fields(entries, depth + 1) : h('span', { class: 'muted' }, 'empty');
  }
  return String(value);
}
