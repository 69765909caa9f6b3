// The canonical identity's rules and normalisations as plain functions, without zod: the zod schemas
// (identity/schema.ts, static/schema.ts) use them, and so does the device agent, which carries no zod at run time
// (issue 17). One implementation of each rule.

/** No whitespace at either end (JavaScript's `\s` is exactly what `String.prototype.trim` removes). */
export const TRIMMED_PATTERN = /^\S(?:[\s\S]*\S)?$/;

/** A MAC address in the canonical lower-case colon form. */
export const MAC_ADDRESS_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Whether `value` is in Unicode normalisation form NFC. */
export function isNfc(value: string): boolean {
  return value === value.normalize('NFC');
}

/** Whether `value` is the all-zeros MAC address (no real interface has it). */
export function isAllZeroMac(value: string): boolean {
  return value === '00:00:00:00:00:00';
}

/** Any usual MAC notation (`DC-A6-32-01-02-03`, `dca632010203`, untrimmed) in the canonical form; others unchanged. */
export function normalizeMacAddress(value: string): string {
  const trimmed = value.trim();
  if (!/^[0-9a-fA-F]{2}([:-]?)[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){4}$/.test(trimmed)) return value;
  return trimmed.replace(/[:-]/g, '').toLowerCase().match(/../g)!.join(':');
}

/** Text trimmed and NFC-normalised: the same device always yields the same bytes. */
export function normalizeText(value: string): string {
  return value.normalize('NFC').trim();
}

/** The identity's text fields (each normalised by {@link normalizeText} in the lenient input form). */
export const IDENTITY_TEXT_FIELDS = [
  'serialNumber',
  'manufacturer',
  'hardwareModel',
  'hardwareRevision',
  'osName',
  'osVersion',
] as const;

/**
 * An identity as tools and configs may give it, normalised the way `deviceIdentityInputSchema` normalises it
 * before checking: the MAC address to the canonical form, text trimmed and NFC. Fields that are not strings, and
 * fields it does not know, are left as they are, for the canonical check to name.
 *
 * @example
 * normalizeIdentityInput({ macAddress: 'DC-A6-32-01-02-03', serialNumber: ' 1 ' }) // { macAddress: 'dc:a6:…', serialNumber: '1' }
 */
export function normalizeIdentityInput(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const normalized: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  if (typeof normalized.macAddress === 'string') normalized.macAddress = normalizeMacAddress(normalized.macAddress);
  for (const field of IDENTITY_TEXT_FIELDS) {
    const value = normalized[field];
    if (typeof value === 'string') normalized[field] = normalizeText(value);
  }
  return normalized;
}
