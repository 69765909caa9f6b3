import type { z } from 'zod';
import type { usbDeviceSchema } from '../../../twin-core/src/messages/snapshot';
import type { SystemPaths } from './context';
import { join, listDirectory, readAttribute } from './read';

/** One USB device (root hubs included). */
export type UsbDevice = z.output<typeof usbDeviceSchema>;

/** The sysfs attributes of one USB device directory (null when absent). */
export type UsbAttributes = {
  busnum: string | null;
  devnum: string | null;
  idVendor: string | null;
  idProduct: string | null;
  manufacturer: string | null;
  product: string | null;
  bDeviceClass: string | null;
  speed: string | null;
  version: string | null;
};

/** A device entry (`usb1` root hub, `1-1`, `1-1.3`); interface entries (`1-1:1.0`) are left out. */
export function isUsbDeviceEntry(name: string): boolean {
  return /^(usb\d+|\d+-\d+(\.\d+)*)$/.test(name);
}

/**
 * One USB device from its sysfs attributes; null when it lacks the bus or device number (not a device).
 *
 * @example
 * usbDevice('usb1', { busnum: '1', devnum: '1', idVendor: '1d6b', idProduct: '0002', speed: '480', … })
 */
export function usbDevice(path: string, attributes: UsbAttributes): UsbDevice | null {
  if (attributes.busnum === null || attributes.devnum === null) return null;
  const speed = attributes.speed === null ? null : Number(attributes.speed);
  return {
    path: path.slice(0, 64),
    bus: Number(attributes.busnum),
    device: Number(attributes.devnum),
    vendorId: (attributes.idVendor ?? '').slice(0, 8),
    productId: (attributes.idProduct ?? '').slice(0, 8),
    manufacturer: attributes.manufacturer?.slice(0, 128) ?? null,
    product: attributes.product?.slice(0, 128) ?? null,
    deviceClass: (attributes.bDeviceClass ?? '').slice(0, 8),
    speedMbps: speed !== null && Number.isFinite(speed) && speed >= 0 ? speed : null,
    usbVersion: attributes.version?.slice(0, 16) ?? null,
  };
}

/**
 * USB probe: every device under /sys/bus/usb/devices with its bus, address, IDs, strings, class, speed (Mbit/s:
 * the bus speed) and USB version. Unavailable when the system has no USB bus in sysfs.
 */
export async function readUsbDevices(paths: SystemPaths): Promise<UsbDevice[]> {
  const root = join(paths.sys, 'bus', 'usb', 'devices');
  const entries = (await listDirectory(root)).filter(isUsbDeviceEntry);
  const keys: (keyof UsbAttributes)[] = [
    'busnum',
    'devnum',
    'idVendor',
    'idProduct',
    'manufacturer',
    'product',
    'bDeviceClass',
    'speed',
    'version',
  ];
  const devices = await Promise.all(
    entries.map(async (entry) => {
      const values = await Promise.all(keys.map((key) => readAttribute(join(root, entry, key))));
      return usbDevice(entry, Object.fromEntries(keys.map((key, index) => [key, values[index]!])) as UsbAttributes);
    }),
  );
  return devices
    .filter((device): device is UsbDevice => device !== null)
    .sort((a, b) => a.bus - b.bus || a.device - b.device);
}
