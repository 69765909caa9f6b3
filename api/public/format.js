// Pure formatting helpers (no DOM): importable from Node for checks and tests.

/** Twin states in the order of the on-chain enum `TwinState`. */
export const STATES = ['active', 'suspended', 'unknown', 'deactivated', 'lost'];
/** Entity roles and statuses in the order of the on-chain enums `EntityRole` and `EntityStatus`. */
export const ENTITY_ROLES = ['none', 'manufacturer', 'owner', 'security-entity'];
export const ENTITY_STATUSES = ['none', 'pending', 'approved', 'revoked'];

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML (the views build DOM nodes with textContent; this is for any string templating). */
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** `0x1234…abcd`: keeps `head` and `tail` characters after the `0x` prefix. Short or non-string values pass through. */
export function shorten(value, head = 4, tail = 4) {
  if (value == null) return '';
  const text = String(value);
  const prefix = text.startsWith('0x') ? '0x' : '';
  const body = text.slice(prefix.length);
  if (body.length <= head + tail + 1) return text;
  return `${prefix}${body.slice(0, head)}…${body.slice(-tail)}`;
}

/**
 * Wei (decimal string, number or bigint) to ETH with at most `decimals` decimals, rounded half up with BigInt
 * (no floating point), trailing zeros trimmed: `1500000000000000000` → `1.5 ETH`. Non-zero amounts below the
 * smallest shown step read `<0.0001 ETH`. Invalid input is returned as given.
 */
export function formatEth(wei, decimals = 4) {
  if (wei == null || wei === '') return '—';
  const text = String(wei).trim();
  if (!/^-?\d+$/.test(text)) return text;
  let value = BigInt(text);
  const negative = value < 0n;
  if (negative) value = -value;
  const step = 10n ** BigInt(18 - decimals);
  const units = (value + step / 2n) / step;
  if (units === 0n && value > 0n) return `${negative ? '>-' : '<'}0.${'0'.repeat(decimals - 1)}1 ETH`;
  const scale = 10n ** BigInt(decimals);
  const whole = units / scale;
  const fraction = (units % scale).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${negative && units > 0n ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''} ETH`;
}

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** ISO 8601 → local `YYYY-MM-DD HH:MM:SS`; anything unparsable is returned as text, null as `—`. */
export function formatTime(iso) {
  if (iso == null || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(date)}`;
}

/** ISO 8601 or Date → local `HH:MM:SS` (chart axis labels). */
export function formatClock(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value ?? '');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A number with at most `digits` decimals, `—` for null or non-numbers. */
export function formatNumber(value, digits = 1) {
  if (value == null || typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits).replace(/\.?0+$/, '');
}

/** A state as its lower-case name whether the API gives a name (`Active`, `active`) or the enum index (`1`). */
export function stateName(state) {
  return enumName(state, STATES);
}

/** Same for entity roles and statuses. */
export function roleName(role) {
  return enumName(role, ENTITY_ROLES);
}
export function entityStatusName(status) {
  return enumName(status, ENTITY_STATUSES);
}

function enumName(value, names) {
  if (value == null || value === '') return 'unknown';
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return names[Number(value)] ?? String(value);
  return String(value)
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase();
}

/** True for `0x` + 64 hex (a DeviceID) and `0x` + 40 hex (an address). */
export const isDeviceId = (value) => /^0x[0-9a-fA-F]{64}$/.test(String(value ?? ''));
export const isAddress = (value) => /^0x[0-9a-fA-F]{40}$/.test(String(value ?? ''));

/** Case-insensitive equality of hex identifiers (DeviceIDs, addresses). */
export function sameHex(a, b) {
  return a != null && b != null && String(a).toLowerCase() === String(b).toLowerCase();
}

/** What each notification kind means, for people. */
export const NOTIFICATION_TITLES = {
  'state-changed': 'State changed',
  'review-requested': 'Review requested',
  'security-alert': 'Security alert',
  alert: 'Security alert',
  'alert-changed': 'Security alert updated',
  sold: 'Twin sold',
  listed: 'Listed for sale',
  delisted: 'Listing withdrawn',
  'update-recorded': 'Software update recorded',
  lost: 'Reported lost',
  found: 'Reported found',
};

/** `state-changed` → `State changed`; unknown kinds humanised. */
export function notificationTitle(kind) {
  return NOTIFICATION_TITLES[kind] ?? humanizeKey(String(kind ?? 'notification').replace(/-/g, '_'));
}

/** Labels of payload fields a notification may carry. */
const PAYLOAD_LABELS = {
  behaviour: 'detected',
  score: 'score',
  action: 'action taken',
  note: 'note',
  price: 'price',
  component: 'component',
  version: 'version',
  by: 'by',
  evidenceCid: 'evidence',
  updateCount: 'updates recorded',
};

/**
 * One sentence for a notification's payload: `active → suspended, because: reason` for state changes, otherwise its
 * known fields with human labels (`detected connection-flood · score 0.93 · action taken suspended`). Never longer
 * than `max` characters.
 */
export function summarizePayload(kind, payload, max = 160) {
  if (payload == null) return '';
  if (typeof payload !== 'object') return truncate(String(payload), max);
  const parts = [];
  const previous = payload.previousState ?? payload.previous ?? payload.from;
  const next = payload.newState ?? payload.new ?? payload.next ?? payload.to ?? payload.state;
  if (previous != null && next != null) parts.push(`${stateName(previous)} → ${stateName(next)}`);
  else if (next != null && kind === 'state-changed') parts.push(`now ${stateName(next)}`);
  if (payload.reason) parts.push(`because: ${payload.reason}`);
  // Where it happened is shown apart (the block); the identifiers are the notification's own fields.
  const skip = new Set([
    'previousState',
    'newState',
    'previous',
    'from',
    'new',
    'next',
    'to',
    'state',
    'reason',
    'deviceId',
    'owner',
    'block',
    'blockHash',
    'tx',
    'logIndex',
  ]);
  for (const [key, value] of Object.entries(payload)) {
    if (skip.has(key) || value == null || typeof value === 'object') continue;
    const label = PAYLOAD_LABELS[key] ?? humanizeKey(key).toLowerCase();
    let text = /^0x[0-9a-fA-F]{40,}$/.test(String(value)) ? shorten(value) : String(value);
    if (key === 'price' && /^\d+$/.test(text)) text = formatEth(text);
    if (key === 'score' && typeof value === 'number') text = value.toFixed(2);
    parts.push(`${label} ${text}`);
  }
  return truncate(parts.join(' · '), max);
}

/** Cuts `text` to `max` characters with an ellipsis. */
export function truncate(text, max) {
  const value = String(text ?? '');
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** `?a=1&b=2` from an object, skipping null, undefined and empty values; `''` when nothing is left. */
export function queryString(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value == null || value === '') continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Splits a location hash `#/twins/0xabc?x=1` into path segments and query parameters. */
export function parseHash(hash) {
  const raw = String(hash ?? '').replace(/^#/, '');
  const [path, query = ''] = raw.split('?');
  const segments = path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
  return { segments, query: Object.fromEntries(new URLSearchParams(query)) };
}

/** `Humanised key` from `camelCase` or `snake_case` object keys. */
export function humanizeKey(key) {
  const spaced = String(key)
    .replace(/_/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  const words = spaced.split(' ').map((word, i) => (i > 0 && /^[A-Z][a-z]/.test(word) ? word.toLowerCase() : word));
  const text = words.join(' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** `1.5` (ETH, decimal text) → wei as a decimal string, without floating point; null when it is not an amount. */
export function parseEthToWei(text) {
  const value = String(text ?? '').trim();
  const match = /^(\d{1,12})(?:\.(\d{1,18}))?$/.exec(value);
  if (!match) return null;
  const wei = BigInt(match[1]) * 10n ** 18n + BigInt((match[2] ?? '').padEnd(18, '0'));
  return wei.toString();
}
