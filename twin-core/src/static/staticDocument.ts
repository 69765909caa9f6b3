import { parseOrThrow } from '../errors/parseOrThrow';
import { staticDocumentInputSchema, type StaticDocument } from './schema';
import { InvalidStaticDocumentError } from './staticBytes';

export {
  encodeStaticDocument,
  hashStaticDocument,
  InvalidStaticDocumentError,
  normalizeStaticDocumentInput,
  STATIC_TEXT_FIELDS,
} from './staticBytes';

/**
 * Validates a static document as a tool reads it from a file or builds it (text trimmed, any MAC notation), and
 * normalises it to the canonical form, naming every bad field. A received message's document is held to
 * `staticDocumentSchema` instead, which normalises nothing.
 *
 * @example
 * const document = parseStaticDocument(JSON.parse(readFileSync(file, 'utf8')))
 */
export function parseStaticDocument(input: unknown): StaticDocument {
  return parseOrThrow(
    staticDocumentInputSchema,
    input,
    'document',
    (lines) => new InvalidStaticDocumentError('Invalid static document.', { metaMessages: lines }),
  );
}
