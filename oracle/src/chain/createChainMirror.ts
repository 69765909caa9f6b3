import type { Log, Provider } from 'ethers';
import { createSerialLoop, type LoopTimers } from '../../../twin-core/src/runtime/serialLoop';
import type { Deployment } from '../../../twin-core/src/deployment/deployment';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import {
  getCursor,
  listCursors,
  lockCursor,
  setCursor,
  tryLeadChainMirror,
  withTransaction,
  type ChainMirrorLead,
  type Store,
} from '../../../store/src';
import { mirroredTopics } from './abi';
import { applyEvents } from './applyEvents';
import { ChainMirrorError } from './errors';
import { createLogDecoder, type MirrorEvent, type StateChangeEvent } from './events';
import { findForkPoint, movedError, rewindTo, sameCursor, type ForkPoint, type Rewind } from './reorg';

/** Timer functions, injectable so tests drive the polling loop themselves. */
export type MirrorTimers = LoopTimers;

/** Parameters of {@link createChainMirror}. */
export type ChainMirrorOptions = {
  provider: Provider;
  deployment: Deployment;
  /** The shared store (PostgreSQL) the mirror writes: every instance's index. */
  index: Store;
  /**
   * Confirmations a block needs before its events are applied, counted as ethers counts them: the head block has
   * one. With 3, an event mined in block b is applied once the head is b + 2. 0 behaves like 1.
   */
  confirmations: number;
  /** Most blocks one `getLogs` call (and one index transaction) covers (default 2,000). */
  batchBlocks?: number;
  /**
   * Whether {@link ChainMirror.syncOnce} and the loop run only while this instance leads the mirror (default true):
   * of the instances on one database, one leads (`tryLeadChainMirror`, a session advisory lock named by the cursor)
   * and the others wait, trying again at each step, and take over when the leader's session ends. False: sync
   * whoever else does (the cursor's compare-and-set still keeps a range from being applied twice).
   */
  lead?: boolean;
  /** How often the lead's session is probed, ms (default 5,000: `tryLeadChainMirror`'s `probeIntervalMs`). */
  leadProbeMs?: number;
  /**
   * Called for each `TwinStateChanged` applied, in chain order, once the range holding it is committed (its owner
   * notification row is durable by then); not awaited: a slow or failing publisher never stalls the mirror.
   */
  onStateChange?: (event: StateChangeEvent) => void | Promise<void>;
  /** Errors of the polling loop and of `onStateChange` (default: one line on stderr). */
  onError?: (error: unknown) => void;
  /** Milliseconds since the epoch (default `Date.now`): notification and confirmation times. */
  now?: () => number;
  timers?: MirrorTimers;
};

/** What one {@link ChainMirror.syncOnce} did. */
export type SyncResult = {
  head: number;
  /** The highest block with enough confirmations. */
  safeBlock: number;
  /** The blocks applied (`toBlock < fromBlock` when there was nothing new). */
  fromBlock: number;
  toBlock: number;
  events: number;
  stateChanges: number;
  /** Present when a reorganisation was found and undone before applying. */
  rewind?: Rewind;
  /** False when another instance leads the mirror: nothing was read or applied (the cursor as it is). */
  leading: boolean;
};

/** A follower of the registry's events into the index. */
export type ChainMirror = {
  /** The `chain_cursor` row it keeps: `chain-mirror:<chainId>:<TwinRegistry address>`. */
  readonly cursorName: string;
  /**
   * Applies every confirmed block after the cursor, if this instance leads (trying to lead first when it does not;
   * see {@link ChainMirrorOptions.lead}); concurrent calls run one after the other.
   */
  syncOnce(): Promise<SyncResult>;
  /** Syncs now, then again `intervalMs` after each sync ends, until {@link stop}. */
  start(intervalMs: number): void;
  /** Stops the loop, waits for a sync in progress and gives the lead up (the next instance trying leads). */
  stop(): Promise<void>;
  readonly running: boolean;
  /** Whether this instance leads the mirror now (always true with `lead: false`). */
  readonly leading: boolean;
};

/**
 * Follows TwinRegistry, EntityRegistry and SnapshotAnchor events from the deployment block into the shared store.
 *
 * Instances: of the mirrors on one database, one leads (see {@link ChainMirrorOptions.lead}); every transaction that
 * moves the cursor (a range applied, a rewind) takes `lockCursor` and compares the cursor with the block its work was
 * read from, writing nothing when another instance moved it (a leader whose session died may still be committing).
 * So each range is applied, and each state change published, by one instance only.
 *
 * Confirmations: only blocks with at least `confirmations` confirmations are read, in ranges of `batchBlocks`; each
 * range's events and the cursor (last block, its hash) are written in one transaction, so a restart resumes after
 * the cursor and no event is applied twice (the chain event log also refuses a repeated (block, log index)).
 *
 * Reorganisations: each sync first compares the cursor block's stored hash with the node's. A mismatch means a
 * reorganisation deeper than the confirmation depth; the mirror then searches the chain event log for the last
 * block that is still canonical and rewinds to it (see {@link rewindTo}): conservative, since it re-reads every
 * block after the last one it can prove unchanged. Each range is also checked after `getLogs` (the range's last
 * block and the cursor block must keep their hashes), so a reorganisation during a read applies nothing.
 *
 * @example
 * const mirror = createChainMirror({ provider, deployment, index, confirmations: 3,
 *   onStateChange: (event) => mqtt.publish(`twins/${event.deviceId}/notifications`, JSON.stringify(event)) })
 * mirror.start(2_000)
 */
export function createChainMirror(options: ChainMirrorOptions): ChainMirror {
  const { provider, deployment, index } = options;
  const confirmations = options.confirmations;
  const batchBlocks = options.batchBlocks ?? 2_000;
  if (!Number.isInteger(confirmations) || confirmations < 0) {
    throw new ChainMirrorError('Invalid confirmations.', { details: `expected an integer ≥ 0, got ${confirmations}` });
  }
  if (!Number.isInteger(batchBlocks) || batchBlocks < 1) {
    throw new ChainMirrorError('Invalid batchBlocks.', { details: `expected an integer ≥ 1, got ${batchBlocks}` });
  }
  const now = options.now ?? Date.now;
  const timers = options.timers ?? { setTimeout, clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout) };
  const onError = options.onError ?? reportError;
  const cursorName = `chain-mirror:${deployment.chainId}:${deployment.contracts.TwinRegistry.toLowerCase()}`;
  const floor = deployment.deploymentBlock - 1;
  const decode = createLogDecoder(deployment);
  const addresses = [
    deployment.contracts.TwinRegistry,
    deployment.contracts.EntityRegistry,
    deployment.contracts.SnapshotAnchor,
  ];
  const topics = mirroredTopics();
  let checked = false;

  async function checkOnce(): Promise<void> {
    if (checked) return;
    const { chainId } = await provider.getNetwork();
    if (Number(chainId) !== deployment.chainId) {
      throw new ChainMirrorError('The node serves another chain than the deployment.', {
        details: `the node is chain ${chainId}, the deployment is for chain ${deployment.chainId}`,
      });
    }
    const foreign = (await listCursors(index)).find(
      (cursor) => cursor.name.startsWith('chain-mirror:') && cursor.name !== cursorName,
    );
    if (foreign !== undefined) {
      throw new ChainMirrorError('The index mirrors another deployment.', {
        details: `the database holds cursor ${foreign.name}; this deployment's is ${cursorName}: use another database`,
      });
    }
    checked = true;
  }

  async function hashOf(block: number): Promise<string | null> {
    return (await provider.getBlock(block))?.hash?.toLowerCase() ?? null;
  }

  /** Applies blocks `from`…`to` after `base` in one transaction; returns the new cursor and what was applied. */
  async function syncRange(base: ForkPoint, from: number, to: number) {
    const hash = await hashOf(to);
    const logs: Log[] = await provider.getLogs({ address: addresses, topics: [topics], fromBlock: from, toBlock: to });
    const [hashAfter, baseHash] = await Promise.all([hashOf(to), base.hash === null ? null : hashOf(base.block)]);
    const moved =
      hash === null ||
      hashAfter !== hash ||
      baseHash !== base.hash ||
      logs.some((log) => log.removed || (log.blockNumber === to && log.blockHash.toLowerCase() !== hash));
    if (moved) {
      throw new ChainMirrorError('The chain changed while blocks were read.', {
        details: `blocks ${from}–${to}: nothing applied; the next sync checks for a reorganisation`,
      });
    }
    const events = logs
      .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
      .map(decode)
      .filter((event): event is MirrorEvent => event !== undefined);
    const { stateChanges } = await withTransaction(index, async (tx) => {
      if (!sameCursor(await lockCursor(tx, cursorName), base)) throw movedError(cursorName, base);
      const applied = await applyEvents(tx, events, now());
      await setCursor(tx, { name: cursorName, lastProcessedBlock: to, lastBlockHash: hash }, now());
      return applied;
    });
    // Committed: this instance alone applied the range, so it alone publishes its state changes.
    for (const change of stateChanges) publish(change);
    return {
      cursor: { block: to, hash } satisfies ForkPoint,
      events: events.length,
      stateChanges: stateChanges.length,
    };
  }

  function publish(change: StateChangeEvent): void {
    if (options.onStateChange === undefined) return;
    try {
      void Promise.resolve(options.onStateChange(change)).catch(onError);
    } catch (error) {
      onError(error);
    }
  }

  const leads = options.lead ?? true;
  let lead: ChainMirrorLead | undefined;
  let stopped = false;

  /** Whether this instance leads, taking the lead when it is free. */
  async function leadNow(): Promise<boolean> {
    if (!leads) return true;
    if (lead?.leading === true) return true;
    lead = undefined;
    if (stopped) return false;
    const taken = await tryLeadChainMirror(index, {
      name: cursorName,
      ...(options.leadProbeMs === undefined ? {} : { probeIntervalMs: options.leadProbeMs }),
      onLost: (error) => onError(error),
    });
    if (taken !== undefined && stopped) {
      await taken.release();
      return false;
    }
    lead = taken;
    return taken !== undefined;
  }

  async function sync(): Promise<SyncResult> {
    await checkOnce();
    const head = await provider.getBlockNumber();
    const safeBlock = head - Math.max(confirmations, 1) + 1;
    const stored = await getCursor(index, cursorName);
    let cursor: ForkPoint =
      stored === undefined
        ? { block: floor, hash: null }
        : { block: stored.lastProcessedBlock, hash: stored.lastBlockHash };
    const leading = await leadNow();
    const result: SyncResult = {
      head,
      safeBlock,
      fromBlock: cursor.block + 1,
      toBlock: cursor.block,
      events: 0,
      stateChanges: 0,
      leading,
    };
    if (!leading) return result;
    if (cursor.hash !== null && (cursor.block > head || (await hashOf(cursor.block)) !== cursor.hash)) {
      const rewind = await rewindTo(index, await findForkPoint(provider, index, floor), cursorName, cursor, now());
      cursor = rewind.fork;
      result.rewind = rewind;
      result.fromBlock = cursor.block + 1;
      result.toBlock = cursor.block;
    }
    while (cursor.block < safeBlock && (!leads || lead?.leading === true)) {
      const applied = await syncRange(cursor, cursor.block + 1, Math.min(cursor.block + batchBlocks, safeBlock));
      cursor = applied.cursor;
      result.toBlock = cursor.block;
      result.events += applied.events;
      result.stateChanges += applied.stateChanges;
    }
    return result;
  }

  const loop = createSerialLoop(sync, { onError, timers });
  const mirror: ChainMirror = {
    cursorName,
    syncOnce: () => loop.runOnce(),
    start: (intervalMs) => loop.start(intervalMs),
    async stop() {
      stopped = true;
      await loop.stop();
      await lead?.release();
      lead = undefined;
      stopped = false;
    },
    get running() {
      return loop.running;
    },
    get leading() {
      return !leads || lead?.leading === true;
    },
  };
  return mirror;
}

function reportError(error: unknown): void {
  const message =
    error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);
  process.stderr.write(`chain mirror: ${message}\n`);
}
