/**
 * A bounded set of names (listening ports, process names) in a fixed Uint32Array: `capacity` slots of two words,
 * the name's 32-bit FNV-1a hash (0 = empty) and a meta word: bit 31 set when the name is learned (part of the
 * baseline); otherwise bits 0–30 count the warm-up observations that listed it (while learning) or hold the second
 * (since the device's first telemetry) it was first seen (pending, after the warm-up). Collisions among at most a
 * few hundred names are negligible at 32 bits (≈ 1e-5 for 64 names).
 */

/** A bounded name set. */
export type NameSet = Uint32Array;

const LEARNED = 0x8000_0000;
const SECONDS = 0x7fff_ffff;

/**
 * An empty set of `capacity` slots (`capacity × 8` bytes).
 *
 * @example
 * const ports = createNameSet(64) // 512 bytes
 */
export function createNameSet(capacity: number): NameSet {
  return new Uint32Array(capacity * 2);
}

/**
 * The 32-bit FNV-1a hash of a name, never 0 (0 marks an empty slot).
 *
 * @example
 * hashName('tcp/22') // a fixed non-zero number
 */
export function hashName(name: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < name.length; index++) {
    hash ^= name.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0 || 1;
}

function slotOf(set: NameSet, hash: number): number {
  for (let slot = 0; slot < set.length; slot += 2) if (set[slot] === hash) return slot;
  return -1;
}

/** Parameters of {@link observeNames}. */
export type ObserveNamesParameters = {
  /** Names present now (e.g. in one snapshot). */
  names: readonly string[];
  /** Seconds since the device's first telemetry. */
  atSeconds: number;
  /** Counting what is seen (the warm-up; {@link settleNames} then learns the usual names), or judging it. */
  learning: boolean;
  /** Judging: a name continuously present this long is learned (Infinity: never). */
  promoteAfterSeconds: number;
  /** Judging: pending names may be promoted (false while the device is flagged for anything else). */
  mayPromote: boolean;
};

/** Result of {@link observeNames}. */
export type ObserveNamesResult = {
  /** Names present now that are not learned (empty while learning). */
  unknown: string[];
  /** Learned names in the set after the update. */
  learned: number;
  /** True when a name could not be learned or tracked because every slot holds a learned name. */
  saturated: boolean;
};

/**
 * Applies one observation: while learning, counts each name; afterwards, names not learned are reported, tracked
 * as pending (forgotten as soon as they are absent, so a reappearance starts over) and learned once continuously
 * present for `promoteAfterSeconds` while the device is otherwise clean.
 *
 * @example
 * observeNames(ports, { names: ['tcp/22', 'tcp/4444'], atSeconds: 900, learning: false, promoteAfterSeconds: 21_600, mayPromote: true })
 * // { unknown: ['tcp/4444'], learned: 5, saturated: false }
 */
export function observeNames(set: NameSet, parameters: ObserveNamesParameters): ObserveNamesResult {
  const { names, learning } = parameters;
  const at = Math.max(0, Math.min(SECONDS, Math.floor(parameters.atSeconds)));
  const present = new Set<number>();
  const unknown: string[] = [];
  let saturated = false;
  for (const name of names) {
    const hash = hashName(name);
    if (present.has(hash)) continue;
    present.add(hash);
    let slot = slotOf(set, hash);
    if (slot >= 0 && (set[slot + 1]! & LEARNED) !== 0) continue;
    if (!learning) unknown.push(name);
    if (slot < 0) {
      slot = slotOf(set, 0);
      if (slot < 0) {
        saturated = true;
        continue;
      }
      set[slot] = hash;
      set[slot + 1] = learning ? 0 : at;
    }
    if (learning) {
      set[slot + 1] = Math.min(SECONDS, set[slot + 1]! + 1);
      continue;
    }
    const since = set[slot + 1]! & SECONDS;
    if (parameters.mayPromote && at - since >= parameters.promoteAfterSeconds) set[slot + 1] = (LEARNED | since) >>> 0;
  }
  let learned = 0;
  for (let slot = 0; slot < set.length; slot += 2) {
    if (set[slot] === 0) continue;
    if ((set[slot + 1]! & LEARNED) !== 0) learned++;
    else if (!learning && !present.has(set[slot]!)) {
      set[slot] = 0;
      set[slot + 1] = 0;
    }
  }
  return { unknown, learned, saturated };
}

/**
 * Ends the warm-up of a set: names counted in at least `minimumCount` warm-up observations are learned, the others
 * forgotten, so a process or port that showed up in only a few warm-up snapshots (an attack during the warm-up) is
 * still flagged afterwards. Returns the number learned.
 *
 * @example
 * settleNames(processes, Math.ceil(0.5 * snapshotsLearned)) // 23
 */
export function settleNames(set: NameSet, minimumCount: number): number {
  let learned = 0;
  for (let slot = 0; slot < set.length; slot += 2) {
    if (set[slot] === 0) continue;
    const meta = set[slot + 1]!;
    if ((meta & LEARNED) !== 0 || (meta & SECONDS) >= minimumCount) {
      set[slot + 1] = LEARNED >>> 0;
      learned++;
    } else {
      set[slot] = 0;
      set[slot + 1] = 0;
    }
  }
  return learned;
}
