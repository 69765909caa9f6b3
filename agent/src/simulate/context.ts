/** What every part of a virtual device's snapshot is generated from. */
import type { NetworkBehaviour } from '../../../twin-core/src/messages/behaviour';
import type { Episode, Scenario } from './behaviours';
import type { VirtualDevice } from './device';
import type { Rng, SeedKey } from './rng';
import type { HostLoad } from './telemetry';

/** Cumulative interface and ICMP counters of a device since boot (they only grow). */
export type Counters = {
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  icmpIn: number;
  icmpOut: number;
};

/** The owner block every snapshot carries (seed 001 IV.1–2), from the simulation options. */
export type Owner = { ownerId: string | null; location: { latitude: number; longitude: number } | null };

/** Inputs of one snapshot. */
export type SnapshotContext = {
  key: SeedKey;
  device: VirtualDevice;
  episode: Episode | undefined;
  scenario: Scenario;
  atMs: number;
  bootTimeMs: number;
  /** Seconds since the device's previous snapshot: the sar-style activity interval. */
  intervalSeconds: number;
  host: HostLoad;
  network: NetworkBehaviour;
  counters: Counters;
  owner: Owner;
  rng: Rng;
};

/**
 * Rounds to `digits` decimals.
 *
 * @example
 * round(3.14159, 2) // 3.14
 */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Seconds the device has been up at the snapshot.
 *
 * @example
 * uptimeSeconds(context) // 136407
 */
export function uptimeSeconds(context: SnapshotContext): number {
  return Math.max(0, (context.atMs - context.bootTimeMs) / 1000);
}
