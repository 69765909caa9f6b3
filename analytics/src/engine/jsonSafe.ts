/**
 * JSON that keeps every number: `JSON.stringify` writes NaN and ±Infinity as `null`, and PostgreSQL's `jsonb` holds
 * none of them, so {@link toJsonSafe} writes each as `{ "$number": "NaN" | "Infinity" | "-Infinity" }` and
 * {@link fromJsonSafe} reads them back (an object of that one member only).
 */

const TAG = '$number';
const NON_FINITE: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

/**
 * `value` as JSON-safe data (a deep copy): non-finite numbers tagged.
 *
 * @example
 * JSON.stringify(toJsonSafe({ z: NaN })) // '{"z":{"$number":"NaN"}}'
 */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? value : { [TAG]: String(value) };
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toJsonSafe(item)));
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) if (item !== undefined) copy[name] = toJsonSafe(item);
    return copy;
  }
  return value;
}

/**
 * The data {@link toJsonSafe} made, non-finite numbers restored (a deep copy).
 *
 * @example
 * fromJsonSafe({ z: { $number: 'NaN' } }) // { z: NaN }
 */
export function fromJsonSafe(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJsonSafe);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === TAG && typeof entries[0]![1] === 'string') {
      const number = NON_FINITE[entries[0]![1]];
      if (number !== undefined) return number;
    }
    return Object.fromEntries(entries.map(([name, item]) => [name, fromJsonSafe(item)]));
  }
  return value;
}
