/**
 * Scenarios and the episode schedule: which abnormal behaviour (seed 000) a virtual device exhibits at a given
 * instant. The schedule is a pure function of (seed, device, time): nothing is stored per device, so labels never
 * depend on how the caller steps the clock.
 *
 * Time is cut into slots of `periodSeconds` (each device's slots shifted by its own phase). A device that takes
 * part has exactly one episode per slot, `minSeconds`–`maxSeconds` long, at a seeded offset inside the slot.
 */
import { BEHAVIOURS, type Behaviour, type GroundTruth } from '../../../twin-core/src/messages/behaviour';
import { createRng, hashFraction, PURPOSE, type Rng, type SeedKey } from './rng';

/** The seven abnormal behaviours of seed 000. */
export type AbnormalBehaviour = Exclude<Behaviour, 'normal'>;

/** The abnormal behaviours, in {@link BEHAVIOURS} order. */
export const ABNORMAL_BEHAVIOURS = BEHAVIOURS.filter((behaviour) => behaviour !== 'normal') as AbnormalBehaviour[];

/**
 * What a simulation runs: `normal` (baseline only), one behaviour's name (every device has episodes of it), or
 * `mixed` (most devices normal, a seeded share of them with episodes of random behaviours).
 */
export type Scenario = 'normal' | 'mixed' | AbnormalBehaviour;

/** Every scenario name. */
export const SCENARIOS: readonly Scenario[] = ['normal', 'mixed', ...ABNORMAL_BEHAVIOURS];

/**
 * Whether `name` is a scenario.
 *
 * @example
 * isScenario('beaconing') // true
 * isScenario('port-scan') // false
 */
export function isScenario(name: string): name is Scenario {
  return (SCENARIOS as readonly string[]).includes(name);
}

/** How episodes are laid out in time, and (for `mixed`) how many devices have them. */
export type EpisodeConfig = {
  /** Slot length: one episode per slot per participating device. */
  periodSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  /** `mixed` only: share of devices that have episodes (rounded to a count, at least one when above 0). */
  deviceFraction: number;
  /**
   * No episode starts in the simulation's first this many seconds: the devices behave while a detector learns
   * their baselines (`npm start` sets the security service's warm-up). One that would start earlier is skipped.
   */
  notBeforeSeconds: number;
};

/** Episodes of 30–120 s, one every 5 minutes, from the start; 10 % of devices take part in `mixed`. */
export const DEFAULT_EPISODE_CONFIG: EpisodeConfig = {
  periodSeconds: 300,
  minSeconds: 30,
  maxSeconds: 120,
  deviceFraction: 0.1,
  notBeforeSeconds: 0,
};

/**
 * Parameters of one episode, drawn once per episode so its signature is steady while it lasts (a beacon keeps
 * its period, a flood its listening port).
 */
export type EpisodeParams = {
  /** traffic-spike: packet and byte rate multiplier, 5–20. */
  spikeFactor: number;
  /** protocol-mix: which protocol takes over, and its share. */
  protocol: 'icmp' | 'udp';
  protocolShare: number;
  /** failed-connections: failed attempts per second, 2–15. */
  failedPerSec: number;
  /** high-entropy-payload: entropy of payload sizes (bits, near the maximum) and the odd mean payload. */
  entropyBits: number;
  oddPayloadBytes: number;
  /** timing-anomaly: coefficient of variation of inter-arrival gaps, 3–8, and the jitter multiplier. */
  timingCv: number;
  jitterFactor: number;
  /** connection-flood: new connections per second and established connections. */
  floodNewPerSec: number;
  floodEstablished: number;
  /** beaconing: fixed period (ms), constant payload (bytes) and the remote it calls. */
  beaconPeriodMs: number;
  beaconPayloadBytes: number;
  /** The unexpected process's port: flood listens on it; beaconing calls out to it and listens on UDP. */
  rogueAddress: string;
  roguePort: number;
  roguePid: number;
};

/** An episode: the behaviour, when it runs, and its parameters. */
export type Episode = { behaviour: AbnormalBehaviour; startMs: number; endMs: number; params: EpisodeParams };

/**
 * log2(64) = 6: the most a device's payload-size entropy can be, as the agent measures it (per destination, over its
 * last 64 payload sizes, all different).
 */
export const MAX_PAYLOAD_ENTROPY_BITS = Math.log2(64);

function drawParams(rng: Rng): EpisodeParams {
  return {
    spikeFactor: rng.uniform(5, 20),
    protocol: rng.chance(0.5) ? 'icmp' : 'udp',
    protocolShare: rng.uniform(0.5, 0.7),
    failedPerSec: rng.uniform(2, 15),
    entropyBits: rng.uniform(5.4, MAX_PAYLOAD_ENTROPY_BITS - 0.08),
    oddPayloadBytes: rng.uniform(601, 1187),
    timingCv: rng.uniform(3, 8),
    jitterFactor: rng.uniform(5, 15),
    floodNewPerSec: rng.uniform(40, 300),
    floodEstablished: rng.int(300, 2000),
    beaconPeriodMs: rng.pick([500, 1000, 2000, 3000, 5000]),
    beaconPayloadBytes: rng.int(64, 160),
    rogueAddress: `192.0.2.${rng.int(2, 254)}`,
    roguePort: rng.int(20_000, 60_000),
    roguePid: rng.int(20_000, 32_000),
  };
}

/**
 * The ground-truth label of a message produced at an instant.
 *
 * @example
 * labelOf(schedule.episodeAt(7, t), 'mixed') // { behaviour: 'normal', anomalous: false, scenario: 'mixed' }
 */
export function labelOf(episode: Episode | undefined, scenario: Scenario): GroundTruth {
  return episode === undefined
    ? { behaviour: 'normal', anomalous: false, scenario }
    : { behaviour: episode.behaviour, anomalous: true, scenario };
}

/**
 * The episode schedule of one simulation.
 *
 * @example
 * const schedule = new EpisodeSchedule(seedKey(42), 'mixed', DEFAULT_EPISODE_CONFIG, 1000, Date.UTC(2026, 0, 1))
 * schedule.episodeAt(7, Date.UTC(2026, 0, 1, 0, 3)) // undefined (normal) or { behaviour: 'beaconing', … }
 */
export class EpisodeSchedule {
  /** `mixed`: 1 for the devices that take part; undefined for the other scenarios. */
  private readonly participants: Uint8Array | undefined;

  constructor(
    private readonly key: SeedKey,
    readonly scenario: Scenario,
    readonly config: EpisodeConfig,
    readonly deviceCount: number,
    private readonly startMs: number,
  ) {
    const { periodSeconds, minSeconds, maxSeconds, deviceFraction } = config;
    if (
      !(minSeconds > 0 && maxSeconds >= minSeconds && periodSeconds >= maxSeconds && Number.isFinite(periodSeconds))
    ) {
      throw new RangeError('episodes: need 0 < minSeconds <= maxSeconds <= periodSeconds (finite)');
    }
    if (!(deviceFraction >= 0 && deviceFraction <= 1))
      throw new RangeError('episodes: deviceFraction must be in [0, 1]');
    if (!(config.notBeforeSeconds >= 0 && Number.isFinite(config.notBeforeSeconds)))
      throw new RangeError('episodes: notBeforeSeconds must be finite and >= 0');
    if (scenario === 'mixed') {
      const chosen = deviceFraction === 0 ? 0 : Math.max(1, Math.round(deviceCount * deviceFraction));
      this.participants = choose(createRng(key, 0, PURPOSE.selection), deviceCount, chosen);
    }
  }

  /** Whether the device has episodes at all in this scenario. */
  participates(index: number): boolean {
    if (this.scenario === 'normal') return false;
    if (this.participants !== undefined) return this.participants[index] === 1;
    return true;
  }

  /** The episode running on a device at `atMs`, or undefined when it behaves normally. */
  episodeAt(index: number, atMs: number): Episode | undefined {
    if (!this.participates(index)) return undefined;
    const period = this.config.periodSeconds * 1000;
    const phase = Math.floor(hashFraction(this.key, index, PURPOSE.schedule, 0xffff_ffff) * period);
    const position = atMs - this.startMs + phase;
    const slot = Math.floor(position / period);
    const slotStart = this.startMs - phase + slot * period;
    const rng = createRng(this.key, index, PURPOSE.schedule, slot + 2 ** 40);
    const duration = rng.uniform(this.config.minSeconds, this.config.maxSeconds) * 1000;
    const startMs = slotStart + Math.floor(rng.uniform(0, period - duration));
    const endMs = startMs + Math.round(duration);
    if (atMs < startMs || atMs >= endMs) return undefined;
    // Without a warm-up, an episode under way when the simulation starts runs as scheduled.
    const { notBeforeSeconds } = this.config;
    if (notBeforeSeconds > 0 && startMs < this.startMs + notBeforeSeconds * 1000) return undefined;
    const behaviour = this.scenario === 'mixed' ? rng.pick(ABNORMAL_BEHAVIOURS) : (this.scenario as AbnormalBehaviour);
    return {
      behaviour,
      startMs,
      endMs,
      params: drawParams(createRng(this.key, index, PURPOSE.episode, slot + 2 ** 40)),
    };
  }
}

/** `count` of `total` indices chosen uniformly (partial Fisher–Yates), as a 0/1 flag per index. */
function choose(rng: Rng, total: number, count: number): Uint8Array {
  const order = new Uint32Array(total);
  for (let index = 0; index < total; index++) order[index] = index;
  const flags = new Uint8Array(total);
  for (let index = 0; index < Math.min(count, total); index++) {
    const swap = index + Math.floor(rng.float() * (total - index));
    const picked = order[swap]!;
    order[swap] = order[index]!;
    order[index] = picked;
    flags[picked] = 1;
  }
  return flags;
}
