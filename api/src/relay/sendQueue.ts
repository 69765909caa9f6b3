/** Runs tasks one at a time, in the order they were queued. */
export type SendQueue = {
  /** Queues `task`; resolves or rejects with it. A failed task does not stop the ones after it. */
  run<result>(task: () => Promise<result>): Promise<result>;
};

/**
 * A queue that serialises the relayer's sends, so each transaction is broadcast before the next one takes a nonce
 * and concurrent relays never reuse the relayer's nonce.
 *
 * @example
 * const queue = createSendQueue()
 * const tx = await queue.run(() => forwarder.execute(request))
 */
export function createSendQueue(): SendQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(task) {
      const result = tail.then(task);
      tail = result.catch(() => undefined);
      return result;
    },
  };
}
