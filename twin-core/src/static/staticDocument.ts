import { utf8ToBytes } from '@noble/hashes/utils';
import { keccak256 } from '../crypto/cryptoBackend';
import { canonicalJson } from '../encoding/canonicalJson';
import { toHex, type Hex } from '../encoding/hex';
import { BaseError } from '../errors/BaseError';
import { parseOrThrow } from '../errors/parseOrThrow';
import { staticDocumentInputSchema, type StaticDocument } from './schema';

/** A static document does not match the schema; the message names each bad field. */
export class InvalidStaticDocumentError extends BaseError {
  override name = 'InvalidStaticDocumentError';
}

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

/** The exact bytes stored on IPFS for a static document: its canonical JSON in UTF-8. */
export function encodeStaticDocument(document: StaticDocument): Uint8Array {
  return utf8ToBytes(canonicalJson(document));
}

/**
 * The `staticHash` recorded at mint: keccak256 of the document's canonical JSON bytes.
 *
 * @example
 * const staticHash = hashStaticDocument(parseStaticDocument(json))
 */
export function hashStaticDocument(document: StaticDocument): Hex {
  return toHex(keccak256(encodeStaticDocument(document)));
}
