/**
 * The ICMP counters and the ARP cache of a virtual device's snapshot; a connection flood leaves half-resolved ARP
 * entries.
 */
import type { z } from 'zod';
import type { arpEntrySchema, icmpSchema } from '../../../twin-core/src/messages/snapshot';
import type { SnapshotContext } from './context';
import { createRng, PURPOSE } from './rng';
import { GATEWAY } from './snapshotNetwork';

/** Splits an integer total into integer parts by shares (the last part takes the rounding). */
function split(total: number, shares: Record<string, number>): Record<string, number> {
  const result: Record<string, number> = {};
  const keys = Object.keys(shares);
  let left = total;
  keys.forEach((key, index) => {
    const part = index === keys.length - 1 ? left : Math.min(left, Math.floor(total * shares[key]!));
    result[key] = part;
    left -= part;
  });
  return result;
}

/**
 * The snapshot's `icmp` section: counters since boot, by type. A protocol-mix episode of ICMP shows as echo
 * requests and replies.
 *
 * @example
 * buildIcmp(context).inByType // { '0': 1200, '3': 240, '8': 1185, '11': 12 }
 */
export function buildIcmp(context: SnapshotContext): z.output<typeof icmpSchema> {
  const inMessages = Math.floor(context.counters.icmpIn);
  const outMessages = Math.floor(context.counters.icmpOut);
  return {
    inMessages,
    inErrors: Math.floor(inMessages * 0.002),
    outMessages,
    outErrors: 0,
    inByType: split(inMessages, { '0': 0.46, '3': 0.08, '11': 0.01, '8': 0.45 }),
    outByType: split(outMessages, { '0': 0.45, '3': 0.09, '8': 0.46 }),
  };
}

/**
 * The snapshot's ARP cache: the gateway (static on some devices) and a few neighbours; a connection flood adds
 * half-resolved entries.
 *
 * @example
 * buildArp(context)[0] // { ip: '10.0.0.1', mac: '02:…', device: 'eth0', flags: '0x2', kind: 'dynamic' }
 */
export function buildArp(context: SnapshotContext): Array<z.output<typeof arpEntrySchema>> {
  const { device, episode, rng, key } = context;
  const layout = createRng(key, device.index, PURPOSE.identity, 7);
  const staticGateway = layout.chance(0.3);
  const device_ = device.profile.interfaceName;
  const entries: Array<z.output<typeof arpEntrySchema>> = [
    {
      ip: GATEWAY,
      mac: '02:00:5e:00:00:01',
      device: device_,
      flags: staticGateway ? '0x6' : '0x2',
      kind: staticGateway ? 'static' : 'dynamic',
    },
  ];
  const neighbours = layout.int(1, 5);
  for (let index = 0; index < neighbours; index++) {
    const host = layout.int(16, 4_000);
    const mac = [
      '02',
      '5e',
      ...[layout.int(0, 255), layout.int(0, 255), layout.int(0, 255), layout.int(0, 255)].map((octet) =>
        octet.toString(16).padStart(2, '0'),
      ),
    ].join(':');
    if (rng.chance(0.85))
      entries.push({ ip: `10.0.${host >>> 8}.${host & 0xff}`, mac, device: device_, flags: '0x2', kind: 'dynamic' });
  }
  if (episode?.behaviour === 'connection-flood') {
    for (let index = rng.int(3, 8); index > 0; index--) {
      entries.push({
        ip: `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
        mac: '00:00:00:00:00:00',
        device: device_,
        flags: '0x0',
        kind: 'incomplete',
      });
    }
  }
  return entries;
}
