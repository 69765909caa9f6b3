// The twin page's control card (issue 16): for the twin's owner, the command panel (from the device's declared
// capabilities) and the desired-state editor; for anyone else, why not. Commands are signed by the owner's key and
// the device itself checks that signature, so no other role gets controls here.
import { h, replace } from '../dom.js';
import { sameHex, shorten } from '../format.js';
import { session } from '../session.js';
import { createCommandPanel } from './commands.js';
import { createStateEditor } from './desired-state.js';

/** `createControlPanel(ctx, deviceId)` → `{ element, update(detail), onCommand(event), onDocument(event) }`. */
export function createControlPanel(ctx, deviceId) {
  const body = h('div', { class: 'control-body' });
  const element = h(
    'section',
    { class: 'card control-slot', 'data-testid': 'control-slot', 'aria-labelledby': 'control-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'control-title' }, 'Commands and desired state')),
    body,
  );
  let owner = null;
  let shown = null; // 'owner' | 'other' | 'signed-out'
  let commands = null;
  let editor = null;

  function draw() {
    const me = session();
    const mode = !me ? 'signed-out' : sameHex(me.address, owner) ? 'owner' : 'other';
    if (mode === shown) return;
    shown = mode;
    commands = null;
    editor = null;
    if (mode === 'signed-out') {
      replace(
        body,
        h(
          'p',
          { class: 'muted', 'data-testid': 'control-sign-in' },
          'Sign in as this twin’s owner to send it commands and set its desired state.',
        ),
      );
      return;
    }
    if (mode === 'other') {
      replace(
        body,
        h(
          'p',
          { class: 'muted', 'data-testid': 'control-not-owner' },
          `Only this twin’s owner (${shorten(
            owner,
          )}) can command it or change its desired state: each command is signed by the owner’s key, and the device checks that signature against the owner it knows before it obeys.`,
        ),
      );
      return;
    }
    commands = createCommandPanel(ctx, deviceId);
    editor = createStateEditor(ctx, deviceId);
    replace(body, h('div', { class: 'control-grid' }, commands.element, editor.element));
    const mine = { commands, editor };
    ctx.run(async () => {
      const doc = await ctx.get(`/twins/${encodeURIComponent(deviceId)}/state`);
      if (mine.editor !== editor) return; // redrawn meanwhile
      commands.setCapabilities(doc.capabilities);
      editor.setDocument(doc);
    });
    ctx.run(() => mine.commands.load());
  }

  return {
    element,
    /** The twin's merged view: who owns it now. */
    update(detail) {
      const next = detail?.twin?.owner ?? null;
      if (!sameHex(next ?? '', owner ?? '')) shown = null;
      owner = next;
      draw();
    },
    onCommand(event) {
      commands?.onCommand(event);
    },
    onDocument(event) {
      editor?.onDocument(event);
      // A device's new online status carries its actuators' states: the panel's "Now …" lines follow its reports.
      commands?.setReported(event?.reported);
    },
  };
}
