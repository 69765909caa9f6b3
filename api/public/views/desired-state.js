// The twin page's desired-state editor (issue 16's state document): what the owner wants, what the device reports,
// what is left (the delta) with each field's change times, and the version. A save is an owner-signed apply-state
// command sent with `PUT /twins/{id}/state` and `If-Match` of the version the form was filled from; a 412 (another
// write came first) is shown with a reload. The `state-document` events close the delta as the device reports.
import { badge, h, replace, time } from '../dom.js';
import { humanizeKey } from '../format.js';
import { apiRequest } from '../api.js';
import { sendCommand } from '../session.js';
import { describeActuatorState } from './commands.js';

const INTERVALS = [
  ['telemetrySeconds', 'Telemetry interval', 0.5, 3600],
  ['snapshotSeconds', 'Snapshot interval', 5, 86400],
];
/** Sensor sampling, for a device that declares it (`capabilities.sensorSampling`). */
const SENSOR_INTERVAL = ['sensorSeconds', 'Sensor sampling interval', 0.5, 86400];
/** The switchable snapshot probes, worded (`capabilities.probes`); an unlisted one is humanised. */
const PROBE_LABELS = {
  kernelLog: 'kernel log',
  usb: 'USB devices',
  pci: 'PCI devices',
  ipc: 'IPC',
  icmp: 'ICMP counters',
  arp: 'ARP table',
  dnsConfig: 'DNS configuration',
  dnsCache: 'DNS cache',
  dnsServers: 'DNS servers',
  tls: 'TLS servers',
  plugAndPlay: 'plug and play devices',
};
/** The state document's group of each kind of field. */
const GROUPS = { interval: 'intervals', probe: 'probes', actuator: 'actuators' };
const LEVEL_NAMES = { fan: 'speed', light: 'brightness' };

/** `createStateEditor(ctx, deviceId, { editable })` → `{ element, setDocument(doc), onDocument(event) }`. */
export function createStateEditor(ctx, deviceId, { editable = true } = {}) {
  const path = `/twins/${encodeURIComponent(deviceId)}/state`;
  let doc = null;
  let capabilities = null;
  /** The version the inputs were filled from: what a save's If-Match says. */
  let baseVersion = null;
  let dirty = false;
  let fields = [];
  const version = h('span', { 'data-testid': 'state-version' }, '—');
  const summary = h('p', { class: 'state-delta', 'data-testid': 'state-delta', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const outcome = h('p', { class: 'action-outcome small', 'data-testid': 'state-outcome', 'aria-live': 'polite' });
  const conflict = h('div', { class: 'state-conflict', 'data-testid': 'state-conflict', hidden: true });
  const stalePanel = h('p', { class: 'small state-stale', 'data-testid': 'state-stale', hidden: true });
  const save = h('button', { type: 'submit', 'data-testid': 'state-save' }, 'Sign and save');
  const raw = h('pre', { class: 'mono small' });
  const form = h(
    'form',
    // The page checks each field itself and names the bad one (the browser's bubbles say nothing of the range).
    { class: 'state-editor', 'data-testid': 'state-editor', novalidate: true },
    h('h3', {}, 'Desired state'),
    h(
      'p',
      { class: 'small' },
      'Version ',
      version,
      editable ? ' · leave a field on "no preference" to let the device keep its own.' : '',
    ),
    summary,
    stalePanel,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'data', 'data-testid': 'state-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Field', 'Desired', 'Reported by the device', 'Status', 'Desired since', 'Reported since'].map((c) =>
              h('th', { scope: 'col' }, c),
            ),
          ),
        ),
        tbody,
      ),
    ),
    editable ? h('div', { class: 'button-row' }, save) : null,
    outcome,
    conflict,
    h(
      'details',
      { class: 'raw-toggle', 'data-testid': 'state-raw' },
      h('summary', { class: 'small' }, 'raw document'),
      raw,
    ),
  );
  form.addEventListener('input', () => {
    dirty = true;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (editable) ctx.run(submit);
  });

  /**
   * The fields the device can take: its intervals (when it obeys set-intervals), its sensor sampling and the
   * snapshot probes it can switch (when it declares them), and its actuators.
   */
  function fieldsOf() {
    const list = [];
    if (!capabilities || capabilities.commands?.includes('set-intervals'))
      for (const [key, label, min, max] of [...INTERVALS, ...(capabilities?.sensorSampling ? [SENSOR_INTERVAL] : [])])
        list.push({ kind: 'interval', key, label, min, max, id: `intervals.${key}` });
    for (const probe of capabilities?.probes ?? [])
      list.push({
        kind: 'probe',
        key: probe,
        label: `Probe: ${PROBE_LABELS[probe] ?? humanizeKey(probe).toLowerCase()}`,
        id: `probes.${probe}`,
      });
    const actuators = new Map((capabilities?.actuators ?? []).map((item) => [item.name, item]));
    for (const name of Object.keys(doc?.desired?.actuators ?? {}))
      if (!actuators.has(name)) actuators.set(name, { name, type: 'unknown' });
    for (const actuator of actuators.values())
      list.push({
        kind: 'actuator',
        key: actuator.name,
        type: actuator.type,
        label: `${humanizeKey(actuator.name)} (${actuator.type})`,
        id: `actuators.${actuator.name}`,
      });
    return list;
  }

  function buildRows() {
    fields = fieldsOf().map((field) => {
      const cells = { reported: h('td'), status: h('td'), desiredAt: h('td'), reportedAt: h('td') };
      let inputs;
      let desiredCell;
      if (field.kind === 'interval') {
        const input = h('input', {
          type: 'number',
          step: 'any',
          min: field.min,
          max: field.max,
          placeholder: 'no preference',
          'aria-label': `Desired ${field.label.toLowerCase()} (seconds)`,
          'data-testid': `desired-${field.id}`,
          disabled: !editable,
        });
        inputs = { input };
        desiredCell = h('td', {}, input, ' s');
      } else if (field.kind === 'probe') {
        const select = h(
          'select',
          { 'aria-label': `Desired ${field.label}`, 'data-testid': `desired-${field.id}`, disabled: !editable },
          h('option', { value: '' }, 'no preference'),
          h('option', { value: 'on' }, 'runs'),
          h('option', { value: 'off' }, 'off'),
        );
        inputs = { select };
        desiredCell = h('td', {}, select);
      } else {
        const select = h(
          'select',
          { 'aria-label': `Desired ${field.label}`, 'data-testid': `desired-${field.id}-on`, disabled: !editable },
          h('option', { value: '' }, 'no preference'),
          h('option', { value: 'on' }, 'on'),
          h('option', { value: 'off' }, 'off'),
        );
        const levelName = LEVEL_NAMES[field.type];
        const level = levelName
          ? h('input', {
              type: 'number',
              min: 0,
              max: 100,
              step: 1,
              placeholder: levelName,
              'aria-label': `Desired ${humanizeKey(levelName).toLowerCase()} of ${field.key} (percent)`,
              'data-testid': `desired-${field.id}-level`,
              disabled: !editable,
            })
          : null;
        inputs = { select, level };
        desiredCell = h('td', {}, select, level ? [' ', level, ' %'] : null);
      }
      const row = h(
        'tr',
        { 'data-testid': 'state-row', 'data-field': field.id },
        h('th', { scope: 'row' }, field.label),
        desiredCell,
        cells.reported,
        cells.status,
        cells.desiredAt,
        cells.reportedAt,
      );
      return { ...field, row, cells, inputs };
    });
    replace(
      tbody,
      fields.length
        ? fields.map((field) => field.row)
        : h('tr', { class: 'message empty' }, h('td', { colspan: 6 }, 'The device declares nothing to set.')),
    );
  }

  const desiredOf = (field) => doc?.desired?.[GROUPS[field.kind]]?.[field.key];
  const reportedOf = (field) => doc?.reported?.[GROUPS[field.kind]]?.[field.key];
  const deltaOf = (field) => doc?.delta?.[GROUPS[field.kind]]?.[field.key];
  const describe = (field, value) =>
    value === undefined
      ? 'no preference'
      : field.kind === 'interval'
      ? `${value} s`
      : field.kind === 'probe'
      ? value
        ? 'runs'
        : 'off'
      : describeActuatorState(value);

  function fillInputs() {
    for (const field of fields) {
      const wanted = desiredOf(field);
      if (field.kind === 'interval') field.inputs.input.value = wanted === undefined ? '' : String(wanted);
      else if (field.kind === 'probe') field.inputs.select.value = wanted === undefined ? '' : wanted ? 'on' : 'off';
      else {
        field.inputs.select.value = wanted === undefined ? '' : wanted.on ? 'on' : 'off';
        if (field.inputs.level) field.inputs.level.value = wanted?.level === undefined ? '' : String(wanted.level);
      }
    }
    baseVersion = doc?.version ?? 0;
    dirty = false;
  }

  function drawStatus() {
    version.textContent = String(doc?.version ?? 0);
    const open = [];
    for (const field of fields) {
      const reported = reportedOf(field);
      replace(
        field.cells.reported,
        reported === undefined ? h('span', { class: 'muted' }, 'not reported') : describe(field, reported),
      );
      const pending = deltaOf(field) !== undefined;
      field.row.dataset.inSync = String(!pending);
      replace(
        field.cells.status,
        desiredOf(field) === undefined
          ? h('span', { class: 'muted' }, '—')
          : pending
          ? badge('waiting for the device', 'pending', { 'data-testid': 'state-field-status' })
          : badge('in sync', 'ok', { 'data-testid': 'state-field-status' }),
      );
      replace(field.cells.desiredAt, time(doc?.desiredTimes?.[field.id]));
      replace(field.cells.reportedAt, time(doc?.reportedTimes?.[field.id]));
      if (pending)
        open.push(
          `${field.label}: wants ${describe(field, desiredOf(field))}, reports ${describe(field, reportedOf(field))}`,
        );
    }
    summary.dataset.fields = String(open.length);
    replace(
      summary,
      open.length === 0
        ? [badge('in sync', 'ok'), ' The device reports the desired state.']
        : [badge(`${open.length} field${open.length === 1 ? '' : 's'} waiting`, 'pending'), ' ', open.join(' · ')],
    );
    raw.textContent = JSON.stringify(doc, null, 2);
    // Another write landed while this form is being edited: saving it would be refused (412), say so now.
    const stale = editable && dirty && baseVersion !== null && (doc?.version ?? 0) !== baseVersion;
    stalePanel.hidden = !stale;
    if (stale)
      replace(
        stalePanel,
        `Version ${doc.version} was saved elsewhere while you edit (your form is based on version ${baseVersion}): `,
        h('button', { type: 'button', 'data-testid': 'state-stale-reload', onclick: () => ctx.run(reload) }, 'load it'),
        ' or save to see the conflict.',
      );
  }

  /** The form's desired state, or an Error naming the bad field. */
  function desiredFromForm() {
    const desired = {};
    for (const field of fields) {
      if (field.kind === 'interval') {
        const text = field.inputs.input.value.trim();
        if (text === '') continue;
        const value = Number(text);
        if (!Number.isFinite(value) || value < field.min || value > field.max)
          throw new Error(`${field.label}: enter seconds between ${field.min} and ${field.max}, or leave it empty.`);
        (desired.intervals ??= {})[field.key] = value;
      } else if (field.kind === 'probe') {
        const choice = field.inputs.select.value;
        if (choice !== '') (desired.probes ??= {})[field.key] = choice === 'on';
      } else {
        const choice = field.inputs.select.value;
        if (choice === '') continue;
        const wanted = { on: choice === 'on' };
        const text = field.inputs.level?.value.trim() ?? '';
        if (text !== '' && wanted.on) {
          const value = Number(text);
          if (!Number.isInteger(value) || value < 0 || value > 100)
            throw new Error(`${field.label}: the level is a whole percentage, 0–100.`);
          wanted.level = value;
        }
        (desired.actuators ??= {})[field.key] = wanted;
      }
    }
    return desired;
  }

  async function submit() {
    conflict.hidden = true;
    let desired;
    try {
      desired = desiredFromForm();
    } catch (error) {
      setOutcome('error', error.message);
      return;
    }
    const base = baseVersion ?? 0;
    save.disabled = true;
    setOutcome('pending', 'Signing the desired state…');
    try {
      const { answer } = await sendCommand(
        deviceId,
        { command: 'apply-state', args: { desired, version: base + 1 } },
        { send: (signed) => apiRequest('PUT', path, { body: signed, headers: { 'if-match': `"${base}"` } }) },
      );
      doc = answer;
      fillInputs();
      drawStatus();
      setOutcome('done', `Saved as version ${answer.version} and sent to the device.`);
    } catch (error) {
      if (error?.status === 412) {
        setOutcome('error', 'Not saved: the desired state changed since you loaded it.');
        replace(
          conflict,
          h(
            'p',
            {},
            `Someone saved another version (the document is now at version ${
              error.details?.version ?? 'newer'
            }). Reload it, then make your change again.`,
          ),
          h(
            'button',
            { type: 'button', 'data-testid': 'state-reload', onclick: () => ctx.run(reload) },
            'Reload the desired state',
          ),
        );
        conflict.hidden = false;
      } else setOutcome('error', error?.shortMessage ?? error?.message ?? String(error));
    } finally {
      save.disabled = false;
    }
  }

  async function reload() {
    const fresh = await ctx.get(path);
    conflict.hidden = true;
    setOutcome('done', `Reloaded version ${fresh.version}.`);
    setDocument(fresh, { force: true });
  }

  function setOutcome(status, text) {
    outcome.dataset.status = status;
    replace(outcome, text);
  }

  function setDocument(next, { force = false } = {}) {
    const fieldKey = () => JSON.stringify(fieldsOf().map((field) => field.id));
    const before = fields.map((field) => field.id);
    doc = next;
    if (next.capabilities !== undefined) capabilities = next.capabilities;
    if (fieldKey() !== JSON.stringify(before) || fields.length === 0) {
      // New fields (an actuator declared or desired): rebuilt rows keep what is being edited, and its base version.
      const edited = dirty && !force ? formValues() : null;
      const base = baseVersion;
      buildRows();
      fillInputs();
      if (edited) {
        restoreValues(edited);
        baseVersion = base;
        dirty = true;
      }
    } else if (force || (!dirty && next.version !== baseVersion)) fillInputs();
    drawStatus();
  }

  const inputsOf = (field) => Object.values(field.inputs).filter(Boolean);
  const formValues = () => new Map(fields.map((field) => [field.id, inputsOf(field).map((input) => input.value)]));
  function restoreValues(values) {
    for (const field of fields) values.get(field.id)?.forEach((value, i) => (inputsOf(field)[i].value = value));
  }

  return {
    element: form,
    setDocument,
    /** A `state-document` event: the device reported, or a write landed. */
    onDocument(event) {
      if (!doc) return;
      // The event carries no capabilities: keep the ones the GET brought.
      setDocument({ ...event, capabilities });
    },
  };
}
