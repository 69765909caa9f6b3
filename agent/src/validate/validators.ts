import { isAllZeroMac, isNfc, IDENTITY_TEXT_FIELDS } from '../../../twin-core/src/identity/canonical';
import type { ActuatorAction, Capabilities, SignedCommand } from '../../../twin-core/src/messages/command';
import {
  checkCommandArguments,
  namesAnInterval,
  resendRangeIssue,
  SET_INTERVALS_MESSAGE,
  type ActuatorType,
  type BuiltinCommand,
  type CommandArgumentChecks,
} from '../../../twin-core/src/messages/commandRules';
import type { TwinRecordBody, TwinRecordMessage } from '../../../twin-core/src/messages/oracleMessage';
import type { SnapshotBody } from '../../../twin-core/src/messages/snapshot';
import type { TelemetryBody } from '../../../twin-core/src/messages/telemetry';
import type { StaticDocument } from '../../../twin-core/src/static/schema';
import { InvalidStaticDocumentError, normalizeStaticDocumentInput } from '../../../twin-core/src/static/staticBytes';
import * as generated from './generated/messages';

// The device's validators (issue 17): generated at build time from the zod schemas (agent/build/
// generateValidators.ts), so the agent runs without zod. Each answers the first issue as `path: message`. What
// JSON Schema cannot say is checked here with the same functions the zod schemas refine with.

/** One issue: the dotted path from the value's root (`rows.3.name`, empty for the value itself) and what is wrong. */
export type ValidationIssue = { path: string; message: string };

/** A value that passed, or its first issue. */
export type Checked<value> = { ok: true; value: value } | { ok: false; issue: ValidationIssue };

/** An error as ajv's generated code reports it. */
export type AjvError = {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
};
type GeneratedValidator = ((data: unknown) => boolean) & { errors?: AjvError[] | null };

/**
 * ajv's first error as a {@link ValidationIssue}: `/rows/3/name` → `rows.3.name`, the missing or unknown key named.
 * When a union matched none of its forms (its error comes last), the union is named, as zod names it; a record's
 * key that is refused is named by its path (`actuators.Fan`).
 */
export function issueOf(errors: readonly AjvError[] | null | undefined): ValidationIssue {
  if (!errors || errors.length === 0) return { path: '', message: 'invalid' };
  const last = errors[errors.length - 1]!;
  let error = errors[0]!;
  if (last.keyword === 'anyOf' || last.keyword === 'oneOf') {
    // A nullable value (`x | null`) is not a choice: its issue is the other form's. A real union is named as one.
    const others = errors.filter(
      (item) => item !== last && !(item.keyword === 'type' && item.params.type === 'null' && item.instancePath === last.instancePath),
    );
    const nullable = others.length < errors.length - 1;
    if (!nullable) return { path: pathOf(last), message: 'matches none of the forms it may take' };
    error = others[0] ?? last;
  }
  if (error.keyword === 'discriminator')
    return {
      path: joinPath(pathOf(error), String(error.params.tag)),
      message: error.params.error === 'mapping' ? 'is not one of the known kinds' : 'must be a string naming the kind',
    };
  // A record's key that its key schema refuses: named as the key's path, as zod names it.
  if (last.keyword === 'propertyNames')
    return { path: joinPath(pathOf(last), String(last.params.propertyName)), message: `is not a valid key: ${error.message ?? error.keyword}` };
  if (error.keyword === 'required') return { path: joinPath(pathOf(error), String(error.params.missingProperty)), message: 'is required' };
  if (error.keyword === 'additionalProperties')
    return { path: pathOf(error), message: `has an unknown field "${String(error.params.additionalProperty)}"` };
  return { path: pathOf(error), message: error.message ?? error.keyword };
}

function pathOf(error: AjvError): string {
  return error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function joinPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** A refinement JSON Schema cannot say: the issue it finds in `value`, or undefined. */
type Refinement = (value: never) => ValidationIssue | undefined;

function checker<value>(validate: GeneratedValidator, refine?: Refinement): (input: unknown) => Checked<value> {
  return (input) => {
    if (!validate(input)) return { ok: false, issue: issueOf(validate.errors) };
    const issue = refine?.(input as never);
    return issue === undefined ? { ok: true, value: input as value } : { ok: false, issue };
  };
}

/**
 * The identity refinements (identity/schema.ts): text in Unicode NFC, a MAC address that is not all zeros. For a
 * partial identity (the config's overrides), only the fields present.
 */
export function identityIssue(identity: Record<string, unknown>, prefix: string): ValidationIssue | undefined {
  for (const field of IDENTITY_TEXT_FIELDS) {
    const value = identity[field];
    if (typeof value === 'string' && !isNfc(value))
      return { path: `${prefix}${field}`, message: 'must be in Unicode normalisation form NFC' };
  }
  if (typeof identity.macAddress === 'string' && isAllZeroMac(identity.macAddress))
    return { path: `${prefix}macAddress`, message: 'must not be all zeros' };
  return undefined;
}

/** Checks a whole snapshot body (what the agent signs), its sections included. */
export const checkSnapshotBody = checker<SnapshotBody>(generated.snapshotBody as GeneratedValidator);
/** Checks a telemetry body. */
export const checkTelemetryBody = checker<TelemetryBody>(generated.telemetryBody as GeneratedValidator);
/** Checks a command from the command topic (`twins/{deviceId}/command`). */
export const checkCommand = checker<SignedCommand>(generated.command as GeneratedValidator);
/** Checks the oracle's signed twin record from `twins/{deviceId}/twin` (its shape: the caller verifies the signer). */
export const checkTwinRecordMessage = checker<TwinRecordMessage>(generated.twinRecordMessage as GeneratedValidator);
/** Checks a twin record's body (as the device keeps the last one it accepted). */
export const checkTwinRecordBody = checker<TwinRecordBody>(generated.twinRecordBody as GeneratedValidator);

/** The generated check of a built-in command's arguments or an actuator type's action (generateValidators.ts names). */
function argumentsValidator(kind: 'builtin' | 'actuator', name: string): GeneratedValidator {
  const validate = (generated as unknown as Record<string, GeneratedValidator | undefined>)[`${kind}_${name.replace(/-/g, '_')}`];
  if (validate === undefined) throw new Error(`no generated validator for the ${kind} ${name}`);
  return validate;
}

/** `set-intervals` names at least one interval (command.ts refines its zod schema with the same function). */
const setIntervalsRefinement = ((value: { snapshotSeconds?: number; telemetrySeconds?: number }) =>
  namesAnInterval(value) ? undefined : { path: '', message: SET_INTERVALS_MESSAGE }) as Refinement;

/** `resend` names a range in order and at most MAX_RESEND_RANGE wide (command.ts refines with the same function). */
const resendRefinement = ((value: { fromSeq: number; toSeq: number }) => {
  const message = resendRangeIssue(value);
  return message === undefined ? undefined : { path: 'toSeq', message };
}) as Refinement;

/** The refinement of each built-in command's arguments beyond their generated check. */
const BUILTIN_REFINEMENTS: Partial<Record<BuiltinCommand, Refinement>> = {
  'set-intervals': setIntervalsRefinement,
  resend: resendRefinement,
};

/**
 * Checks a built-in command's arguments (`set-intervals` → `{ snapshotSeconds?, telemetrySeconds? }`, at least one).
 *
 * @example
 * checkBuiltinArguments('set-intervals', { snapshotSeconds: 60 }).ok // true
 */
export function checkBuiltinArguments(command: BuiltinCommand, args: unknown): Checked<unknown> {
  return checker<unknown>(argumentsValidator('builtin', command), BUILTIN_REFINEMENTS[command])(args);
}

/**
 * Checks an action on an actuator of `type` (`{ action: 'turn_on', brightness: 75 }` for a light).
 *
 * @example
 * checkActuatorAction('fan', { action: 'turn_on', speed: 60 }).ok // true
 */
export function checkActuatorAction(type: ActuatorType, args: unknown): Checked<ActuatorAction> {
  return checker<ActuatorAction>(argumentsValidator('actuator', type))(args);
}

const issuesOf = (checked: Checked<unknown>) => (checked.ok ? [] : [formatIssue(checked.issue, 'args')]);

/** The argument checks of commandRules.ts's checkCommandArguments, with the generated validators. */
const DEVICE_ARGUMENT_CHECKS: CommandArgumentChecks = {
  builtin: (command, args) => issuesOf(checkBuiltinArguments(command, args)),
  actuator: (type, args) => issuesOf(checkActuatorAction(type, args)),
};

/**
 * Checks a command's arguments against what the device declares, as twin-core's zod `commandArgumentIssues` does
 * (the same logic, commandRules.ts): the problem named by its field (`args.brightness: …`), empty when valid.
 *
 * @example
 * deviceCommandArgumentIssues('light', { action: 'turn_on', brightness: 75 }, capabilities) // []
 */
export function deviceCommandArgumentIssues(command: string, args: unknown, capabilities: Capabilities | undefined): string[] {
  return checkCommandArguments(command, args, capabilities, DEVICE_ARGUMENT_CHECKS);
}

/** Checks a static document in canonical form, refinements included. */
export const checkStaticDocument = checker<StaticDocument>(
  generated.staticDocument as GeneratedValidator,
  ((document: StaticDocument) => identityIssue(document.identity, 'identity.')) as Refinement,
);

/** The snapshot's probe sections, by path (`memory`, `dns.config`): what {@link checkSection} takes. */
export const SNAPSHOT_SECTIONS: readonly string[] = generated.SECTIONS;

/**
 * Checks the value of one probe section of a snapshot (`memory`, `dns.config`…) against its schema.
 *
 * @example
 * const checked = checkSection('memory', await readMemory(paths))
 * if (!checked.ok) return unavailable(`memory: ${checked.issue.path}: ${checked.issue.message}`)
 */
export function checkSection(section: string, value: unknown): Checked<unknown> {
  const validate = (generated as unknown as Record<string, GeneratedValidator | undefined>)[
    `section_${section.replace(/\./g, '_')}`
  ];
  if (validate === undefined) throw new Error(`no generated validator for snapshot section ${section}`);
  return checker<unknown>(validate)(value);
}

/** An issue as one line: `root.path: message`, or `root: message` for the value itself. */
export function formatIssue(issue: ValidationIssue, root: string): string {
  return `${issue.path === '' ? root : `${root}.${issue.path}`}: ${issue.message}`;
}

/**
 * A static document as the agent builds or reads it (text untrimmed, any MAC notation), normalised and checked as
 * twin-core's `parseStaticDocument` does it with zod: the same normalisation (static/staticBytes.ts), the
 * generated check of the canonical form. Throws an InvalidStaticDocumentError naming the field.
 *
 * @example
 * const document = parseDeviceStaticDocument(JSON.parse(readFileSync(file, 'utf8')))
 */
export function parseDeviceStaticDocument(input: unknown): StaticDocument {
  const checked = checkStaticDocument(normalizeStaticDocumentInput(input));
  if (checked.ok) return checked.value;
  throw new InvalidStaticDocumentError('Invalid static document.', { metaMessages: [formatIssue(checked.issue, 'document')] });
}
