// The twin page's snapshot table: anchoring status per snapshot and an inline Merkle-proof check.
import { badge, dataTable, h, hex, replace, snapshotHref, time } from '../dom.js';
import { shorten } from '../format.js';

const COLUMNS = ['Seq', 'Collected at', 'Contents', 'CID', 'Status', 'Batch', 'Proof'];
const PAGE_SIZE = 20;

/** `createSnapshotTable(ctx, deviceId)` → `{ element, load, reload, prepend(event) }`. */
export function createSnapshotTable(ctx, deviceId) {
  const base = `/twins/${encodeURIComponent(deviceId)}/snapshots`;
  const table = dataTable({ testid: 'snapshots', caption: 'Snapshots, newest first', columns: COLUMNS });
  table.setMessage('Loading snapshots…', 'loading');
  /** Proof results by seq, kept across re-renders so a refresh does not wipe them. */
  const results = new Map();
  let items = [];
  let total = 0;
  let page = 1;
  let token = 0;

  const prev = h('button', { type: 'button', 'data-testid': 'snapshots-prev', disabled: true }, '← Newer');
  const next = h('button', { type: 'button', 'data-testid': 'snapshots-next', disabled: true }, 'Older →');
  const info = h('span', { class: 'page-info', 'aria-live': 'polite' });
  prev.addEventListener('click', () => {
    page = Math.max(1, page - 1);
    ctx.run(load);
  });
  next.addEventListener('click', () => {
    page += 1;
    ctx.run(load);
  });

  async function load() {
    const mine = ++token;
    let data;
    try {
      data = await ctx.get(base, { page, pageSize: PAGE_SIZE });
    } catch (error) {
      if (mine === token && ctx.alive && items.length === 0) table.setMessage('Could not load the snapshots.', 'error');
      throw error;
    }
    if (mine !== token || !ctx.alive) return;
    items = Array.isArray(data.items) ? data.items : [];
    total = Number(data.total ?? items.length);
    page = Number(data.page ?? page) || 1;
    render();
  }

  function render() {
    if (items.length === 0) table.setMessage('No snapshots yet');
    // Sequence numbers are shared with telemetry: the snapshot before a row is the next row, not seq - 1.
    else table.setRows(items.map((item, i) => snapshotRow(item, items[i + 1]?.seq)));
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    replace(info, total ? `${total} snapshot${total === 1 ? '' : 's'} · page ${page} of ${pages}` : '');
    prev.disabled = page <= 1;
    next.disabled = page >= pages;
  }

  function snapshotRow(snapshot, previousSeq) {
    const anchored = Boolean(snapshot.anchored);
    const seq = snapshot.seq;
    const cells = [
      h('td', { class: 'mono' }, String(seq)),
      h('td', {}, time(snapshot.collectedAt)),
      h(
        'td',
        { class: 'nowrap' },
        h('a', { href: snapshotHref(deviceId, seq), 'data-testid': 'snapshot-view' }, 'View'),
        previousSeq != null
          ? [
              ' · ',
              h(
                'a',
                { href: snapshotHref(deviceId, seq, previousSeq), 'data-testid': 'snapshot-diff', title: `Changes since #${previousSeq}` },
                'Diff',
              ),
            ]
          : null,
      ),
      h(
        'td',
        {},
        snapshot.cid
          ? h('span', { class: 'mono', title: snapshot.cid }, shorten(snapshot.cid, 6, 6))
          : h('span', { class: 'muted' }, '—'),
      ),
      h(
        'td',
        {},
        anchored
          ? badge('anchored', 'ok', { 'data-testid': 'snapshot-status', 'data-anchored': 'true' })
          : badge('pending', 'pending', { 'data-testid': 'snapshot-status', 'data-anchored': 'false' }),
      ),
      h('td', {}, batchCell(snapshot.batch)),
      h(
        'td',
        { class: 'proof-cell' },
        anchored ? verifyControls(seq) : h('span', { class: 'muted' }, 'awaiting anchor'),
      ),
    ];
    return h(
      'tr',
      { 'data-testid': 'snapshot-row', 'data-seq': String(seq), 'data-anchored': String(anchored) },
      cells,
    );
  }

  function verifyControls(seq) {
    const key = String(seq);
    let result = results.get(key);
    if (!result) {
      result = h('div', {
        class: 'verify-result',
        'data-testid': 'verify-result',
        hidden: true,
        'aria-live': 'polite',
      });
      results.set(key, result);
    }
    const button = h('button', { type: 'button', class: 'small', 'data-testid': 'verify' }, 'Verify');
    button.addEventListener('click', () => {
      button.disabled = true;
      ctx
        .run(() => verify(seq, result))
        .finally(() => {
          button.disabled = false;
        });
    });
    return [button, result];
  }

  async function verify(seq, result) {
    result.hidden = false;
    result.className = 'verify-result checking';
    result.dataset.verified = 'checking';
    replace(result, 'Checking the proof on chain…');
    let proof;
    try {
      proof = await ctx.get(`${base}/${encodeURIComponent(seq)}/proof`);
    } catch (error) {
      if (!ctx.alive) throw error;
      result.className = 'verify-result failed';
      result.dataset.verified = 'error';
      replace(result, `Verification failed: ${error?.message ?? 'unknown error'}`);
      return;
    }
    const verified = proof.verified === true;
    const batch = proof.batch ?? {};
    result.className = `verify-result ${verified ? 'verified' : 'not-verified'}`;
    result.dataset.verified = String(verified);
    replace(
      result,
      h('strong', {}, verified ? '✓ verified on chain' : '✗ NOT verified'),
      h(
        'dl',
        { class: 'proof-facts' },
        fact('root', h('span', { class: 'mono wrap' }, proof.root ?? batch.root ?? '—')),
        fact('tx', h('span', { class: 'mono wrap' }, batch.txHash ?? batch.tx ?? '—')),
        fact('block', String(batch.block ?? '—')),
        proof.verifiedAtBlock != null ? fact('checked at block', String(proof.verifiedAtBlock)) : null,
        fact('proof', `${Array.isArray(proof.proof) ? proof.proof.length : 0} sibling hash(es)`),
      ),
    );
  }

  return {
    element: h(
      'section',
      { class: 'card', 'aria-labelledby': 'snapshots-title' },
      h('div', { class: 'card-head' }, h('h2', { id: 'snapshots-title' }, 'Snapshots'), info),
      table.element,
      h('nav', { class: 'pagination', 'aria-label': 'Snapshot pages' }, prev, next),
    ),
    load,
    reload: ctx.debounce(500, load),
    /** A `snapshot` event: a pending row on top of page 1 (unless already listed). */
    prepend(event) {
      if (!event || event.seq == null) return;
      if (items.some((item) => String(item.seq) === String(event.seq))) return;
      total += 1;
      if (page === 1) {
        const row = {
          deviceId,
          seq: event.seq,
          collectedAt: event.collectedAt,
          cid: event.cid,
          anchored: false,
          batch: null,
        };
        items = [row, ...items].slice(0, PAGE_SIZE);
      }
      render();
    },
  };
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}

function batchCell(batch) {
  if (!batch) return h('span', { class: 'muted' }, '—');
  return h(
    'span',
    { class: 'batch' },
    batch.block != null ? `block ${batch.block}` : `batch ${batch.chainBatchId ?? batch.id ?? ''}`,
    batch.txHash ? [' · ', hex(batch.txHash)] : null,
  );
}
