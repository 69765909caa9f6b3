import { expect } from 'chai';
import { FORK_SEARCH_PAGE, findForkPoint } from '../../../oracle/src/chain/reorg';
import { newestChainEventBlocks, recordChainEvents, type StoredChainEvent, type Store } from '../../../store/src';
import { createTestDatabase } from '../../helpers/store';
import { startHardhatNode, type HardhatNode } from './hardhatNode';

const BLOCKS = 2_600; // more than two pages of the search
const ORPHAN = (block: number) => `0x${'ee'.repeat(28)}${block.toString(16).padStart(8, '0')}`;

describe('findForkPoint: the newest canonical block of the event log, paging back from the head (a real Hardhat node)', function () {
  this.timeout(120_000);
  let node: HardhatNode;
  let index: Store;
  const canonicalHash = new Map<number, string>();

  before(async function () {
    node = await startHardhatNode();
    await node.provider.send('hardhat_mine', [`0x${(BLOCKS + 5).toString(16)}`]);
    for (let block = 1; block <= BLOCKS; block += 1) {
      canonicalHash.set(block, (await node.provider.getBlock(block))!.hash!.toLowerCase());
    }
    index = await (await createTestDatabase()).open();
  });
  after(async function () {
    await index?.close();
    await node?.stop();
  });

  /** Logs one event in each of blocks 1..BLOCKS, the blocks above `forkAfter` with a hash the chain never had. */
  async function logEvents(forkAfter: number): Promise<void> {
    await index.query('TRUNCATE chain_events');
    const events: StoredChainEvent[] = [];
    for (let block = 1; block <= BLOCKS; block += 1) {
      events.push({
        block,
        logIndex: 0,
        blockHash: block > forkAfter ? ORPHAN(block) : canonicalHash.get(block)!,
        tx: `0x${'12'.repeat(32)}`,
        contract: 'TwinRegistry',
        name: 'TwinListed',
        subject: `0x${block.toString(16).padStart(64, '0')}`,
        payload: { price: '1' },
      });
    }
    for (let start = 0; start < events.length; start += 500) {
      await recordChainEvents(index, events.slice(start, start + 500));
    }
  }

  it('pages the log newest first, below a bound', async function () {
    await logEvents(BLOCKS);
    const page = await newestChainEventBlocks(index, { limit: FORK_SEARCH_PAGE });
    expect(page).to.have.length(FORK_SEARCH_PAGE);
    expect(page[0]).to.deep.equal({ block: BLOCKS, hash: canonicalHash.get(BLOCKS) });
    expect(page.at(-1)!.block).to.equal(BLOCKS - FORK_SEARCH_PAGE + 1);
    const next = await newestChainEventBlocks(index, { limit: 3, below: page.at(-1)!.block });
    expect(next.map((row) => row.block)).to.deep.equal([1_600, 1_599, 1_598]);
  });

  for (const [name, forkAfter] of [
    ['no reorganisation: the newest logged block', BLOCKS],
    ['a shallow one, within the first page', BLOCKS - 7],
    ['one at a page boundary', BLOCKS - FORK_SEARCH_PAGE],
    ['one deeper than two pages', 137],
    ['every logged block orphaned: the floor', 0],
  ] as const) {
    it(`finds ${name}`, async function () {
      await logEvents(forkAfter);
      const fork = await findForkPoint(node.provider, index, -1);
      expect(fork).to.deep.equal(
        forkAfter === 0 ? { block: -1, hash: null } : { block: forkAfter, hash: canonicalHash.get(forkAfter) },
      );
    });
  }
});
