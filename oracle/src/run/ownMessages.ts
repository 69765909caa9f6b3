/** How many committed messages {@link createOwnMessages} remembers by default. */
export const DEFAULT_OWN_MESSAGES = 65_536;

/** The messages this oracle instance committed lately (see {@link createOwnMessages}). */
export type OwnMessages = {
  /** Remembers that this instance committed the message of `hash` as (device, kind, seq). */
  add(message: { deviceId: string; kind: string; seq: number }, hash: string): void;
  /** Whether this instance committed this very message (same device, kind, number and hash) lately. */
  has(message: { deviceId: string; kind: string; seq: number }, hash: string): boolean;
  readonly size: number;
};

/**
 * What tells a copy of a message from a replay: the messages this instance committed to the index (the most recent
 * `capacity`, oldest forgotten first), by device, kind and number, with their canonical hash. A message the replay
 * check refuses that is in here with the same hash is an identical copy of one this instance indexed (the broker
 * delivering it again after a reconnect, the device's client sending it again, a commit retried after it succeeded):
 * completed as a duplicate. One another instance committed, or with other bytes, is not in here: still refused.
 *
 * @example
 * const own = createOwnMessages()
 * own.add(message, hash) // after its commit
 * if (own.has(message, hash)) duplicates++ // instead of a replay rejection
 */
export function createOwnMessages(capacity = DEFAULT_OWN_MESSAGES): OwnMessages {
  const hashes = new Map<string, string>();
  const keyOf = (message: { deviceId: string; kind: string; seq: number }) =>
    `${message.deviceId.toLowerCase()}:${message.kind}:${message.seq}`;
  return {
    add(message, hash) {
      const key = keyOf(message);
      hashes.delete(key);
      hashes.set(key, hash.toLowerCase());
      if (hashes.size > capacity) hashes.delete(hashes.keys().next().value!);
    },
    has: (message, hash) => hashes.get(keyOf(message)) === hash.toLowerCase(),
    get size() {
      return hashes.size;
    },
  };
}
