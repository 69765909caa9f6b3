/** A string without lone surrogates (ES2024 `String.prototype.isWellFormed`, in every Node this project runs on). */
const isWellFormed = (text: string): boolean => (text as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * Member names seen, as JCS writes them: the schemas' names repeat in every message, and a lookup costs less than
 * escaping. Bounded in count and length, so a stranger's names cannot grow it.
 */
const names = new Map<string, string>();
const MAX_NAMES = 4_096;
const MAX_NAME_LENGTH = 64;

function canonicalName(name: string): string {
  let written = names.get(name);
  if (written === undefined) {
    written = canonicalString(name);
    if (name.length > MAX_NAME_LENGTH) return written;
    if (names.size >= MAX_NAMES) names.clear();
    names.set(name, written);
  }
  return written;
}

/** A string as JCS writes it: ECMAScript's `JSON.stringify` of a well-formed string; a lone surrogate is refused. */
function canonicalString(text: string): string {
  if (!isWellFormed(text)) {
    throw new TypeError(`canonical JSON cannot hold a lone surrogate (${JSON.stringify(text.slice(0, 40))})`);
  }
  return JSON.stringify(text);
}

/**
 * Canonical JSON as RFC 8785 (the JSON Canonicalization Scheme, JCS) defines it: object members sorted by their
 * names' UTF-16 code units, no whitespace, numbers as ECMAScript's `Number.prototype.toString` writes them (`-0` as
 * `0`, `1e+21`, `1e-7`, shortest round-trip digits), strings as ECMAScript's `JSON.stringify` writes them (only `"`,
 * `\` and U+0000–U+001F escaped, `\b \t \n \f \r` short, the rest `\u00xx` in lower case; everything else as is, no
 * Unicode normalisation). The result's UTF-8 bytes are the JCS bytes of `value`, so any JCS library gives the same
 * bytes, hash and IPFS CID. Refused, naming what: a lone surrogate in a string or member name (not I-JSON), a
 * non-finite number, a bigint, function or symbol. `undefined` members are dropped and `undefined` array items
 * written `null`, as `JSON.stringify` does (JSON parsed from bytes holds neither).
 *
 * Every signed message is hashed through this function on the oracle's hot path, so it builds one string in one
 * pass (no intermediate arrays of entries).
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null], c: 1e21 }) // '{"a":[true,null],"b":1,"c":1e+21}'
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return canonicalString(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold the number ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let index = 0; index < value.length; index++) {
          if (index > 0) out += ',';
          const item: unknown = value[index];
          out += item === undefined || item === null ? 'null' : canonicalJson(item);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      // The default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 asks.
      const keys = Object.keys(record).sort();
      let out = '{';
      let first = true;
      for (const key of keys) {
        const member = record[key];
        if (member === undefined) continue;
        out += first ? canonicalName(key) : `,${canonicalName(key)}`;
        out += `:${canonicalJson(member)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

/** The canonical JSON of an object with and without one of its members (see {@link canonicalJsonWithout}). */
export type CanonicalPair = { whole: string; without: string };

/**
 * The canonical JSON of an object, and of the same object without the member `name`, in one pass over its members
 * (each serialised once): what a signed message needs, its stored bytes (signature included) and its signed bytes
 * (signature left out). Identical to `canonicalJson(value)` and `canonicalJson({ ...value, [name]: undefined })`.
 *
 * @example
 * const { whole, without } = canonicalJsonWithout(message, 'sig')
 */
export function canonicalJsonWithout(value: Record<string, unknown>, name: string): CanonicalPair {
  const keys = Object.keys(value).sort();
  let whole = '{';
  let without = '{';
  for (const key of keys) {
    const member = value[key];
    if (member === undefined) continue;
    const written = `${canonicalName(key)}:${canonicalJson(member)}`;
    whole += whole.length === 1 ? written : `,${written}`;
    if (key !== name) without += without.length === 1 ? written : `,${written}`;
  }
  return { whole: `${whole}}`, without: `${without}}` };
}
