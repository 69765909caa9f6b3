/** Injected timers (tests control time with them). */
export type LoopTimers = {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

/** A task run one pass at a time, on demand and on a timer. */
export type SerialLoop<result> = {
  /** One pass now; concurrent calls run one after the other. */
  runOnce(): Promise<result>;
  /** A pass now, then again `intervalMs` after each pass ends, until {@link SerialLoop.stop}. */
  start(intervalMs: number): void;
  /** Stops the loop and waits for the pass in progress. */
  stop(): Promise<void>;
  readonly running: boolean;
};

/**
 * Runs `pass` one at a time: on demand (`runOnce`, queued behind a pass in progress) and, once started, again
 * `intervalMs` after each pass ends, so passes never overlap and a slow pass delays the next instead of piling up.
 * A failed timed pass goes to `onError` and the loop goes on.
 *
 * @example
 * const loop = createSerialLoop(() => mirror.sync(), { onError: (error) => log('warn', String(error)) })
 * loop.start(1_000)
 * await loop.stop()
 */
export function createSerialLoop<result>(
  pass: () => Promise<result>,
  options: { onError?: (error: unknown) => void; timers?: LoopTimers } = {},
): SerialLoop<result> {
  const timers = options.timers ?? { setTimeout, clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };
  let queue: Promise<unknown> = Promise.resolve();
  let running = false;
  let timer: unknown;
  let inFlight: Promise<void> | undefined;
  const loop: SerialLoop<result> = {
    runOnce() {
      const run = queue.then(pass);
      queue = run.catch(() => undefined);
      return run;
    },
    start(intervalMs) {
      if (running) return;
      running = true;
      const tick = (): void => {
        timer = undefined;
        inFlight = loop
          .runOnce()
          .then(
            () => undefined,
            (error: unknown) => options.onError?.(error),
          )
          .finally(() => {
            inFlight = undefined;
            if (running) timer = timers.setTimeout(tick, intervalMs);
          });
      };
      tick();
    },
    async stop() {
      running = false;
      if (timer !== undefined) timers.clearTimeout(timer);
      timer = undefined;
      await inFlight;
      await queue;
    },
    get running() {
      return running;
    },
  };
  return loop;
}
