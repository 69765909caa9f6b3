// `#/mint`: a manufacturer mints a twin from the device's static document and its attestation (the device key's
// EIP-712 signature of the DeviceID and the manufacturer, made at provisioning). The API checks both and stores the
// document on IPFS (`POST /mint/prepare`); the manufacturer's own account sends the `mint` (never relayed); the
// outcome follows the transaction to the registry mirror's `TwinMinted` on the event stream.
import { apiRequest } from '../api.js';
import { badge, deviceHref, h, replace, showError } from '../dom.js';
import { parseEthToWei, sameHex, shorten } from '../format.js';
import { sendTransaction, session } from '../session.js';

export async function renderMint(container, _params, ctx) {
  const me = session();
  if (!me || me.role !== 'manufacturer') {
    replace(
      container,
      h(
        'section',
        { class: 'card empty-page', 'data-testid': 'mint-sign-in' },
        h('h1', {}, 'Mint a twin'),
        h('p', {}, 'Minting is for manufacturers: sign in as one.'),
      ),
    );
    return;
  }
  const documentInput = h('textarea', {
    rows: 12,
    'data-testid': 'mint-document',
    'aria-label': 'Static document (JSON)',
    placeholder: '{ "schemaVersion": 1, "identity": { … }, … }',
    spellcheck: 'false',
    class: 'mono',
  });
  const file = h('input', { type: 'file', accept: 'application/json,.json', 'data-testid': 'mint-file', 'aria-label': 'Static document file' });
  file.addEventListener('change', async () => {
    const chosen = file.files?.[0];
    if (chosen) documentInput.value = await chosen.text();
  });
  const signerInput = h('input', { 'data-testid': 'mint-signer', placeholder: '0x… device signer address', 'aria-label': 'Device signer' });
  const attestationInput = h('input', { 'data-testid': 'mint-attestation', placeholder: '0x… 65-byte attestation', 'aria-label': 'Attestation' });
  const priceInput = h('input', { 'data-testid': 'mint-price', placeholder: '0 (not for sale)', 'aria-label': 'Price (ETH)' });
  const outcome = h('p', { class: 'action-outcome', 'data-testid': 'action-outcome', 'data-action': 'mint', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', 'data-testid': 'action-mint' }, 'Check and mint');
  let waiting = null;

  const form = h(
    'form',
    { class: 'action-form mint-form' },
    h('label', { class: 'small' }, 'Static document (JSON, as the device’s agent reads it)', documentInput),
    h('label', { class: 'small' }, 'or a file ', file),
    h('label', { class: 'small' }, 'Device signer (the device key’s address)', signerInput),
    h('label', { class: 'small' }, 'Device attestation (from provisioning)', attestationInput),
    h('label', { class: 'small' }, 'List at (ETH, optional)', priceInput),
    button,
    outcome,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const set = (status, ...text) => {
      outcome.dataset.status = status;
      replace(outcome, ...text);
    };
    let document;
    try {
      document = JSON.parse(documentInput.value);
    } catch (error) {
      set('error', `Static document: not JSON (${error.message}).`);
      return;
    }
    const price = priceInput.value.trim() === '' ? '0' : parseEthToWei(priceInput.value);
    if (price === null) {
      set('error', 'Price: enter an amount of ETH, e.g. 0.5, or leave it empty.');
      return;
    }
    button.disabled = true;
    set('pending', 'Checking the document and the attestation…');
    apiRequest('POST', '/mint/prepare', {
      body: { document, deviceSigner: signerInput.value.trim(), attestation: attestationInput.value.trim(), price },
    })
      .then(async (prepared) => {
        set('pending', `DeviceID ${shorten(prepared.deviceId)}: sending the mint from your account…`);
        const sent = await sendTransaction({ to: prepared.to, data: prepared.data });
        waiting = { tx: sent.txHash, deviceId: prepared.deviceId };
        set('mined', `Mined in block ${sent.blockNumber} (${shorten(sent.txHash)}); waiting for the registry…`);
        outcome.dataset.tx = sent.txHash;
      })
      .catch((error) => {
        set('error', error?.shortMessage ?? error?.message ?? String(error));
        if (error?.status >= 500) showError(error);
      })
      .finally(() => {
        button.disabled = false;
      });
  });

  ctx.events(
    {},
    {
      chain: (event) => {
        if (!waiting || !sameHex(event.tx, waiting.tx) || event.name !== 'TwinMinted') return;
        const { deviceId } = waiting;
        waiting = null;
        outcome.dataset.status = 'done';
        replace(
          outcome,
          badge('✓', 'ok'),
          ` On chain: TwinMinted in block ${event.block}. `,
          h('a', { href: deviceHref(deviceId), 'data-testid': 'minted-twin' }, 'Open the twin'),
        );
      },
    },
  );

  replace(
    container,
    h(
      'section',
      { class: 'card' },
      h('h1', {}, 'Mint a twin'),
      h(
        'p',
        { class: 'muted' },
        'The DeviceID is the hash of the identity in the document; the device key must have signed it for you. ',
        'The document goes to IPFS under the CID the twin records.',
      ),
      form,
    ),
  );
}
