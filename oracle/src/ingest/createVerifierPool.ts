import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkMessage, type CheckedMessage, type RefusedMessage } from './checkMessage';
import type { CheckBatch, CheckedBatch } from './verifierWorker';

type Waiting = { topic: string; payload: Uint8Array; resolve: (result: CheckedMessage | RefusedMessage) => void };
/** A lane's thread: `idle` until its first message (started then), `undefined` once failed or closed. */
type Lane = { worker: Worker | 'idle' | undefined; queued: Waiting[]; inFlight: Map<number, Waiting[]> };

/** Checks device messages ({@link checkMessage}) on worker threads. */
export type VerifierPool = {
  /**
   * Checks one message. Messages of one device (one topic's DeviceID) are checked on one thread, in the order given,
   * so their results resolve in that order. Never rejects: a thread that fails is replaced by checks on the caller's
   * thread.
   */
  check(topic: string, payload: Uint8Array): Promise<CheckedMessage | RefusedMessage>;
  /**
   * Threads running: each starts with the first message of its lane (an idle oracle keeps none, about 20 MiB of RSS
   * each), so 0 before any check, and once closed or after every one failed.
   */
  readonly threads: number;
  /**
   * Messages checked so far: on the worker threads, and on the caller's thread (a thread that failed or had not
   * answered at close). With threads configured and running, `onMainThread` stays 0.
   */
  readonly checked: VerifierPoolChecks;
  close(): Promise<void>;
};

/** The counts of {@link VerifierPool.checked}. */
export type VerifierPoolChecks = { onThreads: number; onMainThread: number };

/** Parameters of {@link createVerifierPool}. */
export type CreateVerifierPoolParameters = {
  /** Worker threads (at least 1). */
  threads: number;
  maxPayloadBytes: number;
  /** Told when a thread fails (its messages are then checked on the caller's thread). */
  onError?: (error: Error) => void;
};

/**
 * The code a verifier thread starts with: CommonJS that `require`s the worker module. Given the `.ts` file as the
 * Worker's path, Node.js ≥ 23 strips its types itself and loads it as an ES module (it has `import`s), whose
 * extensionless relative imports then fail ("Cannot find module '…/useFastCrypto'"), with ts-node's `--require`
 * hook never consulted. Required from CommonJS, the file goes through ts-node's `.ts` hook (registered first, resolved
 * from here so the thread uses the oracle's own ts-node) as the rest of the oracle does; compiled `.js` needs no hook.
 * A thread that still fails to start is reported through `onError` and its checks fall back to the caller's thread.
 */
function workerBootstrap(): string {
  const typescript = __filename.endsWith('.ts');
  const file = join(__dirname, `verifierWorker${typescript ? '.ts' : '.js'}`);
  // Transpile-only, with the repository's tsconfig.json whatever the working directory (ts-node's own default would
  // search from the working directory).
  const hook = typescript
    ? `require(${JSON.stringify(require.resolve('ts-node'))}).register(${JSON.stringify({
        transpileOnly: true,
        projectSearchDir: __dirname,
      })});\n`
    : '';
  return `${hook}require(${JSON.stringify(file)});\n`;
}

/** The lane of a topic `twins/<deviceId>/<kind>`: a hash of the DeviceID, so one device always uses one thread. */
function laneOf(topic: string, lanes: number): number {
  let hash = 0;
  const end = topic.indexOf('/', 6);
  for (let index = 6; index < (end === -1 ? topic.length : end); index++) {
    hash = (Math.imul(hash, 31) + topic.charCodeAt(index)) | 0;
  }
  return (hash >>> 0) % lanes;
}

/**
 * Signature checks off the event loop: parsing, schema, canonical hashing and public-key recovery of device messages
 * run on worker threads (each with the fast crypto backend), batched per event-loop turn, while the oracle's main
 * thread journals, judges against its twins and ledger, stores and indexes. Per device, results keep arrival order.
 *
 * @example
 * const verifiers = createVerifierPool({ threads: 1, maxPayloadBytes: 1_048_576 })
 * const checked = await verifiers.check(topic, payload)
 */
export function createVerifierPool(parameters: CreateVerifierPoolParameters): VerifierPool {
  const { maxPayloadBytes } = parameters;
  let nextBatchId = 1;
  let flushScheduled = false;
  const checked: VerifierPoolChecks = { onThreads: 0, onMainThread: 0 };
  const inline = (item: Waiting) => {
    checked.onMainThread++;
    item.resolve(checkMessage({ topic: item.topic, payload: item.payload, maxPayloadBytes }));
  };

  const fail = (lane: Lane, error: Error) => {
    parameters.onError?.(error);
    const worker = lane.worker;
    lane.worker = undefined;
    if (worker !== 'idle') void worker?.terminate();
    // In order: what the thread had, then what was still queued for it.
    for (const batch of [...lane.inFlight.values()]) batch.forEach(inline);
    lane.inFlight.clear();
    lane.queued.splice(0).forEach(inline);
  };

  /** Starts the lane's thread (on its first message). */
  const start = (lane: Lane): Worker => {
    const worker = new Worker(workerBootstrap(), { eval: true });
    worker.unref();
    lane.worker = worker;
    worker.on('message', (batch: CheckedBatch) => {
      const waiting = lane.inFlight.get(batch.batchId) ?? [];
      lane.inFlight.delete(batch.batchId);
      checked.onThreads += batch.results.length;
      batch.results.forEach((result, index) => waiting[index]?.resolve(result));
    });
    worker.on('error', (error) => fail(lane, error));
    worker.on('exit', (code) => {
      if (lane.worker === worker) fail(lane, new Error(`verifier thread exited (${code})`));
    });
    return worker;
  };
  const lanes = Array.from(
    { length: Math.max(1, parameters.threads) },
    (): Lane => ({ worker: 'idle', queued: [], inFlight: new Map() }),
  );

  const flush = () => {
    flushScheduled = false;
    for (const lane of lanes) {
      if (lane.queued.length === 0 || lane.worker === undefined) continue;
      let worker = lane.worker;
      if (worker === 'idle') {
        try {
          worker = start(lane);
        } catch (error) {
          // What the lane has queued is checked here, as after a thread's failure.
          fail(lane, error as Error);
          continue;
        }
      }
      const batchId = nextBatchId++;
      const items = lane.queued.splice(0);
      lane.inFlight.set(batchId, items);
      worker.postMessage({
        batchId,
        maxPayloadBytes,
        items: items.map(({ topic, payload }) => ({ topic, payload })),
      } satisfies CheckBatch);
    }
  };

  return {
    check(topic, payload) {
      const lane = lanes[laneOf(topic, lanes.length)]!;
      return new Promise((resolve) => {
        const item = { topic, payload, resolve };
        if (lane.worker === undefined) return inline(item);
        lane.queued.push(item);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(flush);
        }
      });
    },
    get threads() {
      return lanes.filter((lane) => lane.worker !== undefined && lane.worker !== 'idle').length;
    },
    get checked() {
      return { ...checked };
    },
    async close() {
      for (const lane of lanes) {
        const worker = lane.worker;
        lane.worker = undefined;
        for (const batch of lane.inFlight.values()) batch.forEach(inline);
        lane.inFlight.clear();
        lane.queued.splice(0).forEach(inline);
        if (worker !== 'idle') await worker?.terminate();
      }
    },
  };
}
