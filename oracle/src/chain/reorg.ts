import type { Provider } from 'ethers';
import { unconfirmBatchesAfter } from '../index/batches';
import { chainEventBlocks, chainEventsAfter, deleteChainEventsAfter } from '../index/chainEvents';
import { setCursor } from '../index/cursor';
import { deleteChainNotificationsAfter } from '../index/notifications';
import type { Index } from '../index/openIndex';
import { undoPeerBatchesAfter } from '../index/peerBatches';
import { deleteTwinHistoryAfter } from '../index/twinHistory';
import { rebuildFromEventLog } from './applyEvents';

/** A block the mirror can resume after: its number and hash (null below the deployment). */
export type ForkPoint = { block: number; hash: string | null };

/**
 * The last block the index holds events of that is still on the node's chain: a binary search over the blocks of
 * the chain event log, comparing the hash each had when applied with the node's. A block is canonical exactly when
 * its descendants' are, so the search is sound. With none left, the fork point is `floor` (below the deployment).
 *
 * @example
 * const fork = await findForkPoint(provider, index, deployment.deploymentBlock - 1)
 */
export async function findForkPoint(provider: Provider, index: Index, floor: number): Promise<ForkPoint> {
  const blocks = chainEventBlocks(index);
  let low = 0;
  let high = blocks.length - 1;
  let best: ForkPoint = { block: floor, hash: null };
  while (low <= high) {
    const middle = (low + high) >> 1;
    const stored = blocks[middle]!;
    const onChain = await provider.getBlock(stored.block);
    if (onChain?.hash?.toLowerCase() === stored.hash) {
      best = { block: stored.block, hash: stored.hash };
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}

/** What {@link rewindTo} undid. */
export type Rewind = { fork: ForkPoint; undoneEvents: number; unconfirmedBatches: number; undonePeerBatches: number };

/**
 * Undoes everything the mirror applied above `fork.block`, in one transaction: deletes the history rows,
 * notifications and logged events of those blocks, deletes the peer batches anchored in them (with the snapshots and
 * batch their import wrote: the importer imports them again if their events come back), turns the batches they
 * confirmed back to `submitted`, rebuilds the twins and entities they touched from the events that remain, and moves
 * cursor `cursorName` back to the fork. Owner notifications already published over MQTT cannot be recalled; their rows go.
 *
 * @example
 * rewindTo(index, await findForkPoint(provider, index, floor), 'chain-mirror:31337:0x…')
 */
export function rewindTo(index: Index, fork: ForkPoint, cursorName: string, now = Date.now()): Rewind {
  return index.transaction(() => {
    const undone = chainEventsAfter(index, fork.block);
    deleteTwinHistoryAfter(index, fork.block);
    deleteChainNotificationsAfter(index, fork.block);
    const undonePeerBatches = undoPeerBatchesAfter(index, fork.block);
    const unconfirmedBatches = unconfirmBatchesAfter(index, fork.block);
    deleteChainEventsAfter(index, fork.block);
    rebuildFromEventLog(index, undone);
    setCursor(index, { name: cursorName, lastProcessedBlock: fork.block, lastBlockHash: fork.hash }, now);
    return { fork, undoneEvents: undone.length, unconfirmedBatches, undonePeerBatches };
  });
}
