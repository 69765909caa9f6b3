// The twin page's command panel (issue 16): forms generated from what the device declares in its signed online
// status (built-in commands with their arguments, actuators with their actions and levels), each send signed by the
// owner's wallet and followed live (pending → delivered → succeeded / failed / expired) in the command history.
import { badge, h, replace, time } from '../dom.js';
import { formatNumber, humanizeKey } from '../format.js';
import { sendCommand } from '../session.js';

/** Human names of the built-in commands (apply-state is sent by the desired-state editor). */
export const COMMAND_TITLES = {
  'collect-snapshot': 'Collect a snapshot now',
  'publish-static': 'Republish the static document',
  'set-intervals': 'Change the publishing intervals',
  ping: 'Ping (answer with an online status)',
  'apply-state': 'Apply the desired state',
  resend: 'Resend messages the index lost (a range of sequence numbers)',
};
/** Most numbers one resend may name (twin-core's MAX_RESEND_RANGE). */
const MAX_RESEND_RANGE = 10_000;
const STATUS_KINDS = { pending: 'pending', delivered: 'info', succeeded: 'ok', failed: 'danger', expired: 'warn' };
const STATUS_TEXT = {
  pending: 'pending: sent, not yet acknowledged',
  delivered: 'delivered: the device is on it',
  succeeded: 'succeeded',
  failed: 'failed',
  expired: 'expired: unanswered before its expiry',
};
const FINAL = new Set(['succeeded', 'failed', 'expired']);
const rank = (status) => (FINAL.has(status) ? 2 : status === 'delivered' ? 1 : 0);
const LEVEL_NAMES = { fan: 'speed', light: 'brightness' };
const HISTORY_LIMIT = 25;

/** An actuator's state in words: "on at 60 %", "on", "off". */
export function describeActuatorState(state) {
  if (!state || typeof state !== 'object') return '—';
  if (!state.on) return 'off';
  return state.level == null ? 'on' : `on at ${formatNumber(state.level, 0)} %`;
}

/** A command's arguments in words. */
export function describeArguments(command, args = {}) {
  if (command === 'set-intervals') {
    const parts = [];
    if (args.telemetrySeconds != null) parts.push(`telemetry every ${args.telemetrySeconds} s`);
    if (args.snapshotSeconds != null) parts.push(`snapshots every ${args.snapshotSeconds} s`);
    return parts.join(', ');
  }
  if (command === 'apply-state') return `desired state, version ${args.version}`;
  if (command === 'resend') return `numbers ${args.fromSeq}–${args.toSeq}`;
  if (typeof args.action === 'string') {
    const level = args.speed ?? args.brightness;
    return `${args.action.replace('_', ' ')}${level != null ? ` at ${level} %` : ''}`;
  }
  return describeValue(args) || 'no arguments';
}

/** Any result value in words: actuator states, key: value pairs, lists. */
export function describeValue(value) {
  if (value == null) return '';
  if (Array.isArray(value)) return value.map(describeValue).join(', ');
  if (typeof value !== 'object') return String(value);
  if (typeof value.on === 'boolean') return describeActuatorState(value);
  return Object.entries(value)
    .map(
      ([key, item]) =>
        `${humanizeKey(key)}: ${typeof item === 'object' && item !== null ? `(${describeValue(item)})` : item}`,
    )
    .join(', ');
}

const commandTitle = (command, capabilities) => {
  if (COMMAND_TITLES[command]) return COMMAND_TITLES[command];
  const actuator = capabilities?.actuators?.find((item) => item.name === command);
  return actuator ? `${humanizeKey(actuator.name)} (${actuator.type})` : command;
};

/**
 * `createCommandPanel(ctx, deviceId)` → `{ element, setCapabilities(capabilities), onCommand(event), load() }`.
 * History rows are `data-testid="command-row"` with `data-command-id`, `data-command` and `data-status`.
 */
export function createCommandPanel(ctx, deviceId) {
  let capabilities = null;
  const forms = h('div', { class: 'actions-grid', 'data-testid': 'command-forms' });
  const problem = h('p', { class: 'action-outcome small', 'data-testid': 'command-problem', 'aria-live': 'polite' });
  const rows = new Map();
  /** Each actuator's "Now …" line, by name, following what the device reports. */
  const stateLines = new Map();
  const tbody = h('tbody');
  const empty = h('tr', { class: 'message empty' }, h('td', { colspan: 5 }, 'No command sent to this twin yet.'));
  tbody.append(empty);
  const element = h(
    'div',
    { class: 'command-panel', 'data-testid': 'command-panel' },
    h('h3', {}, 'Send a command'),
    h(
      'p',
      { class: 'muted small' },
      'You sign each command with your key; the device checks that you own it before it obeys.',
    ),
    forms,
    problem,
    h('h3', {}, 'Command history'),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data', 'data-testid': 'command-history' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Sent', 'Command', 'Arguments', 'Status', 'Result or error'].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        tbody,
      ),
    ),
  );

  function show(command) {
    if (!command?.commandId) return;
    const id = command.commandId.toLowerCase();
    const previous = rows.get(id);
    // Events and polls may cross: a status never goes back (pending → delivered → final).
    if (previous && rank(previous.command.status) > rank(command.status)) return;
    const merged = { ...(previous?.command ?? {}), ...command };
    const outcome =
      merged.status === 'failed' && merged.error
        ? h('span', { class: 'command-error' }, `${merged.error.message} (${merged.error.code})`)
        : merged.status === 'succeeded'
        ? h('span', {}, describeValue(merged.result) || 'done')
        : h('span', { class: 'muted' }, '—');
    const row = h(
      'tr',
      {
        'data-testid': 'command-row',
        'data-command-id': id,
        'data-command': merged.command,
        'data-status': merged.status,
      },
      h('td', {}, time(merged.createdAt)),
      h('td', {}, commandTitle(merged.command, capabilities)),
      h('td', {}, describeArguments(merged.command, merged.args)),
      h(
        'td',
        {},
        badge(STATUS_TEXT[merged.status] ?? merged.status, STATUS_KINDS[merged.status] ?? 'neutral', {
          'data-testid': 'command-status',
        }),
      ),
      h('td', { 'data-testid': 'command-outcome' }, outcome),
    );
    if (previous) previous.row.replaceWith(row);
    else tbody.prepend(row);
    empty.remove();
    rows.set(id, { row, command: merged });
  }

  /** Polls one command until it is final (the event stream normally gets there first). */
  async function follow(commandId) {
    for (let attempt = 0; attempt < 200 && ctx.alive; attempt += 1) {
      if (FINAL.has(rows.get(commandId.toLowerCase())?.command.status)) return;
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      if (!ctx.alive) return;
      try {
        show(await ctx.get(`/twins/${encodeURIComponent(deviceId)}/commands/${commandId}`));
      } catch {
        // the stream may still bring it
      }
    }
  }

  /** Signs and sends `command` with `args`; `button` is disabled meanwhile. */
  async function send(button, command, args) {
    button.disabled = true;
    replace(problem, 'Signing…');
    problem.dataset.status = 'pending';
    try {
      const { commandId, answer } = await sendCommand(deviceId, { command, args });
      show(answer);
      replace(problem);
      delete problem.dataset.status;
      ctx.run(() => follow(commandId));
    } catch (error) {
      problem.dataset.status = 'error';
      replace(
        problem,
        h('strong', {}, `${commandTitle(command, capabilities)}: `),
        error?.shortMessage ?? error?.message ?? String(error),
      );
    } finally {
      button.disabled = false;
    }
  }

  const numberInput = (name, label, attributes) =>
    h('input', {
      type: 'number',
      name,
      'aria-label': label,
      'data-testid': `command-arg-${name}`,
      step: 'any',
      ...attributes,
    });

  function commandForm(testid, title, fields, build, { note, submit = 'Send' } = {}) {
    const button = h('button', { type: 'submit', 'data-testid': `command-send-${testid}` }, submit);
    const form = h(
      'form',
      { class: 'action-form', 'data-command': testid, novalidate: true },
      h('strong', {}, title),
      note ? h('span', { class: 'muted small' }, note) : null,
      fields.map(([label, input]) => h('label', { class: 'small' }, label, input)),
      button,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      let draft;
      try {
        draft = build();
      } catch (error) {
        problem.dataset.status = 'error';
        replace(problem, h('strong', {}, `${title}: `), error.message);
        return;
      }
      send(button, draft.command, draft.args);
    });
    return form;
  }

  function draw() {
    stateLines.clear();
    if (!capabilities) {
      replace(
        forms,
        h(
          'p',
          { class: 'muted', 'data-testid': 'command-no-capabilities' },
          'The device has not declared what it can do yet (no signed online status since the API started): commands appear once it does.',
        ),
      );
      return;
    }
    const items = [];
    for (const command of capabilities.commands ?? []) {
      if (command === 'apply-state') continue; // the desired-state editor below
      if (command === 'set-intervals') {
        const telemetry = numberInput('telemetrySeconds', 'Telemetry interval (seconds)', {
          min: 0.5,
          max: 3600,
          placeholder: '5',
        });
        const snapshot = numberInput('snapshotSeconds', 'Snapshot interval (seconds)', {
          min: 5,
          max: 86400,
          placeholder: '60',
        });
        items.push(
          commandForm(
            command,
            COMMAND_TITLES[command],
            [
              ['Telemetry every (s, 0.5–3600)', telemetry],
              ['Snapshots every (s, 5–86400)', snapshot],
            ],
            () => {
              const args = {};
              for (const [input, key, label] of [
                [telemetry, 'telemetrySeconds', 'Telemetry interval'],
                [snapshot, 'snapshotSeconds', 'Snapshot interval'],
              ]) {
                if (input.value.trim() === '') continue;
                const value = Number(input.value);
                if (!Number.isFinite(value) || value < Number(input.min) || value > Number(input.max))
                  throw new Error(`${label}: enter seconds between ${input.min} and ${input.max}.`);
                args[key] = value;
              }
              if (Object.keys(args).length === 0)
                throw new Error('Enter a telemetry interval, a snapshot interval or both.');
              return { command, args };
            },
          ),
        );
      } else if (command === 'resend') {
        items.push(resendForm());
      } else {
        items.push(commandForm(command, COMMAND_TITLES[command] ?? command, [], () => ({ command, args: {} })));
      }
    }
    for (const actuator of capabilities.actuators ?? []) items.push(actuatorForm(actuator));
    replace(forms, items.length ? items : h('p', { class: 'muted' }, 'The device declares no command.'));
  }

  /** The resend form, filled in with the device's open sequence gaps (GET /twins/{id}/gaps) when it has some. */
  function resendForm() {
    const from = numberInput('fromSeq', 'First sequence number', { min: 0, step: 1 });
    const to = numberInput('toSeq', 'Last sequence number', { min: 0, step: 1 });
    const note = h('span', { class: 'muted small', 'data-testid': 'command-resend-gaps' }, 'Reading the gaps…');
    const form = commandForm(
      'resend',
      COMMAND_TITLES.resend,
      [
        ['From', from],
        ['To', to],
      ],
      () => {
        const fromSeq = Number(from.value);
        const toSeq = Number(to.value);
        if (from.value.trim() === '' || !Number.isSafeInteger(fromSeq) || fromSeq < 0)
          throw new Error('From: enter a whole sequence number.');
        if (to.value.trim() === '' || !Number.isSafeInteger(toSeq) || toSeq < fromSeq)
          throw new Error('To: enter a whole number at least From.');
        if (toSeq - fromSeq + 1 > MAX_RESEND_RANGE)
          throw new Error(`To: a resend names at most ${formatNumber(MAX_RESEND_RANGE, 0)} numbers.`);
        return { command: 'resend', args: { fromSeq, toSeq } };
      },
    );
    form.querySelector('strong')?.after(note);
    ctx.run(async () => {
      try {
        const gaps = await ctx.get(`/twins/${encodeURIComponent(deviceId)}/gaps`);
        if (!ctx.alive) return;
        if (gaps.openGaps === 0) {
          replace(note, 'No open gap: every number the device used has reached the index.');
          return;
        }
        from.value = String(gaps.gaps[0].fromSeq);
        to.value = String(Math.min(gaps.gaps[gaps.gaps.length - 1].toSeq, gaps.gaps[0].fromSeq + MAX_RESEND_RANGE - 1));
        replace(
          note,
          `${formatNumber(gaps.missing, 0)} numbers missing in ${formatNumber(gaps.openGaps, 0)} gaps: the device ` +
            'publishes again those it still holds.',
        );
      } catch {
        replace(note, 'The gaps could not be read.');
      }
    });
    return form;
  }

  function actuatorForm(actuator) {
    const levelName = LEVEL_NAMES[actuator.type];
    const level = levelName
      ? h('input', {
          type: 'number',
          min: 0,
          max: 100,
          step: 1,
          name: levelName,
          placeholder: actuator.state?.level != null ? String(actuator.state.level) : '100',
          'aria-label': `${humanizeKey(levelName)} (percent)`,
          'data-testid': `actuator-${actuator.name}-level`,
        })
      : null;
    const on = h('button', { type: 'button', 'data-testid': `actuator-${actuator.name}-turn_on` }, 'Turn on');
    const off = h('button', { type: 'button', 'data-testid': `actuator-${actuator.name}-turn_off` }, 'Turn off');
    const problemOf = (message) => {
      problem.dataset.status = 'error';
      replace(problem, h('strong', {}, `${humanizeKey(actuator.name)}: `), message);
    };
    on.addEventListener('click', () => {
      const args = { action: 'turn_on' };
      if (level && level.value.trim() !== '') {
        const value = Number(level.value);
        if (!Number.isInteger(value) || value < 0 || value > 100)
          return problemOf(`${humanizeKey(levelName)}: enter a whole percentage, 0–100.`);
        args[levelName] = value;
      }
      send(on, actuator.name, args);
    });
    off.addEventListener('click', () => send(off, actuator.name, { action: 'turn_off' }));
    const line = h('span', { class: 'muted small', 'data-testid': `actuator-${actuator.name}-state` });
    const setState = (state) => (line.textContent = `Now ${describeActuatorState(state)} · driver ${actuator.driver}`);
    setState(actuator.state);
    stateLines.set(actuator.name, setState);
    return h(
      'div',
      { class: 'action-form', 'data-actuator': actuator.name },
      h('strong', {}, `${humanizeKey(actuator.name)} (${actuator.type})`),
      line,
      level ? h('label', { class: 'small' }, `${humanizeKey(levelName)} (%, 0–100)`, level) : null,
      h('div', { class: 'button-row' }, on, ' ', off),
    );
  }

  draw();
  return {
    element,
    setCapabilities(next) {
      const key = (c) => JSON.stringify([c?.commands, c?.actuators?.map((a) => [a.name, a.type, a.state])]);
      if (key(next) === key(capabilities)) return;
      capabilities = next ?? null;
      draw();
    },
    /** The device's reported state (a `state-document` event): each actuator's current state. */
    setReported(reported) {
      for (const [name, state] of Object.entries(reported?.actuators ?? {})) stateLines.get(name)?.(state);
    },
    /** A `command` event of the stream: a command of this twin changed status. */
    onCommand(event) {
      if (!event?.commandId) return;
      const { sig: _sig, updateSeq: _seq, ...command } = event;
      show(command);
    },
    async load() {
      const { items } = await ctx.get(`/twins/${encodeURIComponent(deviceId)}/commands`, { limit: HISTORY_LIMIT });
      for (const command of [...(items ?? [])].reverse()) show(command);
    },
  };
}
