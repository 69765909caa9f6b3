import type { Provider } from 'ethers';
import {
  deleteChainNotificationsAfter,
  deleteTwinHistoryAfter,
  lockCursor,
  newestChainEventBlocks,
  recordEvent,
  setCursor,
  takeChainEventsAfter,
  unconfirmBatchesAfter,
  withTransaction,
  type Db,
  type Store,
} from '../../../store/src';
import { rebuildFromEventLog } from './applyEvents';
import { ChainMirrorError } from './errors';

/** A block the mirror can resume after: its number and hash (null below the deployment). */
export type ForkPoint = { block: number; hash: string | null };

/** How many event blocks {@link findForkPoint} reads from the store at once, newest first. */
export const FORK_SEARCH_PAGE = 1_000;

/**
 * The last block the index holds events of that is still on the node's chain, comparing the hash each block had
 * when applied with the node's. A block is canonical exactly when its descendants' are, so the search is sound. It
 * pages backwards from the newest event block ({@link FORK_SEARCH_PAGE} at a time, so however many blocks the log
 * holds, and a shallow reorganisation near the head costs one page and a few node requests): the first page whose
 * oldest block is still canonical holds the fork, found there by binary search. With none left, the fork point is
 * `floor` (below the deployment).
 *
 * @example
 * const fork = await findForkPoint(provider, store, deployment.deploymentBlock - 1)
 */
export async function findForkPoint(provider: Provider, db: Db, floor: number): Promise<ForkPoint> {
  const canonical = async (stored: { block: number; hash: string }) =>
    (await provider.getBlock(stored.block))?.hash?.toLowerCase() === stored.hash;
  let below: number | undefined;
  for (;;) {
    const page = await newestChainEventBlocks(db, {
      limit: FORK_SEARCH_PAGE,
      ...(below === undefined ? {} : { below }),
    });
    if (page.length === 0) return { block: floor, hash: null };
    if (await canonical(page[0]!)) return { block: page[0]!.block, hash: page[0]!.hash };
    const oldest = page[page.length - 1]!;
    if (page.length > 1 && (await canonical(oldest))) {
      // page[low] is not canonical, page[high] is: narrow down to the newest canonical one.
      let low = 0;
      let high = page.length - 1;
      while (high - low > 1) {
        const middle = (low + high) >> 1;
        if (await canonical(page[middle]!)) high = middle;
        else low = middle;
      }
      return { block: page[high]!.block, hash: page[high]!.hash };
    }
    below = oldest.block;
  }
}

/** What {@link rewindTo} undid. */
export type Rewind = { fork: ForkPoint; undoneEvents: number; unconfirmedBatches: number };

/**
 * Undoes everything the mirror applied above `fork.block`, in one transaction: deletes the history rows,
 * notifications and logged events of those blocks, turns the batches they confirmed back to `submitted`, rebuilds
 * the twins and entities they touched from the events that remain, and moves cursor `cursorName` back to the fork.
 * The transaction takes the cursor's lock first and compares the cursor with `from` (where the caller found it):
 * when another instance moved it meanwhile, nothing is undone (a ChainMirrorError). Owner notifications already
 * published over MQTT cannot be recalled; their rows go. One outbox event, `rewind` `{ block }` (no DeviceID), tells
 * every instance's caches that anything may have changed (the API's twin views are dropped); streams skip it.
 *
 * @example
 * await rewindTo(store, await findForkPoint(provider, store, floor), 'chain-mirror:31337:0x…', cursor)
 */
export async function rewindTo(
  store: Store,
  fork: ForkPoint,
  cursorName: string,
  from: ForkPoint,
  now = Date.now(),
): Promise<Rewind> {
  return withTransaction(store, async (tx) => {
    const current = await lockCursor(tx, cursorName);
    if (!sameCursor(current, from)) throw movedError(cursorName, from);
    const undone = await takeChainEventsAfter(tx, fork.block);
    await deleteTwinHistoryAfter(tx, fork.block);
    await deleteChainNotificationsAfter(tx, fork.block);
    const unconfirmedBatches = await unconfirmBatchesAfter(tx, fork.block);
    await rebuildFromEventLog(tx, undone);
    await setCursor(tx, { name: cursorName, lastProcessedBlock: fork.block, lastBlockHash: fork.hash }, now);
    await recordEvent(tx, { kind: 'rewind', payload: { block: fork.block } });
    return { fork, undoneEvents: undone.length, unconfirmedBatches };
  });
}

/**
 * Whether the stored cursor is still at `point` (no cursor: nothing processed, `point.hash` null).
 *
 * @example
 * if (!sameCursor(await lockCursor(tx, name), base)) throw movedError(name, base)
 */
export function sameCursor(
  current: { lastProcessedBlock: number; lastBlockHash: string | null } | undefined,
  point: ForkPoint,
): boolean {
  if (current === undefined) return point.hash === null;
  return current.lastProcessedBlock === point.block && (current.lastBlockHash ?? null) === point.hash;
}

/**
 * The error of a compare-and-set that found the cursor moved by another instance.
 *
 * @example
 * throw movedError(cursorName, base)
 */
export function movedError(cursorName: string, from: ForkPoint): ChainMirrorError {
  return new ChainMirrorError('Another instance moved the chain cursor.', {
    details: `${cursorName} is no longer at block ${from.block}: nothing applied (the mirror's leader moves it)`,
  });
}
