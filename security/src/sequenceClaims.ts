import { claimSecuritySequences, type Store } from '../../store/src';

/** Parameters of {@link createSequenceClaims}. */
export type SequenceClaimsParameters = {
  store: Store;
  /** The security entity's address: its ledger rows. */
  entity: string;
  /** Most claims in one statement (default 500); more wait for the next. */
  maxBatch?: number;
  now?: () => number;
};

/** The security service's replay ledger in the shared store, claims batched. */
export type SequenceClaims = {
  /** Whether the message is new to this entity (any instance, any earlier run): accepted once, then a replay. */
  claim(deviceId: string, kind: string, seq: number): Promise<boolean>;
};

/**
 * Claims each accepted message's number in the store (`claimSecuritySequences`), so that a restarted service, or
 * another instance of the same entity, refuses a replay: the store decides, a number is new once. The claims made
 * while a statement runs go together in the next one (one statement per batch, in the order claimed), so the cost is
 * one round trip per burst of messages, not per message.
 *
 * @example
 * const claims = createSequenceClaims({ store, entity: wallet.address })
 * if (await claims.claim(message.deviceId, message.kind, message.seq)) analyzer.analyze(message)
 */
export function createSequenceClaims(parameters: SequenceClaimsParameters): SequenceClaims {
  const { store, entity, maxBatch = 500, now = Date.now } = parameters;
  type Pending = {
    deviceId: string;
    kind: string;
    seq: number;
    settle: (fresh: boolean) => void;
    fail: (error: unknown) => void;
  };
  let queue: Pending[] = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          const results = await claimSecuritySequences(store, entity, batch, now());
          batch.forEach((pending, n) => pending.settle(results[n] === true));
        } catch (error) {
          for (const pending of batch) pending.fail(error);
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    claim(deviceId, kind, seq) {
      return new Promise<boolean>((settle, fail) => {
        queue.push({ deviceId, kind, seq, settle, fail });
        // The first claim of a burst waits a turn of the event loop for the others.
        if (!running) {
          running = true;
          setImmediate(() => void drain());
        }
      });
    },
  };
}
