// The header's sign-in box: "Sign in" opens a panel offering the browser wallet (EIP-1193) and, in the `npm start`
// demo only, the demo cast's development keys, clearly labelled; once signed in, the name, role and "Sign out".
import { h, replace, showError } from './dom.js';
import { roleName, shorten } from './format.js';
import {
  demoAccounts,
  hasWallet,
  onSession,
  restoreSession,
  signInWithDevelopmentKey,
  signInWithWallet,
  signOut,
} from './session.js';

const ROLE_LABELS = { owner: 'owner', security: 'security entity', manufacturer: 'manufacturer' };

/** Mounts the box in `holder` and restores this tab's session. */
export function setupSession(holder) {
  const box = h('div', { class: 'session-box', 'data-testid': 'session' });
  holder.replaceChildren(box);
  const panel = h('div', { class: 'card sign-in-dialog', 'data-testid': 'sign-in-panel', hidden: true });
  holder.append(panel);

  const busy = (button, action) => async () => {
    button.disabled = true;
    try {
      await action();
      panel.hidden = true;
    } catch (error) {
      showError(error?.shortMessage ?? error?.message ?? error);
    } finally {
      button.disabled = false;
    }
  };

  async function openPanel() {
    panel.hidden = false;
    replace(panel, h('p', { class: 'muted' }, 'Looking for a wallet…'));
    const accounts = await demoAccounts();
    const wallet = h(
      'button',
      { type: 'button', 'data-testid': 'sign-in-wallet', disabled: !hasWallet() },
      hasWallet() ? 'Browser wallet (MetaMask…)' : 'No browser wallet found',
    );
    wallet.addEventListener('click', busy(wallet, signInWithWallet));
    const close = h('button', { type: 'button', class: 'small', onclick: () => (panel.hidden = true) }, 'Cancel');
    replace(
      panel,
      h('h2', {}, 'Sign in'),
      h('p', { class: 'muted small' }, 'Sign-In with Ethereum: you sign a one-time message; no transaction, no gas.'),
      wallet,
      accounts.length
        ? [
            h(
              'h3',
              {},
              'Demo accounts ',
              h('span', { class: 'dev-key' }, 'development keys'),
            ),
            h(
              'p',
              { class: 'muted small', 'data-testid': 'dev-key-warning' },
              "This API runs the npm start demo on a local chain: these are Hardhat's public development keys, " +
                'held in this page. Never use them anywhere else.',
            ),
            h(
              'ul',
              { 'data-testid': 'demo-accounts' },
              accounts.map((account) => {
                const button = h(
                  'button',
                  {
                    type: 'button',
                    'data-testid': 'demo-account',
                    'data-address': account.address,
                    'data-role': account.role ?? '',
                  },
                  account.name ?? account.label,
                  ' ',
                  h('span', { class: 'muted small' }, `${ROLE_LABELS[account.role] ?? 'not registered'} · ${shorten(account.address)}`),
                );
                button.addEventListener('click', busy(button, () => signInWithDevelopmentKey(account)));
                return h('li', {}, button);
              }),
            ),
          ]
        : null,
      close,
    );
  }

  onSession((current) => {
    document.body.dataset.role = current?.role ?? '';
    if (!current) {
      const button = h('button', { type: 'button', 'data-testid': 'sign-in' }, 'Sign in');
      button.addEventListener('click', () => openPanel().catch(showError));
      replace(box, button);
      return;
    }
    const out = h('button', { type: 'button', class: 'small', 'data-testid': 'sign-out', onclick: signOut }, 'Sign out');
    replace(
      box,
      h(
        'span',
        {
          class: 'session-who',
          'data-testid': 'session-who',
          'data-address': current.address,
          'data-role': current.role,
          title: current.address,
        },
        current.name ?? shorten(current.address),
        ' ',
        h('span', { class: 'badge badge-neutral', 'data-testid': 'session-role' }, ROLE_LABELS[current.role] ?? roleName(current.role)),
      ),
      current.kind === 'development-key' ? h('span', { class: 'dev-key', title: 'A development key of the local demo chain' }, 'development key') : null,
      out,
    );
  });
  restoreSession();
}
