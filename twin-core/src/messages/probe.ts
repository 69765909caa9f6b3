import { z } from 'zod';

/**
 * What one probe of a device returned: its value, or why the device cannot provide it. A field a device cannot
 * provide is reported unavailable with the reason, never invented.
 *
 * @example
 * const usb = probeSchema(z.array(usbDeviceSchema))
 * // { available: true, value: [...] } | { available: false, reason: 'no /sys/bus/usb on this system' }
 */
export function probeSchema<value extends z.ZodType>(value: value) {
  return z.discriminatedUnion('available', [
    z.strictObject({ available: z.literal(true), value }),
    z.strictObject({ available: z.literal(false), reason: z.string().min(1).max(500) }),
  ]);
}

/** A probe's result, as {@link probeSchema} describes it. */
export type Probe<value> = { available: true; value: value } | { available: false; reason: string };

/** An available probe result. */
export function available<value>(value: value): Probe<value> {
  return { available: true, value };
}

/** An unavailable probe result with its reason. */
export function unavailable(reason: string): Probe<never> {
  return { available: false, reason: reason.slice(0, 500) };
}
