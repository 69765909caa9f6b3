import { Contract, keccak256, Transaction, type Provider, type TransactionReceipt, type Wallet } from 'ethers';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import type { Hex } from '../../../twin-core/src/encoding/hex';

/** The SnapshotAnchor functions and error the anchorer uses. */
const ANCHOR_ABI = [
  'function anchor(bytes32 root, uint32 leafCount, string manifestCid) returns (uint64)',
  'function batchOf(bytes32 root) view returns (tuple(uint64 batchId, uint32 leafCount, uint48 anchoredAt, uint64 blockNumber))',
  'error SnapshotAnchorDuplicateRoot(bytes32 root, uint64 batchId)',
  'error SnapshotAnchorUnauthorizedOracle(address account)',
];

/** An anchoring the chain refused for good (not a network problem): e.g. the key lacks the oracle role. */
export class AnchorRejectedError extends BaseError {
  override name = 'AnchorRejectedError';
}

/**
 * The oracle is stopping ({@link Anchorer.release}): this anchoring is left to the next start (which finds the root
 * on chain, or sends the kept transaction again) and to the chain mirror, instead of waiting for blocks that may
 * never come (an instamine chain mines only on transactions).
 */
export class AnchorDeferredError extends BaseError {
  override name = 'AnchorDeferredError';
  constructor(
    /** The anchoring transaction, when one was sent. */
    readonly txHash: Hex | null,
    /** Where the anchoring stood. */
    readonly reason: string,
  ) {
    super(`Anchoring left to the next start: ${reason}.`);
  }
}

/** Where a batch ended up on chain. */
export type AnchorResult = { batchId: bigint; txHash: Hex | null; blockNumber: number; gasUsed: bigint | null };

/** Options of {@link Anchorer.anchor}. */
export type AnchorOptions = {
  /**
   * The transaction signed for this root before a restart: re-broadcast as is, and signed anew only once its nonce
   * went to another transaction.
   */
  signed?: string | undefined;
  /** Receives the signed transaction before its first broadcast, to keep it for a restart. */
  onSigned?: (raw: string) => void | Promise<void>;
  /** Called once the root is on its way: the transaction broadcast, or the root found on chain. */
  onSent?: () => void;
};

/** Parameters of {@link Anchorer}. */
export type AnchorerParameters = {
  /** The oracle's wallet, connected to the chain's provider; it holds ORACLE_ROLE. */
  wallet: Wallet;
  /** SnapshotAnchor address. */
  anchorAddress: string;
  /** Blocks on top of the anchoring block before a batch is final. */
  confirmations: number;
  /** Backoff between attempts while the RPC endpoint fails, ms (defaults 500 and 30,000). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How often to poll for the receipt and confirmations, ms (default 250). */
  pollMs?: number;
  /** Called on each failed attempt that will be retried. */
  onRetry?: (error: Error, attempt: number, waitMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
};

/**
 * Anchors batch roots in SnapshotAnchor, one transaction each, and waits until it is final. Several batches may be
 * anchored at once: their transactions are signed in turn (consecutive nonces) and confirmed together. Each is
 * signed once (explicit nonce, estimated gas and fees) and the same signed bytes are re-broadcast on every retry, so
 * an RPC outage, a timeout or a restart never sends a second transaction for the same batch; a root the chain already
 * holds is reported as anchored. Network failures are retried with exponential backoff until they pass.
 *
 * @example
 * const anchorer = new Anchorer({ wallet, anchorAddress: deployment.contracts.SnapshotAnchor, confirmations: 2 })
 * const { txHash, blockNumber } = await anchorer.anchor(tree.root, tree.leafCount, manifestCid)
 */
export class Anchorer {
  private readonly contract: Contract;
  private readonly provider: Provider;
  private turn: Promise<unknown> = Promise.resolve();
  /** The nonce after the last transaction broadcast (0 before any). */
  private nextNonce = 0;
  /** Set by {@link release}: when waiting ends for good. */
  private stopping: { deadline: number } | undefined;
  /** The sleeps of {@link retrying} in progress: the end of the stop's grace period wakes them. */
  private readonly sleeping = new Set<() => void>();

  constructor(private readonly parameters: AnchorerParameters) {
    if (parameters.wallet.provider === null) throw new BaseError('The oracle wallet has no provider.');
    this.provider = parameters.wallet.provider;
    this.contract = new Contract(parameters.anchorAddress, ANCHOR_ABI, parameters.wallet);
  }

  /** Anchors `root`, retrying through outages, and resolves once the batch is final. */
  async anchor(root: Hex, leafCount: number, manifestCid: string, options: AnchorOptions = {}): Promise<AnchorResult> {
    for (let signed = options.signed; ; signed = undefined) {
      const existing = await this.retrying(() => this.anchored(root, options.onSent));
      if (existing !== undefined) return existing;
      try {
        return await this.sendAndConfirm(root, leafCount, manifestCid, { ...options, signed });
      } catch (error) {
        // Its nonce went to another transaction (one sent with this key elsewhere, or a node that lost ours and took
        // another): these bytes can never be mined. Signed anew; the contract refuses a second anchor of one root.
        if (!(error instanceof NonceTakenError)) throw error;
        this.parameters.onRetry?.(error, 0, 0);
      }
    }
  }

  private async sendAndConfirm(
    root: Hex,
    leafCount: number,
    manifestCid: string,
    options: AnchorOptions,
  ): Promise<AnchorResult> {
    // Signing and broadcasting take turns, so that batches anchored concurrently get consecutive nonces (each signs
    // once the previous one is in the node's pool); waiting for blocks and confirmations is concurrent.
    const { raw, hash } = await this.inTurn(async () => {
      const signed = options.signed ?? (await this.retrying(() => this.signAnchor(root, leafCount, manifestCid)));
      if (options.signed === undefined) await options.onSigned?.(signed);
      const sent = await this.retrying(() => this.broadcast(signed));
      this.nextNonce = Math.max(this.nextNonce, Transaction.from(signed).nonce + 1);
      return { raw: signed, hash: sent };
    });
    options.onSent?.();
    try {
      const receipt = await this.retrying(() => this.confirmedReceipt(hash, raw));
      if (receipt.status !== 1) {
        const again = await this.retrying(() => this.anchored(root));
        if (again !== undefined) return again;
        throw new AnchorRejectedError('The anchoring transaction reverted.', { details: `tx ${hash}` });
      }
      const batch = await this.retrying(() => this.anchored(root));
      return {
        batchId: batch?.batchId ?? 0n,
        txHash: hash,
        blockNumber: receipt.blockNumber,
        gasUsed: receipt.gasUsed,
      };
    } catch (error) {
      // Deferred after the broadcast: the caller keeps the transaction's hash with the batch.
      if (error instanceof AnchorDeferredError && error.txHash === null)
        throw new AnchorDeferredError(hash, error.reason);
      throw error;
    }
  }

  /**
   * Stops waiting, for a stop of the oracle: from now on an anchoring (in progress or new) still signs and sends its
   * transaction, but ends with {@link AnchorDeferredError} as soon as the transaction is mined or the root is on
   * chain, without waiting for confirmations; and when `graceMs` have passed, at its next wait whatever it waits
   * for (a receipt, an unreachable endpoint). What was sent is kept by the caller for the next start.
   *
   * @example
   * anchorer.release(10_000); await batcher.flush() // the last batch is sent, not awaited for confirmations
   */
  release(graceMs: number): void {
    if (this.stopping !== undefined) return;
    this.stopping = { deadline: Date.now() + graceMs };
    setTimeout(() => {
      for (const wake of [...this.sleeping]) wake();
    }, graceMs).unref();
  }

  /** Runs `step` after every step started before it has finished (one at a time, in call order). */
  private inTurn<result>(step: () => Promise<result>): Promise<result> {
    const run = this.turn.then(step);
    this.turn = run.catch(() => undefined);
    return run;
  }

  private get wallet(): Wallet {
    return this.parameters.wallet;
  }

  /** The batch of `root` when the chain holds it and it is final. */
  private async anchored(root: Hex, onChain?: () => void): Promise<AnchorResult | undefined> {
    const batch = (await this.contract.getFunction('batchOf').staticCall(root)) as {
      batchId: bigint;
      blockNumber: bigint;
    };
    if (batch.batchId === 0n) return undefined;
    onChain?.();
    if (this.stopping !== undefined)
      throw new AnchorDeferredError(null, `batch ${batch.batchId} is on chain, not final`);
    const head = await this.provider.getBlockNumber();
    if (head - Number(batch.blockNumber) < this.parameters.confirmations) {
      throw new RetryableError(`batch ${batch.batchId} has ${head - Number(batch.blockNumber)} confirmations`, true);
    }
    return { batchId: batch.batchId, txHash: null, blockNumber: Number(batch.blockNumber), gasUsed: null };
  }

  private async signAnchor(root: Hex, leafCount: number, manifestCid: string): Promise<string> {
    const call = this.contract.getFunction('anchor');
    try {
      const transaction = await call.populateTransaction(root, leafCount, manifestCid);
      const gasLimit = await this.wallet.estimateGas(transaction);
      const populated = await this.wallet.populateTransaction({
        ...transaction,
        gasLimit: (gasLimit * 12n) / 10n,
        // The node's pending count, or past the last transaction this anchorer sent when the node lags behind it.
        nonce: Math.max(await this.provider.getTransactionCount(this.wallet.address, 'pending'), this.nextNonce),
      });
      return await this.wallet.signTransaction(populated);
    } catch (error) {
      // Revert data when the node gave some (a timed-out or failed request has none: its own error is kept).
      const data = (error as { data?: unknown }).data;
      const reason =
        (typeof data === 'string' && data.length >= 10 ? this.contract.interface.parseError(data) : null) ??
        decodeNested(this.contract, error);
      if (reason?.name === 'SnapshotAnchorDuplicateRoot') throw new RetryableError('root anchored meanwhile');
      if (reason !== null && reason !== undefined) {
        throw new AnchorRejectedError(`SnapshotAnchor refused the batch: ${reason.name}(${reason.args.join(', ')}).`);
      }
      throw error;
    }
  }

  /** Broadcasts `raw`; resolves with its hash once the node holds it (sent now, or by an earlier attempt). */
  private async broadcast(raw: string): Promise<Hex> {
    try {
      return (await this.provider.broadcastTransaction(raw)).hash as Hex;
    } catch (error) {
      return await this.refused(error as Error, raw);
    }
  }

  /**
   * What a node's refusal of `raw` means: already held (its hash), or its nonce used by another transaction
   * ({@link NonceTakenError}). Nodes word it differently: geth `already known`/`nonce too low`, ganache
   * `transaction underpriced` for a transaction it holds and `the tx doesn't have the correct nonce` once mined.
   */
  private async refused(error: Error, raw: string): Promise<Hex> {
    const hash = transactionHash(raw) as Hex;
    if (/already known|known transaction/i.test(error.message)) return hash;
    if (!/nonce|underpriced/i.test(error.message)) throw error;
    const { nonce } = Transaction.from(raw);
    // Not mined yet at that nonce: the pool holds this one or a rival, and waiting for the receipt tells which.
    if ((await this.provider.getTransactionCount(this.wallet.address, 'latest')) <= nonce) return hash;
    if ((await this.provider.getTransactionReceipt(hash)) !== null) return hash;
    this.nextNonce = Math.max(this.nextNonce, nonce + 1);
    throw new NonceTakenError(`nonce ${nonce} of tx ${hash} went to another transaction (${firstLine(error.message)})`);
  }

  private async confirmedReceipt(hash: Hex, raw: string): Promise<TransactionReceipt> {
    const receipt = await this.provider.getTransactionReceipt(hash);
    if (receipt === null) {
      // Not mined (yet, or dropped by a restarted node): broadcast the same signed bytes again, then keep waiting.
      await this.provider.broadcastTransaction(raw).catch((error: Error) =>
        this.refused(error, raw).catch((refusal: unknown) => {
          if (refusal instanceof NonceTakenError) throw refusal;
        }),
      );
      throw new RetryableError(`tx ${hash} not mined yet`, true);
    }
    if (this.stopping !== undefined) throw new AnchorDeferredError(hash, `tx ${hash} is mined, not final`);
    const head = await this.provider.getBlockNumber();
    if (head - receipt.blockNumber < this.parameters.confirmations) {
      throw new RetryableError(
        `tx ${hash} has ${head - receipt.blockNumber} of ${this.parameters.confirmations} confirmations`,
        true,
      );
    }
    return receipt;
  }

  /** Runs `step` until it succeeds; waiting is polled quickly, failures back off exponentially. */
  private async retrying<result>(step: () => Promise<result>): Promise<result> {
    const { retryMinMs = 500, retryMaxMs = 30_000, pollMs = 250 } = this.parameters;
    let wait = retryMinMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (
          error instanceof AnchorRejectedError ||
          error instanceof AnchorDeferredError ||
          error instanceof NonceTakenError
        )
          throw error;
        if (this.stopping !== undefined && Date.now() >= this.stopping.deadline) {
          throw new AnchorDeferredError(null, `stopping: ${(error as Error).message}`);
        }
        if (error instanceof RetryableError && error.polling) {
          await this.pause(pollMs);
          continue;
        }
        this.parameters.onRetry?.(error as Error, attempt, wait);
        await this.pause(wait);
        wait = Math.min(retryMaxMs, wait * 2);
      }
    }
  }

  /** Sleeps `ms`, or less when the stop's grace period ends first. */
  private pause(ms: number): Promise<void> {
    if (this.stopping !== undefined && Date.now() >= this.stopping.deadline) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      this.sleeping.add(wake);
      if (this.parameters.sleep) void this.parameters.sleep(ms).then(wake);
      else timer = setTimeout(wake, ms);
    });
  }
}

/** A condition that passes with time (waiting for a block, a node coming back). */
class RetryableError extends Error {
  constructor(message: string, readonly polling = false) {
    super(message);
  }
}

/** The nonce of a signed transaction was used by another one: it can never be mined, so it is signed anew. */
class NonceTakenError extends Error {}

function firstLine(message: string): string {
  return message.split('\n')[0]!.slice(0, 200);
}

function decodeNested(contract: Contract, error: unknown) {
  let current = error as Record<string, unknown> | undefined;
  for (let depth = 0; current && depth < 5; depth++) {
    const data = typeof current.data === 'string' ? current.data : undefined;
    if (data && data.length >= 10) {
      try {
        return contract.interface.parseError(data);
      } catch {
        return null;
      }
    }
    current = (current.error ?? current.info ?? current.cause) as Record<string, unknown> | undefined;
  }
  return null;
}

function transactionHash(raw: string): string {
  return keccak256(raw);
}
