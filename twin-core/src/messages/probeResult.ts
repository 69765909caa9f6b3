// A probe's result and its two constructors, without zod: what the device agent imports at run time (issue 17);
// probe.ts holds the schema and re-exports these.

/** A probe's result, as `probeSchema` (probe.ts) describes it. */
export type Probe<value> = { available: true; value: value } | { available: false; reason: string };

/** An available probe result. */
export function available<value>(value: value): Probe<value> {
  return { available: true, value };
}

/** An unavailable probe result with its reason. */
export function unavailable(reason: string): Probe<never> {
  return { available: false, reason: reason.slice(0, 500) };
}
