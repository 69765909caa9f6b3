import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { UnsignedDeviceMessage } from '../../../twin-core/src/messages/envelope';
import type { PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import type { SignBatch, SignedBatch } from './signerWorker';

type Waiting = { resolve: (payload: string) => void; reject: (error: Error) => void };
type Lane = { worker: Worker; queued: SignBatch['items']; waiting: Waiting[]; inFlight: Map<number, Waiting[]> };

/** Parameters of {@link SignerPool}. */
export type SignerPoolParameters = {
  /** Worker threads (default: the machine's available parallelism). */
  size?: number;
};

/**
 * Signs device messages on worker threads, so a process running thousands of simulated devices uses every core and
 * its event loop stays free for MQTT. Messages of one lane (e.g. one device) are signed and returned in the order
 * given; batches are formed per event-loop turn.
 *
 * @example
 * const pool = new SignerPool()
 * const payload = await pool.sign(deviceIndex, channel.unsigned('telemetry', body), device.privateKey)
 */
export class SignerPool {
  private readonly lanes: Lane[];
  private nextBatchId = 1;
  private flushScheduled = false;
  private outstanding = 0;

  constructor(parameters: SignerPoolParameters = {}) {
    const size = Math.max(1, parameters.size ?? availableParallelism());
    this.lanes = Array.from({ length: size }, () => this.createLane());
  }

  /** Messages given to {@link sign} and not yet signed. */
  get backlog(): number {
    return this.outstanding;
  }

  /** Signs `unsigned` with `key` on the worker of `lane`; resolves to the signed message's JSON. */
  sign(lane: number, unsigned: UnsignedDeviceMessage, key: PrivateKey): Promise<string> {
    const target = this.lanes[lane % this.lanes.length]!;
    this.outstanding++;
    return new Promise((resolve, reject) => {
      target.queued.push({ unsigned, key });
      target.waiting.push({ resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Stops the workers; messages still waiting are rejected. */
  async close(): Promise<void> {
    for (const lane of this.lanes) {
      for (const waiting of [...lane.waiting, ...[...lane.inFlight.values()].flat()])
        waiting.reject(new Error('signer pool closed'));
      await lane.worker.terminate();
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const lane of this.lanes) {
      if (lane.queued.length === 0) continue;
      const batchId = this.nextBatchId++;
      lane.inFlight.set(batchId, lane.waiting);
      lane.worker.postMessage({ batchId, items: lane.queued } satisfies SignBatch);
      lane.queued = [];
      lane.waiting = [];
    }
  }

  private createLane(): Lane {
    const file = join(__dirname, `signerWorker${__filename.endsWith('.ts') ? '.ts' : '.js'}`);
    // Built code loads the .js. Run from TypeScript sources (tests, benchmarks under ts-node, a development-only
    // tool), the worker registers the same TypeScript loader before loading its .ts file.
    const worker = file.endsWith('.ts')
      ? new Worker(file, { execArgv: [...process.execArgv, '--require', 'ts-node/register/transpile-only'] })
      : new Worker(file);
    worker.unref();
    const lane: Lane = { worker, queued: [], waiting: [], inFlight: new Map() };
    worker.on('message', (batch: SignedBatch) => {
      const waiting = lane.inFlight.get(batch.batchId) ?? [];
      lane.inFlight.delete(batch.batchId);
      this.outstanding -= waiting.length;
      batch.payloads.forEach((payload, index) => waiting[index]?.resolve(payload));
    });
    worker.on('error', (error) => {
      for (const waiting of [...lane.inFlight.values()].flat()) waiting.reject(error);
      lane.inFlight.clear();
    });
    return lane;
  }
}
