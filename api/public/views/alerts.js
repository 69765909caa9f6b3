// `#/alerts`: the security entity's inbox. Every alert's latest state (`GET /alerts`, signed in as a security entity),
// triaged from here: acknowledge (`POST /alerts/{by}/{alertId}/acknowledge`: shared by every security entity's
// session, the first one kept), suspend the twin with the alert's evidence, reactivate it
// after review (both relayed `setState`), each outcome followed live on the event stream.
import { badge, dataTable, deviceLink, h, replace, stateBadge, time } from '../dom.js';
import { sameHex, shorten } from '../format.js';
import { relay, session } from '../session.js';
import { apiRequest } from '../api.js';

const alertKey = (alert) => `${alert.by}:${alert.alertId}`;

export async function renderAlerts(container, { query = {} }, ctx) {
  const me = session();
  if (!me || me.role !== 'security') {
    replace(
      container,
      h(
        'section',
        { class: 'card empty-page', 'data-testid': 'alerts-sign-in' },
        h('h1', {}, 'Alert inbox'),
        h('p', {}, 'The inbox is for security entities: sign in as one to triage the alerts.'),
      ),
    );
    return;
  }
  const status = query.status === 'all' ? '' : 'open';
  const table = dataTable({
    testid: 'alert-inbox',
    caption: 'Security alerts, newest change first',
    columns: ['Twin', 'State', 'Detected', 'Score', 'Window', 'Action taken', 'Evidence', 'Triage'],
  });
  table.setMessage('Loading alerts…', 'loading');
  const outcomes = new Map();
  const filter = h(
    'select',
    { 'data-testid': 'alert-filter', 'aria-label': 'Which alerts' },
    h('option', { value: 'open', selected: status === 'open' }, 'Open alerts'),
    h('option', { value: 'all', selected: status === '' }, 'All alerts'),
  );
  filter.addEventListener('change', () => {
    location.hash = filter.value === 'all' ? '#/alerts?status=all' : '#/alerts';
  });
  replace(
    container,
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h1', {}, 'Alert inbox'),
        h(
          'p',
          { class: 'muted' },
          'What the security service detected. An acknowledgement is shared with every security entity.',
        ),
        filter,
      ),
      table.element,
    ),
  );

  const twins = new Map();
  async function load() {
    const [alerts, directory] = await Promise.all([
      ctx.get('/alerts', { status, limit: 200 }),
      ctx.get('/fleet/twins', { pageSize: 500 }),
    ]);
    if (!ctx.alive) return;
    for (const twin of directory.items ?? []) twins.set(twin.deviceId.toLowerCase(), twin);
    const items = alerts.items ?? [];
    if (items.length === 0) table.setMessage(status ? 'No open alerts: nothing to triage.' : 'No alerts yet.');
    else table.setRows(items.map(row));
  }

  function row(alert) {
    const twin = twins.get(alert.deviceId.toLowerCase());
    const acked = alert.acknowledged != null;
    const outcome =
      outcomes.get(alertKey(alert)) ?? h('span', { class: 'action-outcome small', 'data-testid': 'action-outcome' });
    outcomes.set(alertKey(alert), outcome);
    const act = (label, testid, run) => {
      const button = h('button', { type: 'button', class: 'small', 'data-testid': testid }, label);
      button.addEventListener('click', () => {
        button.disabled = true;
        outcome.dataset.status = 'pending';
        replace(outcome, 'Signing and relaying…');
        run()
          .then((result) => {
            outcome.dataset.status = 'mined';
            outcome.dataset.tx = result.txHash;
            replace(outcome, `Mined in block ${result.blockNumber}; waiting for the registry…`);
          })
          .catch((error) => {
            outcome.dataset.status = 'error';
            replace(outcome, error?.message ?? String(error));
            button.disabled = false;
          });
      });
      return button;
    };
    const ackTitle = (kept) => `Acknowledged by ${kept.by} at ${new Date(kept.at).toLocaleString()}`;
    const ack = h(
      'button',
      {
        type: 'button',
        class: 'small',
        'data-testid': 'alert-ack',
        disabled: acked,
        ...(acked ? { title: ackTitle(alert.acknowledged), 'data-by': alert.acknowledged.by } : {}),
      },
      acked ? 'Acknowledged' : 'Acknowledge',
    );
    ack.addEventListener('click', () => {
      ack.disabled = true;
      const path = `/alerts/${encodeURIComponent(alert.by)}/${encodeURIComponent(alert.alertId)}/acknowledge`;
      apiRequest('POST', path)
        .then((kept) => {
          ack.textContent = 'Acknowledged';
          ack.title = ackTitle(kept);
          ack.dataset.by = kept.by;
          tr.classList.remove('alert-open');
        })
        .catch((error) => {
          ack.disabled = false;
          outcome.dataset.status = 'error';
          replace(outcome, `Not acknowledged: ${error?.message ?? String(error)}`);
        });
    });
    const suspended = twin?.state === 'suspended';
    const tr = h(
      'tr',
      {
        'data-testid': 'inbox-row',
        'data-device-id': alert.deviceId,
        'data-alert-id': alert.alertId,
        'data-state': twin?.state ?? '',
        class: alert.status === 'open' && !acked ? 'alert-open' : null,
      },
      h(
        'td',
        {},
        twin?.hostname ? h('a', { href: `#/twins/${alert.deviceId}` }, twin.hostname) : deviceLink(alert.deviceId),
      ),
      h('td', {}, twin ? stateBadge(twin.state) : '—'),
      h('td', {}, badge(alert.behaviour, 'danger')),
      h('td', { class: 'mono' }, Number(alert.score).toFixed(2)),
      h('td', { class: 'nowrap' }, time(alert.window?.from)),
      h('td', {}, alert.action, alert.status === 'closed' ? h('span', { class: 'muted small' }, ' (closed)') : null),
      h(
        'td',
        {},
        alert.evidenceCid
          ? h('span', { class: 'mono', title: alert.evidenceCid }, shorten(alert.evidenceCid, 6, 6))
          : '—',
      ),
      h(
        'td',
        { class: 'triage' },
        ack,
        ' ',
        suspended
          ? act('Reactivate after review', 'alert-reactivate', () =>
              relay('setState', alert.deviceId, { state: 'active', reason: `reviewed alert ${alert.alertId}` }),
            )
          : act('Suspend with evidence', 'alert-suspend', () =>
              relay('setState', alert.deviceId, { state: 'suspended', reason: alert.evidenceCid }),
            ),
        ' ',
        outcome,
      ),
    );
    return tr;
  }

  const reload = ctx.debounce(300, load);
  ctx.events(
    {},
    {
      alert: () => reload(),
      state: (event) => {
        for (const outcome of outcomes.values()) {
          if (outcome.dataset.tx && sameHex(outcome.dataset.tx, event.tx)) {
            outcome.dataset.status = 'done';
            replace(outcome, badge('✓', 'ok'), ` On chain: ${event.previous} → ${event.new} in block ${event.block}.`);
            delete outcome.dataset.tx;
          }
        }
        reload();
      },
    },
  );
  await load();
}
