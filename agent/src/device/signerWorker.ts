import { parentPort } from 'node:worker_threads';
import type { UnsignedDeviceMessage } from '../../../twin-core/src/messages/envelope';
import type { PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { signDeviceMessage } from '../../../twin-core/src/signing/messageSignature';

/** A batch for one signing worker: messages to sign, each with its device key. */
export type SignBatch = { batchId: number; items: { unsigned: UnsignedDeviceMessage; key: PrivateKey }[] };
/** The worker's answer: each message signed, as the JSON payload to publish, in the order received. */
export type SignedBatch = { batchId: number; payloads: string[] };

parentPort?.on('message', (batch: SignBatch) => {
  const payloads = batch.items.map(({ unsigned, key }) => JSON.stringify(signDeviceMessage(unsigned, key)));
  parentPort!.postMessage({ batchId: batch.batchId, payloads } satisfies SignedBatch);
});
