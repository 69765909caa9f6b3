// The twin page's software-update and state-change history tables.
import { addressLink, dataTable, h, hex, section, stateBadge } from '../dom.js';

const byBlockDesc = (a, b) =>
  Number(b.block ?? 0) - Number(a.block ?? 0) ||
  Number(b.logIndex ?? b.index ?? 0) - Number(a.logIndex ?? a.index ?? 0);

/** `data-testid="updates"`: one row (`update-row`) per recorded software update, newest first. */
export function updatesTable(updates) {
  const table = dataTable({
    testid: 'updates',
    caption: 'Software updates, newest first',
    columns: ['#', 'Component', 'Version', 'Artifact hash', 'Artifact CID', 'Block', 'Tx'],
  });
  const rows = Array.isArray(updates) ? [...updates].sort(byBlockDesc) : [];
  if (rows.length === 0) table.setMessage('No software updates recorded.');
  else {
    table.setRows(
      rows.map((update) =>
        h(
          'tr',
          { 'data-testid': 'update-row', 'data-index': String(update.index ?? '') },
          h('td', { class: 'mono' }, String(update.index ?? '—')),
          h('td', {}, update.component ?? '—'),
          h('td', {}, update.version ?? '—'),
          h('td', {}, hex(update.artifactHash)),
          h(
            'td',
            {},
            update.artifactCid
              ? h('span', { class: 'mono', title: update.artifactCid }, shortCid(update.artifactCid))
              : '—',
          ),
          h('td', { class: 'mono' }, String(update.block ?? '—')),
          h('td', {}, hex(update.tx)),
        ),
      ),
    );
  }
  return section('Software updates', { 'aria-label': 'Software updates' }, table.element);
}

/** `data-testid="state-history"`: one row (`state-row`) per state change, newest first. */
export function stateHistoryTable(changes) {
  const table = dataTable({
    testid: 'state-history',
    caption: 'State changes, newest first',
    columns: ['Block', 'Change', 'Reason', 'By', 'Tx'],
  });
  const rows = Array.isArray(changes) ? [...changes].sort(byBlockDesc) : [];
  if (rows.length === 0) table.setMessage('No state changes yet.');
  else {
    table.setRows(
      rows.map((change) =>
        h(
          'tr',
          { 'data-testid': 'state-row' },
          h('td', { class: 'mono' }, String(change.block ?? '—')),
          h(
            'td',
            { class: 'nowrap' },
            stateBadge(change.previous, { testid: false }),
            ' → ',
            stateBadge(change.new, { testid: false }),
          ),
          h('td', {}, change.reason ? change.reason : h('span', { class: 'muted' }, '—')),
          h('td', {}, addressLink(change.by)),
          h('td', {}, hex(change.tx)),
        ),
      ),
    );
  }
  return section('State history', { 'aria-label': 'State history' }, table.element);
}

/** `data-testid="alerts"`: one row (`alert-row`) per security alert, newest first, with the action taken. */
export function alertsTable(alerts) {
  const table = dataTable({
    testid: 'alerts',
    caption: 'Security alerts, newest first',
    columns: ['Behaviour', 'Score', 'Status', 'Action', 'Window', 'Evidence', 'By'],
  });
  const rows = Array.isArray(alerts) ? alerts : [];
  if (rows.length === 0) table.setMessage('No security alerts.');
  else {
    table.setRows(
      rows.map((alert) =>
        h(
          'tr',
          {
            'data-testid': 'alert-row',
            'data-behaviour': alert.behaviour ?? '',
            'data-action': alert.action ?? '',
            class: alert.status === 'open' ? 'alert-open' : null,
          },
          h('td', {}, h('span', { class: 'badge badge-danger' }, alert.behaviour ?? '—')),
          h('td', { class: 'mono' }, typeof alert.score === 'number' ? alert.score.toFixed(2) : '—'),
          h('td', {}, alert.status ?? '—'),
          h('td', {}, alert.action ?? '—'),
          h('td', { class: 'nowrap' }, windowText(alert.window)),
          h(
            'td',
            {},
            alert.evidenceCid
              ? h('span', { class: 'mono', title: alert.evidenceCid }, shortCid(alert.evidenceCid))
              : '—',
          ),
          h('td', {}, addressLink(alert.by)),
        ),
      ),
    );
  }
  return section('Security alerts', { 'aria-label': 'Security alerts' }, table.element);
}

function windowText(window) {
  if (!window?.from) return '—';
  const time = (iso) => new Date(iso).toLocaleTimeString();
  return `${time(window.from)} – ${time(window.to ?? window.from)}`;
}

function shortCid(cid) {
  const text = String(cid);
  return text.length > 16 ? `${text.slice(0, 8)}…${text.slice(-6)}` : text;
}
