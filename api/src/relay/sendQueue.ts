/** Runs tasks one at a time, in the order they were queued. */
export type SendQueue = {
  /** Queues `task`; resolves or rejects with it. A failed task does not stop the ones after it. */
  run<result>(task: () => Promise<result>): Promise<result>;
};

/** Options of {@link createSendQueue}. */
export type CreateSendQueueOptions = {
  /** Runs each task holding a lock other processes share (the relayer's sends across API instances). */
  lock?: <result>(task: () => Promise<result>) => Promise<result>;
};

/**
 * A queue that serialises the relayer's sends, so each transaction is broadcast before the next one takes a nonce
 * and concurrent relays never reuse the relayer's nonce; with `lock`, each task also holds a lock every instance
 * relaying with the same key takes, so their sends do not interleave either.
 *
 * @example
 * const queue = createSendQueue({ lock: (task) => withAdvisoryLock(index, `relayer-send:${address}`, task) })
 * const tx = await queue.run(() => forwarder.execute(request))
 */
export function createSendQueue(options: CreateSendQueueOptions = {}): SendQueue {
  const { lock } = options;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(lock === undefined ? task : () => lock(task));
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
