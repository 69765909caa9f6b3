// A static document's bytes and hash, and the normalisation of a lenient one, without zod: what the device agent
// imports at run time (issue 17); staticDocument.ts re-exports these.
import { utf8ToBytes } from '@noble/hashes/utils';
import { keccak256 } from '../crypto/cryptoBackend';
import { canonicalJson } from '../encoding/canonicalJson';
import { toHex, type Hex } from '../encoding/hex';
import { BaseError } from '../errors/BaseError';
import { normalizeIdentityInput } from '../identity/canonical';
import type { StaticDocument } from './schema';

/** A static document does not match the schema; the message names each bad field. */
export class InvalidStaticDocumentError extends BaseError {
  override name = 'InvalidStaticDocumentError';
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

/** The text fields `staticDocumentInputSchema` trims, by section (the identity is normalised as an identity). */
export const STATIC_TEXT_FIELDS = {
  hardware: ['architecture', 'revisionCode', 'cpuModel'],
  os: ['type', 'release', 'kernelVersion', 'family', 'hostname'],
} as const;

/**
 * A static document as tools may give it, normalised the way `staticDocumentInputSchema` normalises it before
 * checking: its text trimmed, its identity as {@link normalizeIdentityInput} does. What is not a string, or not
 * known, is left for the canonical check to name.
 *
 * @example
 * normalizeStaticDocumentInput({ ...document, os: { ...document.os, hostname: ' pi ' } }).os.hostname // 'pi'
 */
export function normalizeStaticDocumentInput(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const normalized: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  normalized.identity = normalizeIdentityInput(normalized.identity);
  for (const [section, fields] of Object.entries(STATIC_TEXT_FIELDS)) {
    const value = normalized[section];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const field of fields) if (typeof copy[field] === 'string') copy[field] = (copy[field] as string).trim();
    normalized[section] = copy;
  }
  return normalized;
}
