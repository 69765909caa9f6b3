import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import type { z } from 'zod';
import type { pciDeviceSchema } from '../../../twin-core/src/messages/snapshot';
import type { SystemPaths } from './context';
import { join, listDirectory, readAttribute } from './read';

/** One PCI function of the snapshot. */
export type PciDevice = z.output<typeof pciDeviceSchema>;

/** `0x14e4` → `14e4`, `0x060400` → `060400` (sysfs writes IDs with a 0x prefix). */
export function stripHexPrefix(value: string | null): string {
  return (value ?? '').trim().replace(/^0x/i, '').toLowerCase();
}

/**
 * PCI probe: every function under /sys/bus/pci/devices (its address `domain:bus:slot.function` names the bus)
 * with vendor, device and class codes and the bound driver (the `driver` link's target). Unavailable when the
 * system has no PCI bus in sysfs (e.g. a Raspberry Pi 3; a Pi 4 has one PCIe bridge with the USB controller).
 */
export async function readPciDevices(paths: SystemPaths): Promise<PciDevice[]> {
  const root = join(paths.sys, 'bus', 'pci', 'devices');
  const addresses = await listDirectory(root);
  return Promise.all(
    addresses.map(async (address) => {
      const [vendor, device, classCode, driver] = await Promise.all([
        readAttribute(join(root, address, 'vendor')),
        readAttribute(join(root, address, 'device')),
        readAttribute(join(root, address, 'class')),
        fs.readlink(join(root, address, 'driver')).then(
          (target) => basename(target),
          () => null,
        ),
      ]);
      return {
        address: address.slice(0, 32),
        vendorId: stripHexPrefix(vendor).slice(0, 8),
        deviceId: stripHexPrefix(device).slice(0, 8),
        classCode: stripHexPrefix(classCode).slice(0, 8),
        driver: driver?.slice(0, 64) ?? null,
      };
    }),
  );
}
