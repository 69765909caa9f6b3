import type { z } from 'zod';
import type { BaseError } from './BaseError';

/** Each zod issue as `path: message`, the path dotted (`identity.macAddress`), or `root` for the value itself. */
export function formatIssues(issues: readonly z.core.$ZodIssue[], root: string): string[] {
  return issues.map((issue) => `${issue.path.map(String).join('.') || root}: ${issue.message}`);
}

/**
 * Validates `input` with `schema`, or throws the domain error `createError` builds from the issue lines, each naming
 * its field.
 *
 * @example
 * parseOrThrow(staticDocumentSchema, json, 'document', (lines) => new InvalidStaticDocumentError('Invalid static document.', { metaMessages: lines }))
 */
export function parseOrThrow<schema extends z.ZodType>(
  schema: schema,
  input: unknown,
  root: string,
  createError: (issueLines: string[]) => BaseError,
): z.output<schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw createError(formatIssues(result.error.issues, root));
}
