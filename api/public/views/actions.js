// The twin page's actions, by the signed-in role, each through the API's relay (api/src/relay) or, for what cannot be
// relayed (a deposit), the account's own transaction. Each action's outcome line follows it to the chain: signed,
// mined in block N, then "on chain" when the registry mirror's event for that transaction arrives on the stream.
import { badge, h, replace, showError } from '../dom.js';
import { formatEth, parseEthToWei, sameHex, shorten } from '../format.js';
import { balanceOf, deposit, relay, session } from '../session.js';

/** `createActionsPanel(ctx, deviceId, { refresh })` → `{ element, update(detail), onChain(event) }`. */
export function createActionsPanel(ctx, deviceId, { refresh } = {}) {
  const body = h('div', { class: 'actions-body' });
  // Outcomes outlive the forms (a suspension replaces the Suspend form by Reactivate): they go to this log.
  const log = h('ol', { class: 'action-log', 'data-testid': 'action-log', 'aria-live': 'polite', reversed: true });
  const element = h(
    'section',
    { class: 'card actions', 'data-testid': 'actions', 'aria-labelledby': 'actions-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'actions-title' }, 'Actions')),
    body,
    log,
  );
  /** Outcome lines waiting for their transaction's chain event, by transaction hash. */
  const waiting = new Map();
  let detail = null;

  /**
   * One action form: `fields` (`{ name, label, value, placeholder }`), `run(values)` resolving to a relay result
   * `{ txHash, blockNumber }`. The outcome line is `data-testid="action-outcome"` with `data-status`.
   */
  function form(name, title, fields, run, { submit = title, note } = {}) {
    const inputs = fields.map((field) =>
      h('input', {
        name: field.name,
        value: field.value ?? '',
        placeholder: field.placeholder ?? '',
        'aria-label': field.label,
        'data-testid': `${name}-${field.name}`,
        autocomplete: 'off',
      }),
    );
    const button = h('button', { type: 'submit', 'data-testid': `action-${name}` }, submit);
    const element = h(
      'form',
      { class: 'action-form', 'data-action': name },
      h('strong', {}, title),
      note ? h('span', { class: 'muted small' }, note) : null,
      fields.map((field, i) => h('label', { class: 'small' }, field.label, inputs[i])),
      button,
    );
    element.addEventListener('submit', (event) => {
      event.preventDefault();
      const values = Object.fromEntries(fields.map((field, i) => [field.name, inputs[i].value.trim()]));
      button.disabled = true;
      const outcome = h('li', { class: 'action-outcome small', 'data-testid': 'action-outcome', 'data-action': name });
      log.prepend(outcome);
      setOutcome(outcome, 'pending', 'Signing and relaying…');
      Promise.resolve()
        .then(() => run(values, (text) => setOutcome(outcome, 'pending', text)))
        .then((result) => {
          if (!result?.txHash) {
            setOutcome(outcome, 'done', 'Done.');
            return;
          }
          setOutcome(outcome, 'mined', `Mined in block ${result.blockNumber} (${shorten(result.txHash)}); waiting for the registry…`);
          outcome.dataset.tx = result.txHash;
          if (result.deviceId || result.action !== 'withdraw') waiting.set(result.txHash.toLowerCase(), outcome);
          else setOutcome(outcome, 'done', `On chain in block ${result.blockNumber}.`);
        })
        .catch((error) => {
          setOutcome(outcome, 'error', error?.shortMessage ?? error?.message ?? String(error));
          if (error?.name === 'ApiError' && error.status >= 500) showError(error);
        })
        .finally(() => {
          button.disabled = false;
        });
    });
    return element;
  }

  function draw() {
    const me = session();
    const twin = detail?.twin;
    if (!twin) return;
    if (!me) {
      replace(body, h('p', { class: 'muted', 'data-testid': 'actions-sign-in' }, 'Sign in to act on this twin.'));
      return;
    }
    const forms = [];
    const isOwner = sameHex(me.address, twin.owner);
    const isMaker = sameHex(me.address, twin.manufacturer);
    if (isOwner) {
      if (twin.forSale) forms.push(form('delist', 'Withdraw the listing', [], () => relay('delist', deviceId)));
      forms.push(
        form(
          'list',
          twin.forSale ? 'Change the price' : 'List for sale',
          [{ name: 'price', label: 'Price (ETH)', placeholder: '0.5' }],
          ({ price }) => {
            const wei = parseEthToWei(price);
            if (wei === null || wei === '0') throw new Error('Price: enter an amount of ETH above zero, e.g. 0.5.');
            return relay('list', deviceId, { price: wei });
          },
        ),
        form(
          'recordUpdate',
          'Record a software update',
          [
            { name: 'component', label: 'Component', placeholder: 'twin-agent' },
            { name: 'version', label: 'Version', placeholder: '1.2.3' },
          ],
          ({ component, version }) => relay('recordUpdate', deviceId, { component, version }),
        ),
        form(
          'requestReview',
          'Request a review',
          [{ name: 'note', label: 'What was remediated', placeholder: 'reflashed, rotated keys' }],
          ({ note }) => relay('requestReview', deviceId, { note }),
          { note: 'Asks the security entities to look again (e.g. after a suspension).' },
        ),
        form(
          'reportLost',
          'Report lost',
          [{ name: 'reason', label: 'Reason', placeholder: 'stolen from the field site' }],
          ({ reason }) => relay('reportLost', deviceId, { reason }),
        ),
      );
    }
    // The registry refuses a purchase from a seller no longer approved (revoked or pending): say so, instead of
    // taking a deposit for a purchase that cannot happen.
    const sellerApproved = detail?.owner?.status === 'approved';
    if (!isOwner && me.role === 'owner' && twin.forSale && !sellerApproved) {
      forms.push(
        h(
          'p',
          { class: 'muted', 'data-testid': 'buy-seller-not-approved' },
          `Listed at ${formatEth(twin.price)}, but its seller is ${detail?.owner?.status ?? 'not a registered entity'}: the registry refuses the purchase.`,
        ),
      );
    }
    if (!isOwner && me.role === 'owner' && twin.forSale && sellerApproved) {
      forms.push(
        form(
          'buy',
          `Buy for ${formatEth(twin.price)}`,
          [],
          async (_values, progress) => {
            progress(`Depositing ${formatEth(twin.price)} (your own transaction)…`);
            await deposit(twin.price);
            progress('Deposited; signing the relayed purchase…');
            return relay('buy', deviceId, { price: String(twin.price) });
          },
          { submit: 'Deposit and buy', note: 'A deposit from your account, then a relayed buyWithBalance.' },
        ),
      );
    }
    if (me.role === 'owner') {
      forms.push(
        form(
          'withdraw',
          'Withdraw your balance',
          [],
          async (_values, progress) => {
            const balance = await balanceOf(me.address);
            if (balance === '0') throw new Error('Your registry balance is 0: nothing to withdraw.');
            progress(`Withdrawing ${formatEth(balance)}…`);
            return relay('withdraw');
          },
          { note: 'Sale proceeds and unspent deposits.' },
        ),
      );
    }
    if (me.role === 'security') {
      const open = (detail.alerts ?? []).filter((alert) => alert.status === 'open');
      const evidence = open[0]?.evidenceCid ?? '';
      if (twin.state !== 'suspended') {
        forms.push(
          form(
            'suspend',
            'Suspend',
            [{ name: 'reason', label: 'Evidence (CID)', value: evidence, placeholder: 'bafy… evidence CID' }],
            ({ reason }) => relay('setState', deviceId, { state: 'suspended', reason }),
            { note: open.length ? `With the evidence of the ${open[0].behaviour} alert.` : 'No open alert on this twin.' },
          ),
        );
      } else {
        forms.push(
          form(
            'reactivate',
            'Reactivate after review',
            [{ name: 'reason', label: 'Review', value: 'reviewed: remediated', placeholder: 'what the review found' }],
            ({ reason }) => relay('setState', deviceId, { state: 'active', reason }),
          ),
        );
      }
    }
    if (isMaker && twin.state !== 'deactivated') {
      forms.push(
        form(
          'deactivate',
          'Deactivate (end of life)',
          [{ name: 'reason', label: 'Reason', placeholder: 'end of support' }],
          ({ reason }) => relay('deactivate', deviceId, { reason }),
          { note: 'Permanent: a deactivated twin cannot be reactivated.' },
        ),
      );
    }
    replace(
      body,
      h(
        'p',
        { class: 'muted small' },
        'Signed in as ',
        me.name ?? shorten(me.address),
        isOwner ? ' (this twin’s owner)' : isMaker ? ' (this twin’s manufacturer)' : '',
        '. Relayed actions cost you no gas: you sign, the API’s relayer submits.',
      ),
      forms.length
        ? h('div', { class: 'actions-grid' }, forms)
        : h('p', { class: 'muted', 'data-testid': 'actions-none' }, 'Nothing your role can do on this twin.'),
    );
  }

  return {
    element,
    update(next) {
      // Keep forms (and their outcome lines) while nothing they depend on changed.
      const key = (d) =>
        JSON.stringify([d?.twin?.owner, d?.owner?.status, d?.twin?.state, d?.twin?.forSale, d?.twin?.price, (d?.alerts ?? []).length]);
      const changed = key(next) !== key(detail);
      detail = next;
      if (changed || !body.firstChild) draw();
    },
    redraw: draw,
    /** A `chain` or `state` event: the action whose transaction it is has reached the registry. */
    onChain(event) {
      const tx = String(event?.tx ?? '').toLowerCase();
      const outcome = waiting.get(tx);
      if (!outcome) return;
      waiting.delete(tx);
      const what = event.name ?? (event.new ? `state → ${event.new}` : 'event');
      setOutcome(outcome, 'done', `On chain: ${what} in block ${event.block}.`);
      refresh?.();
    },
  };
}

function setOutcome(outcome, status, text) {
  outcome.dataset.status = status;
  const title = outcome.dataset.action ? `${outcome.dataset.action}: ` : '';
  replace(outcome, status === 'done' ? badge('✓', 'ok') : null, status === 'done' ? ' ' : null, h('strong', {}, title), text);
}
