import type { z } from 'zod';
import { parseDeviceId } from '../../../twin-core/src/identity/deviceId';
import { ApiError } from '../errors';

/** One bad field of a 400 `invalid-input`: where (`body`, `params`), which field (dotted), what is wrong. */
export type InputIssue = { in: string; field: string; message: string };

/**
 * A 400 `invalid-input` ApiError naming `field` (dotted, e.g. `args.price`), with the issue in `details`.
 *
 * @example
 * throw invalidInput('deviceId', 'is required by the list action')
 */
export function invalidInput(field: string, message: string, where = 'body'): ApiError {
  return invalidIssues([{ in: where, field, message }]);
}

/**
 * Validates `input` with `schema`, or throws a 400 `invalid-input` ApiError naming each bad field (dotted, e.g.
 * `request.gas`, prefixed with `prefix` when given), the issues in `details`.
 *
 * @example
 * const args = parseInput(listArgsSchema, body.args, { prefix: 'args' })
 */
export function parseInput<schema extends z.ZodType>(
  schema: schema,
  input: unknown,
  options: { prefix?: string; where?: string } = {},
): z.output<schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw invalidIssues(
    result.error.issues.map((issue) => ({
      in: options.where ?? 'body',
      field: [options.prefix, ...issue.path.map(String)].filter((part) => part !== undefined).join('.'),
      message: issue.message,
    })),
  );
}

/**
 * Reads a DeviceID (0x + 64 hex digits or a decimal uint256), or throws a 400 `invalid-input` naming `field`.
 *
 * @example
 * const deviceId = parseDeviceIdInput(body.deviceId, 'deviceId')
 */
export function parseDeviceIdInput(text: string, field: string, where = 'body'): bigint {
  try {
    return parseDeviceId(text);
  } catch {
    throw invalidInput(field, 'must be a DeviceID: 0x + 64 hex digits or a decimal uint256', where);
  }
}

function invalidIssues(issues: InputIssue[]): ApiError {
  const summary = issues.map((issue) => `${issue.field || issue.in}: ${issue.message}`).join('; ');
  return new ApiError(`Invalid input: ${summary}`, { status: 400, code: 'invalid-input', details: issues });
}
