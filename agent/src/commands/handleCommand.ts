import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { ActuatorAction, Capabilities, CommandReplyBody, SignedCommand } from '../../../twin-core/src/messages/command';
import {
  BUILTIN_COMMANDS,
  MAX_COMMAND_BYTES,
  MAX_COMMAND_TTL_SECONDS,
  type BuiltinCommand,
} from '../../../twin-core/src/messages/commandRules';
import { hashCommand, recoverCommandSigner } from '../../../twin-core/src/signing/commandSignature';
import type { DesiredState } from '../../../twin-core/src/messages/stateDocument';
import type { OwnerSource } from './ownerSource';
import type { ReplaySet } from './replaySet';
import { checkCommand, deviceCommandArgumentIssues, formatIssue } from '../validate/validators';

/** What the device does for each built-in command; each returns the result it reports. */
export type CommandHandlers = {
  'collect-snapshot': () => Promise<Record<string, unknown>> | Record<string, unknown>;
  'publish-static': () => Promise<Record<string, unknown>> | Record<string, unknown>;
  'set-intervals': (args: {
    snapshotSeconds?: number | undefined;
    telemetrySeconds?: number | undefined;
  }) => Promise<Record<string, unknown>> | Record<string, unknown>;
  ping: () => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Applies a desired state (intervals, actuators) and answers what the device now reports. */
  'apply-state': (args: { desired: DesiredState; version: number }) => Promise<Record<string, unknown>>;
  /** Publishes again the messages of a range of sequence numbers the device still holds (`resend`). */
  resend: (args: { fromSeq: number; toSeq: number }) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Drives an actuator; resolves with its state read back from the driver. */
  actuate: (name: string, action: ActuatorAction) => Promise<Record<string, unknown>>;
};

/** Why a command was refused, for the rejection counters. */
export type CommandRejection =
  | 'too-large'
  | 'not-json'
  | 'invalid-command'
  | 'retained'
  | 'wrong-device'
  | 'owner-unknown'
  | 'bad-signature'
  | 'not-owner'
  | 'expired'
  | 'expiry-too-far'
  | 'replayed'
  | 'replay-set-full'
  | 'not-supported';

/** Parameters of {@link handleCommand}. */
export type HandleCommandParameters = {
  deviceId: Hex;
  owners: OwnerSource;
  seen: ReplaySet;
  handlers: CommandHandlers;
  capabilities: () => Capabilities;
  /** Sends one of the device's answers (signed by the caller with the device key). */
  reply: (body: CommandReplyBody) => void;
  /** Whether the broker delivered it as a retained message (never obeyed). */
  retained: boolean;
  /** Wall clock, ms. */
  now?: () => number;
  /** How far the device's clock may be behind the signer's, seconds (default 60). */
  clockSkewSeconds?: number;
};

/** What {@link handleCommand} did. */
export type HandleCommandResult =
  | { ok: true; command: SignedCommand; commandId: Hex; reply: CommandReplyBody }
  | { ok: false; reason: CommandRejection; detail: string; commandId?: Hex };

/**
 * Judges a message from the command topic and obeys it only when it is a command for this device, signed (EIP-712)
 * by the twin's current owner, unexpired, not valid for more than an hour, never seen before (nonce, persisted) and
 * not retained. An obeyed command is acknowledged (`delivered`) and answered (`succeeded` with the result, or
 * `failed` with the error); a command the owner signed but the device refuses (expired, unsupported) is answered
 * `failed`; anything else (a stranger's, a replay) is only counted, so a flood costs the device no signatures.
 * Never throws.
 *
 * @example
 * const result = await handleCommand(payload, { deviceId, owners, seen, handlers, capabilities, reply, retained })
 * if (!result.ok) rejections[result.reason]++
 */
export async function handleCommand(
  payload: Buffer | string,
  parameters: HandleCommandParameters,
): Promise<HandleCommandResult> {
  const nowMs = (parameters.now ?? Date.now)();
  const nowSeconds = Math.floor(nowMs / 1000);
  const skew = parameters.clockSkewSeconds ?? 60;
  if (Buffer.byteLength(payload) > MAX_COMMAND_BYTES)
    return { ok: false, reason: 'too-large', detail: `${Buffer.byteLength(payload)} bytes > ${MAX_COMMAND_BYTES}` };
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (error) {
    return { ok: false, reason: 'not-json', detail: (error as Error).message.slice(0, 200) };
  }
  const checked = checkCommand(json);
  if (!checked.ok) return { ok: false, reason: 'invalid-command', detail: formatIssue(checked.issue, 'command') };
  const command = checked.value;
  if (parameters.retained) return { ok: false, reason: 'retained', detail: 'a retained command never runs' };
  if (command.deviceId !== parameters.deviceId)
    return { ok: false, reason: 'wrong-device', detail: `for ${command.deviceId}` };
  const known = await parameters.owners.current();
  if (known === undefined)
    return { ok: false, reason: 'owner-unknown', detail: 'no twin record from a pinned oracle yet, and no chain' };
  const domain = { chainId: known.chainId, registry: known.registry };
  const commandId = hashCommand(command, domain);
  const signer = recoverCommandSigner(command, domain);
  if (signer === undefined) return { ok: false, reason: 'bad-signature', detail: 'sig is not a canonical signature' };
  if (signer.toLowerCase() !== known.owner.toLowerCase())
    return { ok: false, reason: 'not-owner', detail: `signed by ${signer}, the owner is ${known.owner}`, commandId };
  // From here on the owner signed it: a refusal is answered, so the owner learns why.
  const refuse = (reason: CommandRejection, detail: string, answer = true): HandleCommandResult => {
    if (answer) parameters.reply({ commandId, status: 'failed', error: { code: reason, message: detail } });
    return { ok: false, reason, detail, commandId };
  };
  if (command.expiry + skew < nowSeconds) return refuse('expired', `expired at ${command.expiry}, now ${nowSeconds}`);
  if (command.expiry > nowSeconds + MAX_COMMAND_TTL_SECONDS + skew)
    return refuse('expiry-too-far', `valid beyond ${MAX_COMMAND_TTL_SECONDS} s`);
  const verdict = parameters.seen.admit(command.nonce, command.expiry + skew, nowSeconds);
  if (verdict === 'replayed') return refuse('replayed', `nonce ${command.nonce} was already used`, false);
  if (verdict === 'full') return refuse('replay-set-full', 'too many unexpired commands: try again later');
  const issues = deviceCommandArgumentIssues(command.command, command.args, parameters.capabilities());
  if (issues.length > 0) return refuse('not-supported', issues.join('; '));

  parameters.reply({ commandId, status: 'delivered' });
  let reply: CommandReplyBody;
  try {
    const { handlers } = parameters;
    const name = command.command;
    const result = (BUILTIN_COMMANDS as readonly string[]).includes(name)
      ? await (handlers[name as BuiltinCommand] as (args: unknown) => unknown)(command.args)
      : await handlers.actuate(name, command.args as ActuatorAction);
    reply = { commandId, status: 'succeeded', result: (result ?? {}) as Record<string, never> };
  } catch (error) {
    reply = {
      commandId,
      status: 'failed',
      error: { code: 'execution-failed', message: (error as Error).message.slice(0, 500) },
    };
  }
  parameters.reply(reply);
  return { ok: true, command, commandId, reply };
}
