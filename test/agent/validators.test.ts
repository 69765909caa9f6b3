import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ZodOptional, type z } from 'zod';
import { loadConfig } from '../../twin-core/src/config/loadConfig';
import {
  ACTUATOR_TYPES,
  BUILTIN_COMMAND_ARGUMENTS,
  commandArgumentIssues,
  signedCommandSchema as commandSchema,
  type Capabilities,
} from '../../twin-core/src/messages/command';
import { ACTUATOR_TYPE_NAMES, BUILTIN_COMMANDS } from '../../twin-core/src/messages/commandRules';
import { twinRecordBodySchema, twinRecordMessageSchema } from '../../twin-core/src/messages/oracleMessage';
import { snapshotBodySchema } from '../../twin-core/src/messages/snapshot';
import { telemetryBodySchema } from '../../twin-core/src/messages/telemetry';
import { staticDocumentInputSchema, staticDocumentSchema } from '../../twin-core/src/static/schema';
import { AGENT_CONFIG_ENV, loadAgentConfig } from '../../agent/src/config';
import { agentConfigSchema } from '../../agent/src/configSchema';
import { generatedFiles } from '../../agent/build/generateValidators';
import {
  checkActuatorAction,
  checkBuiltinArguments,
  checkCommand,
  checkTwinRecordBody,
  checkTwinRecordMessage,
  deviceCommandArgumentIssues,
  checkSection,
  checkSnapshotBody,
  checkStaticDocument,
  checkTelemetryBody,
  parseDeviceStaticDocument,
  SNAPSHOT_SECTIONS,
  type Checked,
} from '../../agent/src/validate/validators';

const SPEC = join(__dirname, '..', '..', 'spec', 'vectors');
const vectorBody = (kind: string) =>
  JSON.parse(JSON.parse(readFileSync(join(SPEC, `${kind}.json`), 'utf8')).payload).body as Record<string, unknown>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Each way to break `value` at one place: a wrong type, out of range, too long, a key missing or unknown. */
function mutations(value: Json, path: (string | number)[] = []): { path: (string | number)[]; value: Json }[] {
  const found: { path: (string | number)[]; value: Json }[] = [];
  const at = (replacement: Json) => found.push({ path, value: replacement });
  if (typeof value === 'string') [123, 'x'.repeat(600), null].forEach(at);
  else if (typeof value === 'number') ['12', -1, 1.5, 1e300, null].forEach(at);
  else if (typeof value === 'boolean') ['true', null].forEach(at);
  else if (value === null) [0, 'null', {}].forEach(at);
  else if (Array.isArray(value)) {
    [{}, 'list'].forEach(at);
    value.slice(0, 2).forEach((item, index) => found.push(...mutations(item, [...path, index])));
  } else {
    found.push({ path: [...path, '__unknown'], value: 1 });
    for (const [key, item] of Object.entries(value)) {
      found.push({ path: [...path, key], value: undefined as unknown as Json });
      found.push(...mutations(item, [...path, key]));
    }
  }
  return found;
}

/** `value` with `replacement` at `path` (deleted when undefined), a deep copy. */
function withChange(value: Json, path: (string | number)[], replacement: Json | undefined): Json {
  const copy = structuredClone(value) as Record<string | number, Json>;
  let holder = copy;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete holder[last];
  else holder[last] = replacement;
  return copy as Json;
}

/**
 * Holds a generated check to its zod schema on `valid` and on every one-place break of it: the same verdict, and
 * when both refuse, the same field.
 */
function agreesWithZod(
  schema: z.ZodType,
  check: (value: unknown) => Checked<unknown>,
  valid: Json,
  /** Compare the top-level field only (a body whose sections are unions zod resolves by their `available` flag). */
  topLevelOnly = false,
): number {
  expect(schema.safeParse(valid).success, 'the zod schema accepts the vector').to.equal(true);
  expect(check(valid).ok, 'the generated check accepts the vector').to.equal(true);
  const cases = mutations(valid);
  for (const { path, value } of cases) {
    const input = withChange(valid, path, value);
    const zod = schema.safeParse(input);
    const generated = check(input);
    const what = `${path.join('.')} = ${JSON.stringify(value)?.slice(0, 40)}`;
    expect(generated.ok, `${what}: zod says ${zod.success ? 'valid' : zod.error.issues[0]?.message}`).to.equal(
      zod.success,
    );
    if (!zod.success && !generated.ok) {
      const zodPath = zod.error.issues[0]!.path.join('.');
      const generatedPath = generated.issue.path;
      if (topLevelOnly) expect(generatedPath.split('.')[0], what).to.equal(zodPath.split('.')[0]);
      else expect(generatedPath, what).to.equal(zodPath);
    }
  }
  return cases.length;
}

describe('The validators generated from the zod schemas (issue 17)', function () {
  this.timeout(60_000);

  it('are what the schemas generate now (npm run build:agent regenerates them)', function () {
    for (const [name, text] of Object.entries(generatedFiles())) {
      const current = readFileSync(join(__dirname, '..', '..', 'agent', 'src', 'validate', 'generated', name), 'utf8');
      expect(current === text, `agent/src/validate/generated/${name} is stale`).to.equal(true);
    }
  });

  describe('agree with zod', function () {
    it("on the spec's snapshot vector and every one-place break of each section", function () {
      const body = vectorBody('snapshot');
      let cases = 0;
      for (const section of SNAPSHOT_SECTIONS) {
        const [outer, inner] = section.split('.') as [string, string | undefined];
        const probe = (inner === undefined ? body[outer] : (body[outer] as Record<string, unknown>)[inner]) as
          | { available: boolean; value?: Json }
          | undefined;
        const shape = snapshotBodySchema.shape as unknown as Record<string, z.ZodType & { shape?: Record<string, z.ZodType> }>;
        const field = inner === undefined ? shape[outer]! : shape[outer]!.shape![inner]!;
        // A section newer devices add is optional: its value schema is the inner union's.
        const probeSchema = field instanceof ZodOptional ? (field.unwrap() as z.ZodType) : field;
        const valueSchema = (probeSchema as unknown as { options: { shape: { value: z.ZodType } }[] }).options[0]!.shape
          .value;
        // The spec's vector predates the optional sections: absent there, they are checked on real machines
        // (test/agent/cli.test.ts) and in the whole body.
        if (probe === undefined || !probe.available) continue;
        cases += agreesWithZod(valueSchema, (value) => checkSection(section, value), probe.value!);
      }
      expect(cases).to.be.greaterThan(200);
    });

    it("on the spec's snapshot body as a whole, and its breaks", function () {
      expect(agreesWithZod(snapshotBodySchema, checkSnapshotBody, vectorBody('snapshot') as Json, true)).to.be.greaterThan(200);
    });

    it("on the spec's telemetry vector and its breaks", function () {
      expect(agreesWithZod(telemetryBodySchema, checkTelemetryBody, vectorBody('telemetry') as Json)).to.be.greaterThan(50);
    });

    it("on the spec's static document and its breaks, Unicode NFC and the all-zeros MAC included", function () {
      const document = vectorBody('static') as Json;
      agreesWithZod(staticDocumentSchema, checkStaticDocument, document);
      const identity = (document as { identity: Record<string, Json> }).identity;
      for (const broken of [
        { ...identity, macAddress: '00:00:00:00:00:00' },
        { ...identity, manufacturer: 'Cafe\u0301' },
      ]) {
        const input = { ...(document as object), identity: broken };
        expect(staticDocumentSchema.safeParse(input).success).to.equal(false);
        expect(checkStaticDocument(input).ok).to.equal(false);
      }
    });

    it('on a lenient static document: normalised the same way, or refused the same way', function () {
      const document = vectorBody('static') as { identity: Record<string, unknown>; os: Record<string, unknown> };
      const lenient = {
        ...document,
        identity: { ...document.identity, macAddress: 'DC-A6-32-01-02-03', serialNumber: ' 1000 ', osName: 'Cafe\u0301 OS' },
        os: { ...document.os, hostname: ' pi ' },
      };
      expect(parseDeviceStaticDocument(lenient)).to.deep.equal(staticDocumentInputSchema.parse(lenient));
      const bad = { ...document, os: { ...document.os, hostname: 42 } };
      expect(staticDocumentInputSchema.safeParse(bad).success).to.equal(false);
      expect(() => parseDeviceStaticDocument(bad)).to.throw(/document\.os\.hostname: must be string/);
    });

    it('on every signed command, good and bad', function () {
      const good = {
        v: 1,
        kind: 'command',
        deviceId: `0x${'ab'.repeat(32)}`,
        command: 'set-intervals',
        args: { snapshotSeconds: 60, telemetrySeconds: 1 },
        nonce: '18446744073709551615',
        expiry: 1_900_000_000,
        sig: `0x${'1b'.repeat(65)}`,
      };
      const commands: unknown[] = [
        good,
        { ...good, command: 'ping', args: {} },
        { ...good, command: 'fan', args: { action: 'turn_on', speed: 80 } },
        { ...good, command: 'Reboot' },
        { ...good, command: 'x'.repeat(40) },
        { ...good, nonce: '01' },
        { ...good, nonce: 7 },
        { ...good, expiry: -1 },
        { ...good, sig: '0x12' },
        { ...good, deviceId: `0x${'AB'.repeat(32)}` },
        { ...good, run: 'rm -rf /' },
        { ...good, v: 2 },
        (({ sig: _sig, ...rest }) => rest)(good),
        'ping',
        null,
        [],
      ];
      for (const command of commands)
        expect(checkCommand(command).ok, JSON.stringify(command)).to.equal(commandSchema.safeParse(command).success);
      expect(agreesWithZod(commandSchema, checkCommand, good as Json)).to.be.greaterThan(10);
    });

    /** The same verdict as zod on `input`, and when both refuse, the same field. */
    const sameAsZod = (schema: z.ZodType, check: (value: unknown) => Checked<unknown>, input: unknown) => {
      const zod = schema.safeParse(input);
      const generated = check(input);
      const what = JSON.stringify(input);
      expect(generated.ok, `${what}: zod says ${zod.success ? 'valid' : zod.error.issues[0]?.message}`).to.equal(zod.success);
      if (!zod.success && !generated.ok) expect(generated.issue.path, what).to.equal(zod.error.issues[0]!.path.join('.'));
    };

    it("on each built-in command's arguments, good and broken in one place", function () {
      const good: Record<(typeof BUILTIN_COMMANDS)[number], Json> = {
        'collect-snapshot': {},
        'publish-static': {},
        ping: {},
        'set-intervals': { snapshotSeconds: 60, telemetrySeconds: 1.5 },
        'apply-state': {
          desired: { intervals: { snapshotSeconds: 60, telemetrySeconds: 2 }, actuators: { fan: { on: true, level: 60 } } },
          version: 3,
        },
        resend: { fromSeq: 120, toSeq: 180 },
      };
      let cases = 0;
      for (const name of BUILTIN_COMMANDS) {
        const schema = BUILTIN_COMMAND_ARGUMENTS[name];
        const check = (value: unknown) => checkBuiltinArguments(name, value);
        cases += agreesWithZod(schema, check, good[name]);
        for (const input of ['ping', null, [], 7]) sameAsZod(schema, check, input);
      }
      // What JSON Schema cannot say (set-intervals names an interval) and a few more breaks, each the same.
      const setIntervals = (value: unknown) => checkBuiltinArguments('set-intervals', value);
      for (const input of [{}, { snapshotSeconds: 4 }, { telemetrySeconds: 3_601 }, { telemetrySeconds: 0.5 }])
        sameAsZod(BUILTIN_COMMAND_ARGUMENTS['set-intervals'], setIntervals, input);
      expect(setIntervals({}).ok).to.equal(false);
      // resend: a range in order, at most MAX_RESEND_RANGE wide (the refinement), whole numbers ≥ 0.
      const resend = (value: unknown) => checkBuiltinArguments('resend', value);
      for (const input of [
        { fromSeq: 5, toSeq: 4 },
        { fromSeq: 0, toSeq: 10_000 },
        { fromSeq: 0, toSeq: 9_999 },
        { fromSeq: -1, toSeq: 3 },
        { fromSeq: 1.5, toSeq: 3 },
        { fromSeq: 1 },
        { fromSeq: 1, toSeq: 2, kind: 'snapshot' },
      ])
        sameAsZod(BUILTIN_COMMAND_ARGUMENTS.resend, resend, input);
      expect(resend({ fromSeq: 5, toSeq: 4 })).to.deep.include({ ok: false });
      expect(resend({ fromSeq: 0, toSeq: 10_000 }).ok).to.equal(false);
      expect(resend({ fromSeq: 0, toSeq: 9_999 }).ok).to.equal(true);
      const applyState = (value: unknown) => checkBuiltinArguments('apply-state', value);
      for (const input of [
        { desired: {}, version: 1 },
        { desired: { actuators: { Fan: { on: true } } }, version: 1 },
        { desired: { actuators: { fan: { on: true, level: 101 } } }, version: 1 },
        { desired: { actuators: { fan: { on: 'yes' } } }, version: 1 },
        { desired: { intervals: {} }, version: 0 },
      ])
        sameAsZod(BUILTIN_COMMAND_ARGUMENTS['apply-state'], applyState, input);
      expect(cases).to.be.greaterThan(40);
    });

    it("on each actuator type's actions, good and broken in one place", function () {
      const good: Record<(typeof ACTUATOR_TYPE_NAMES)[number], Json[]> = {
        switch: [{ action: 'turn_on' }, { action: 'turn_off' }],
        light: [{ action: 'turn_on', brightness: 75 }, { action: 'turn_on' }, { action: 'turn_off' }],
        fan: [{ action: 'turn_on', speed: 60 }, { action: 'turn_off' }],
      };
      expect(Object.keys(ACTUATOR_TYPES)).to.deep.equal([...ACTUATOR_TYPE_NAMES]);
      let cases = 0;
      for (const type of ACTUATOR_TYPE_NAMES) {
        const check = (value: unknown) => checkActuatorAction(type, value);
        for (const action of good[type]) cases += agreesWithZod(ACTUATOR_TYPES[type], check, action);
        for (const input of [
          { action: 'explode' },
          { action: 'turn_on', brightness: 101 },
          { action: 'turn_on', speed: 2.5 },
          { action: 'turn_off', speed: 10 },
          {},
          'turn_on',
          null,
        ])
          sameAsZod(ACTUATOR_TYPES[type], check, input);
      }
      expect(cases).to.be.greaterThan(30);
    });

    it("judge a command's arguments against the device's capabilities as twin-core's zod check does", function () {
      const capabilities: Capabilities = {
        commands: ['ping', 'set-intervals', 'apply-state'],
        actuators: [
          { name: 'fan', type: 'fan', driver: 'memory', state: { on: false, level: 0 } },
          { name: 'relay', type: 'switch', driver: 'gpio', state: { on: false, level: null } },
        ],
      };
      const commands: [string, unknown, Capabilities | undefined][] = [
        ['ping', {}, capabilities],
        ['ping', { now: true }, capabilities],
        ['collect-snapshot', {}, capabilities],
        ['collect-snapshot', {}, undefined],
        ['set-intervals', {}, capabilities],
        ['set-intervals', { snapshotSeconds: 1 }, capabilities],
        ['set-intervals', { telemetrySeconds: 2 }, undefined],
        ['fan', { action: 'turn_on', speed: 60 }, capabilities],
        ['fan', { action: 'turn_on', speed: 160 }, capabilities],
        ['fan', { action: 'turn_on' }, undefined],
        ['relay', { action: 'turn_on', brightness: 5 }, capabilities],
        ['heater', { action: 'turn_on' }, capabilities],
        ['apply-state', { desired: { actuators: { fan: { on: true, level: 60 } } }, version: 2 }, capabilities],
        ['apply-state', { desired: { actuators: { relay: { on: true, level: 60 } } }, version: 2 }, capabilities],
        ['apply-state', { desired: { actuators: { heater: { on: true } } }, version: 2 }, capabilities],
        ['apply-state', { desired: { intervals: { snapshotSeconds: 60 } }, version: 2 }, { ...capabilities, commands: ['apply-state'] }],
        ['apply-state', { desired: {}, version: -2 }, capabilities],
      ];
      const field = (issue: string) => issue.split(':')[0];
      let refused = 0;
      for (const [command, args, declared] of commands) {
        const zod = commandArgumentIssues(command, args, declared);
        const device = deviceCommandArgumentIssues(command, args, declared);
        const what = `${command} ${JSON.stringify(args)}`;
        expect(device.length > 0, `${what}: zod says ${zod.join('; ') || 'valid'}, the device ${device.join('; ')}`).to.equal(
          zod.length > 0,
        );
        if (zod.length > 0) {
          refused++;
          expect(field(device[0]!), what).to.equal(field(zod[0]!));
        }
      }
      expect(refused).to.be.greaterThan(8);
    });

    it("on the oracle's twin record message and its body, good and broken in one place", function () {
      const body = {
        owner: `0x${'12'.repeat(20)}`,
        state: 'active',
        deviceSigner: `0x${'34'.repeat(20)}`,
        manufacturer: `0x${'56'.repeat(20)}`,
        chainId: 31_337,
        registry: `0x${'78'.repeat(20)}`,
        block: 12,
      };
      const message = {
        v: 1,
        kind: 'twin',
        deviceId: `0x${'ab'.repeat(32)}`,
        seq: 1_764_000_000_000,
        ts: '2026-12-02T15:00:00.000Z',
        body,
        sig: `0x${'1b'.repeat(65)}`,
      };
      expect(agreesWithZod(twinRecordMessageSchema, checkTwinRecordMessage, message as Json)).to.be.greaterThan(60);
      expect(agreesWithZod(twinRecordBodySchema, checkTwinRecordBody, body as Json)).to.be.greaterThan(30);
      for (const input of [
        { ...message, kind: 'notifications' },
        { ...message, ts: 'yesterday' },
        { ...message, body: { ...body, state: 'stolen' } },
        { ...message, body: { ...body, owner: '0x12' } },
        'twin',
        null,
      ])
        sameAsZod(twinRecordMessageSchema, checkTwinRecordMessage, input);
    });

    it("on the spec's rejection vectors' bodies", function () {
      const { vectors } = JSON.parse(readFileSync(join(SPEC, 'rejections.json'), 'utf8')) as {
        vectors: { name: string; topic: string; payload: string }[];
      };
      const checks: Record<string, [z.ZodType, (value: unknown) => Checked<unknown>]> = {
        snapshot: [snapshotBodySchema, checkSnapshotBody],
        telemetry: [telemetryBodySchema, checkTelemetryBody],
        static: [staticDocumentSchema, checkStaticDocument],
      };
      let compared = 0;
      for (const vector of vectors) {
        const kind = vector.topic.split('/')[2]!;
        let body: unknown;
        try {
          body = (JSON.parse(vector.payload) as { body: unknown }).body;
        } catch {
          continue;
        }
        if (checks[kind] === undefined) continue;
        const [schema, check] = checks[kind]!;
        expect(check(body).ok, vector.name).to.equal(schema.safeParse(body).success);
        compared++;
      }
      expect(compared).to.be.greaterThan(5);
    });
  });

  describe('the agent config loaded without zod', function () {
    const zodLoad = (environment: NodeJS.ProcessEnv) =>
      loadConfig({ schema: agentConfigSchema, env: AGENT_CONFIG_ENV, environment, secrets: ['mqttPassword'], source: 'agent configuration' });
    const outcome = (load: () => unknown) => {
      try {
        return { ok: true, value: load() };
      } catch (error) {
        return { ok: false, message: (error as Error).message };
      }
    };

    const environments: NodeJS.ProcessEnv[] = [
      {},
      { TWIN_AGENT_DATA_DIR: '/tmp/lean-agent', TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '2.5', TWIN_AGENT_PROCESS_LIMIT: '10' },
      { TWIN_AGENT_MQTT_REJECT_UNAUTHORIZED: 'false', TWIN_AGENT_OUTBOX_FSYNC: '1' },
      { TWIN_AGENT_TLS_SERVERS: 'example.com:8443,localhost', TWIN_AGENT_LOCATION: '48.85, 2.35' },
      { TWIN_AGENT_MQTT_URL: 'mqtts://broker.example:8883', TWIN_AGENT_MQTT_PASSWORD: 'hunter2' },
      { TWIN_AGENT_STATIC_IP: '192.168.1.20' },
      { TWIN_AGENT_STATIC_IP: 'fe80::1' },
      // Each bad in its own way:
      { TWIN_AGENT_MQTT_URL: 'http://broker.example' },
      { TWIN_AGENT_MQTT_URL: 'not a url' },
      { TWIN_AGENT_PROCESS_LIMIT: '0' },
      { TWIN_AGENT_PROCESS_LIMIT: '2.5' },
      { TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: 'soon' },
      { TWIN_AGENT_OUTBOX_FSYNC: 'yes' },
      { TWIN_AGENT_TLS_SERVERS: 'example.com:99999' },
      { TWIN_AGENT_LOCATION: '91,0' },
      { TWIN_AGENT_LOCATION: 'here,0' },
      { TWIN_AGENT_STATIC_IP: '300.1.1.1' },
      { TWIN_AGENT_OWNER_ID: 'x'.repeat(129) },
      { TWIN_AGENT_MQTT_PASSWORD: '' },
    ];
    for (const environment of environments) {
      it(`agrees with zod on ${JSON.stringify(environment).slice(0, 90)}`, function () {
        const lean = outcome(() => loadAgentConfig({ environment }));
        const zod = outcome(() => zodLoad(environment));
        expect(lean.ok, `lean: ${lean.message ?? 'valid'}; zod: ${zod.message ?? 'valid'}`).to.equal(zod.ok);
        if (lean.ok) expect(lean.value).to.deep.equal(zod.value);
        else {
          // The same field named, from the same variable, with the value as given.
          const field = (message: string) => message.split('\n')[2]!.split(':')[0];
          expect(field(lean.message!)).to.equal(field(zod.message!));
          expect(lean.message).to.not.include('hunter2');
        }
      });
    }

    it('agrees with zod on a file: identity overrides normalised, sensors with their defaults, bad entries named', function () {
      const { mkdtempSync, rmSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
      const directory = mkdtempSync(join(require('node:os').tmpdir(), 'lean-config-'));
      const files = [
        { identity: { manufacturer: ' Raspberry Pi Ltd ', macAddress: 'DC-A6-32-01-02-03' }, sensors: [{ name: 'wind', unit: 'm/s', file: '/sys/x' }, { name: 'soil', unit: '%', module: './soil.js' }] },
        { identity: { macAddress: '00:00:00:00:00:00' } },
        { identity: { manufacturer: 'Cafe\u0301' } },
        { identity: { colour: 'red' } },
        { sensors: [{ name: 'wind', unit: 'm/s' }] },
        { tlsServers: [{ host: 'a.example', port: 443, servername: 'b.example' }] },
        { probeTimeoutMs: 'fast' },
      ];
      files.forEach((content, index) => {
        const file = join(directory, `agent-${index}.json`);
        writeFileSync(file, JSON.stringify(content));
        const lean = outcome(() => loadAgentConfig({ file, environment: {} }));
        const zod = outcome(() => loadConfig({ schema: agentConfigSchema, env: AGENT_CONFIG_ENV, environment: {}, file, secrets: ['mqttPassword'], source: 'agent configuration' }));
        expect(lean.ok, `${JSON.stringify(content)}: lean ${lean.message ?? 'valid'}; zod ${zod.message ?? 'valid'}`).to.equal(zod.ok);
        if (lean.ok) expect(lean.value).to.deep.equal(zod.value);
        else expect(lean.message!.split('\n')[2]!.split(':')[0]).to.equal(zod.message!.split('\n')[2]!.split(':')[0]);
      });
      rmSync(directory, { recursive: true, force: true });
    });
  });
});
