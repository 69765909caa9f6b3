import { parentPort } from 'node:worker_threads';
import { useFastCrypto } from '../crypto/useFastCrypto';
import { checkMessage, type CheckedMessage, type RefusedMessage } from './checkMessage';

/** A batch for one verifier thread: messages to check, in arrival order. */
export type CheckBatch = {
  batchId: number;
  maxPayloadBytes: number;
  items: { topic: string; payload: Uint8Array }[];
};
/** The thread's answer: each message's check, in the order received. */
export type CheckedBatch = { batchId: number; results: (CheckedMessage | RefusedMessage)[] };

// Batches are checked one after the other, in the order posted, once the fast crypto backend is installed.
let ready: Promise<unknown> = useFastCrypto();
parentPort?.on('message', (batch: CheckBatch) => {
  ready = ready.then(() => {
    const results = batch.items.map((item) =>
      checkMessage({ topic: item.topic, payload: item.payload, maxPayloadBytes: batch.maxPayloadBytes }),
    );
    parentPort!.postMessage({ batchId: batch.batchId, results } satisfies CheckedBatch);
  });
});
