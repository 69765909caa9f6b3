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

export { available, unavailable, type Probe } from './probeResult';
