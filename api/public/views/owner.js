// `#/owners/<address>`: the entity, its twins and its notifications (refreshed live on state events).
import { badge, definitionList, deviceLink, h, replace, time } from '../dom.js';
import { entityStatusName, notificationTitle, roleName, summarizePayload } from '../format.js';
import { createTwinTable } from './twin-table.js';

const NOTIFICATION_LIMIT = 50;
/** Notifications are written when the chain event is indexed; look again a little later in case we were early. */
const LATE_REFRESH_MS = 2500;

export async function renderOwner(container, { address }, ctx) {
  const entityHolder = h(
    'div',
    { class: 'entity', 'data-testid': 'entity' },
    h('p', { class: 'muted' }, 'Loading entity…'),
  );
  const twins = createTwinTable(ctx, { baseQuery: { owner: address }, filters: false, compact: true });
  const notifications = createNotifications(ctx, address);
  replace(
    container,
    h(
      'section',
      { class: 'card owner-header' },
      h('h1', { 'data-testid': 'owner-title' }, 'Owner'),
      h('p', { class: 'mono wrap', 'data-testid': 'owner-address' }, address),
      entityHolder,
    ),
    h(
      'div',
      { class: 'owner-grid' },
      h('section', { class: 'card owner-twins' }, h('h2', {}, 'Twins'), twins.element),
      notifications.element,
    ),
  );

  const refresh = ctx.debounce(400, () => Promise.all([notifications.load(), twins.load()]));
  const lateRefresh = ctx.debounce(LATE_REFRESH_MS, () => notifications.load());
  ctx.events(
    {},
    {
      state: () => {
        refresh();
        lateRefresh();
      },
    },
  );

  ctx.run(() => loadEntity(ctx, address, entityHolder));
  ctx.run(notifications.load);
  await twins.load();
}

async function loadEntity(ctx, address, holder) {
  let entity;
  try {
    entity = await ctx.get(`/entities/${encodeURIComponent(address)}`);
  } catch (error) {
    if (!ctx.alive) return;
    if (error?.status === 404) {
      replace(holder, h('p', { class: 'muted', 'data-testid': 'entity-missing' }, 'Not a registered entity.'));
      return;
    }
    replace(holder, h('p', { class: 'muted' }, 'Could not load the entity.'));
    throw error;
  }
  if (!ctx.alive) return;
  const status = entityStatusName(entity.status);
  const statusKind = status === 'approved' ? 'ok' : status === 'revoked' ? 'danger' : 'pending';
  replace(
    holder,
    definitionList([
      ['Name', h('span', { 'data-testid': 'entity-name' }, entity.name ?? '—')],
      ['Role', h('span', { 'data-testid': 'entity-role' }, roleName(entity.role))],
      ['Status', badge(status, statusKind, { 'data-testid': 'entity-status' })],
      ['Entity ID', entity.entityId != null ? String(entity.entityId) : undefined],
    ]),
  );
}

/** `data-testid="notifications"`: a list of `notification` items, newest first. */
function createNotifications(ctx, address) {
  const list = h('ul', { class: 'notifications', 'data-testid': 'notifications', 'aria-live': 'polite' });
  const message = h('p', { class: 'muted' }, 'Loading notifications…');
  let token = 0;

  async function load() {
    const mine = ++token;
    let data;
    try {
      data = await ctx.get(`/owners/${encodeURIComponent(address)}/notifications`, { limit: NOTIFICATION_LIMIT });
    } catch (error) {
      if (mine === token && ctx.alive && (error?.status === 401 || error?.status === 403)) {
        // Notifications are private: the owner, security entities and the twins' manufacturer read them.
        message.hidden = false;
        message.dataset.testid = 'notifications-private';
        message.textContent = 'Notifications are private: sign in as this owner (or a security entity) to read them.';
        replace(list);
        return;
      }
      if (mine === token && ctx.alive && list.childElementCount === 0)
        message.textContent = 'Could not load the notifications.';
      throw error;
    }
    if (mine !== token || !ctx.alive) return;
    const items = Array.isArray(data.items) ? data.items : [];
    message.hidden = items.length > 0;
    message.textContent = items.length ? '' : 'No notifications yet.';
    replace(list, items.map(notificationItem));
  }

  return {
    element: h(
      'section',
      { class: 'card', 'aria-labelledby': 'notifications-title' },
      h('h2', { id: 'notifications-title' }, 'Notifications'),
      message,
      list,
    ),
    load,
  };
}

function notificationItem(notification) {
  const kind = String(notification.kind ?? 'notification');
  const kindClass = kind === 'state-changed' ? 'info' : kind === 'review-requested' ? 'warn' : 'neutral';
  const summary = summarizePayload(kind, notification.payload);
  return h(
    'li',
    {
      class: 'notification',
      'data-testid': 'notification',
      'data-kind': kind,
      'data-id': notification.id != null ? String(notification.id) : null,
      'data-device-id': notification.deviceId ?? null,
    },
    h(
      'div',
      { class: 'notification-head' },
      badge(notificationTitle(kind), kindClass, { 'data-testid': 'notification-kind', 'data-kind': kind }),
      notification.deviceId ? deviceLink(notification.deviceId) : null,
      h('span', { class: 'notification-time' }, time(notification.createdAt)),
    ),
    summary ? h('p', { class: 'notification-summary', 'data-testid': 'notification-summary' }, summary) : null,
    notification.block != null ? h('p', { class: 'muted small' }, `block ${notification.block}`) : null,
  );
}
