import type { Command } from '../../../twin-core/src/messages/command';
import { checkCommand, formatIssue } from '../validate/validators';

/** What the agent does for each command, one handler per kind. */
export type CommandHandlers = {
  [kind in Command['command']]: (command: Extract<Command, { command: kind }>) => void | Promise<void>;
};

/** Why a command was refused, for the rejection counters. */
export type CommandRejection = 'not-json' | 'invalid-command';

/**
 * Parses a message from the command topic and runs the handler of its kind. A bad command is refused with its
 * reason (counted and logged by the caller); it never throws.
 *
 * @example
 * const result = await handleCommand(payload, handlers)
 * if (!result.ok) rejections[result.reason]++
 */
export async function handleCommand(
  payload: Buffer | string,
  handlers: CommandHandlers,
): Promise<{ ok: true; command: Command } | { ok: false; reason: CommandRejection; detail: string }> {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch (error) {
    return { ok: false, reason: 'not-json', detail: (error as Error).message.slice(0, 200) };
  }
  const result = checkCommand(json);
  if (!result.ok) return { ok: false, reason: 'invalid-command', detail: formatIssue(result.issue, 'command') };
  const command = result.value;
  await (handlers[command.command] as (command: Command) => void | Promise<void>)(command);
  return { ok: true, command };
}
