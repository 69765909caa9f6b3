import type { SequenceSource } from '../device/deviceChannel';
import { SequenceStore } from './sequenceStore';

/**
 * One sequence per device for a process that runs many (the simulator), kept in one persisted lease: device numbers
 * go on from where the lease stood at start, each device counting on its own, so a device's numbers have no holes (a
 * hole is a message lost: the oracle counts it as a sequence gap), and after a restart every device starts above
 * every number any of them used before.
 *
 * @example
 * const sequences = new DeviceSequences(join(dataDir, 'simulator-sequence'))
 * const channel = new DeviceChannel({ deviceId, key, sequence: sequences.of(deviceId) })
 */
export class DeviceSequences {
  private readonly store: SequenceStore;
  private readonly base: number;
  private readonly counts = new Map<string, number>();

  /**
   * @param file where the lease is kept.
   * @param blockSize how many numbers one write leases (default 100,000).
   */
  constructor(file: string, blockSize = 100_000) {
    this.store = new SequenceStore(file, blockSize);
    this.base = this.store.peek();
  }

  /** The sequence of `deviceId`. */
  of(deviceId: string): SequenceSource {
    const key = deviceId.toLowerCase();
    return {
      next: () => {
        const count = this.counts.get(key) ?? 0;
        const value = this.base + count;
        this.store.reserveThrough(value);
        this.counts.set(key, count + 1);
        return value;
      },
    };
  }
}
