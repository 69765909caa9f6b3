import { expect } from 'chai';
import {
  createChainMirror,
  type ChainMirror,
  type ChainMirrorOptions,
  type MirrorTimers,
} from '../../../oracle/src/chain/createChainMirror';
import { ChainMirrorError } from '../../../oracle/src/chain/errors';
import { getCursor, getTwin, listStateChanges, listTwins, notificationsFor, type Store } from '../../../store/src';
import { State } from '../../fixtures';
import { waitUntil } from '../../helpers/brokers';
import { createTestDatabase } from '../../helpers/store';
import { CAST, mined } from './deployOnNode';
import { CONFIRMATIONS, dump, outbox, startMirrorHarness, type MirrorHarness } from './mirrorHarness';

/**
 * Runs `work` with a store on a fresh test database and a maker of mirrors on it (`options` gives the harness's);
 * every mirror is stopped (its lead released) and the store closed afterwards.
 */
async function withFreshStore(
  options: (overrides: Partial<ChainMirrorOptions>) => ChainMirrorOptions,
  work: (index: Store, mirror: (overrides?: Partial<ChainMirrorOptions>) => ChainMirror) => Promise<void>,
): Promise<void> {
  const index = await (await createTestDatabase()).open();
  const mirrors: ChainMirror[] = [];
  try {
    await work(index, (overrides = {}) => {
      const made = createChainMirror(options({ index, ...overrides }));
      mirrors.push(made);
      return made;
    });
  } finally {
    for (const made of mirrors) await made.stop();
    await index.close();
  }
}

/** What `promise` rejected with, or undefined when it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('oracle chain mirror: polling, refusals and reorganisations (a real Hardhat node over JSON-RPC)', function () {
  this.timeout(60_000);
  let h: MirrorHarness;
  const as = (account: number) => h.node.wallet(account);

  before(async function () {
    h = await startMirrorHarness();
    await h.mintExamples(9n); // the second twin is listed at 9 wei by the manufacturer
    await h.settle();
  });
  after(async function () {
    await h?.close();
  });

  it('start() syncs at once and then on its injected timer; stop() ends the loop', async function () {
    await withFreshStore(h.options, async (index, mirror) => {
      const scheduled: { callback: () => void; ms: number }[] = [];
      const cleared: unknown[] = [];
      const timers: MirrorTimers = {
        setTimeout: (callback, ms) => scheduled.push({ callback, ms }),
        clearTimeout: (handle) => void cleared.push(handle),
      };
      const loop = mirror({ timers, batchBlocks: 1_000 });
      try {
        loop.start(1_000);
        expect(loop.running).to.equal(true);
        await waitUntil(() => scheduled.length === 1, 20_000, 'the first sync');
        expect(scheduled[0]!.ms).to.equal(1_000);
        expect((await listTwins(index)).total).to.equal(3);

        await mined(h.registry.twins.connect(as(CAST.manufacturer)).list(h.ids[0]!, 5n));
        await h.node.mine(CONFIRMATIONS - 1);
        scheduled[0]!.callback();
        await waitUntil(() => scheduled.length === 2, 20_000, 'the second sync');
        expect(await getTwin(index, h.ids[0]!)).to.include({ forSale: true, price: 5n });

        await loop.stop();
        expect(loop.running).to.equal(false);
        expect(cleared).to.deep.equal([2]); // the handle of the second timer, never fired
      } finally {
        await loop.stop();
      }
    });
    await h.settle();
  });

  it('refuses a node of another chain and an index that mirrors another deployment', async function () {
    const wrongChain = createChainMirror(h.options({ deployment: { ...h.registry.deployment, chainId: 1 } }));
    const chainError = await rejectionOf(wrongChain.syncOnce());
    expect(chainError).to.be.instanceOf(ChainMirrorError);
    expect(String(chainError)).to.include('another chain');

    const contracts = { ...h.registry.deployment.contracts, TwinRegistry: as(9).address };
    const elsewhere = createChainMirror(h.options({ deployment: { ...h.registry.deployment, contracts } }));
    const deploymentError = await rejectionOf(elsewhere.syncOnce());
    expect(deploymentError).to.be.instanceOf(ChainMirrorError);
    expect(String(deploymentError)).to.include('another deployment');
  });

  it('undoes a reorganisation deeper than its confirmation depth and re-applies the new chain', async function () {
    // A second index follows the head (1 confirmation): a reorganisation of one block is deep for it.
    await withFreshStore(h.options, async (shallowIndex, mirror) => {
      const shallow = mirror({ confirmations: 1, batchBlocks: 1_000 });
      await shallow.syncOnce();
      const maker = as(CAST.manufacturer);
      const device = h.ids[1]!;
      const snapshot = (await h.node.provider.send('evm_snapshot', [])) as string;
      const orphaned = await mined(h.registry.twins.connect(maker).list(device, 7n));
      await mined(h.registry.twins.connect(as(CAST.security)).setState(device, State.Suspended, 'bafy-orphaned'));
      h.published.length = 0;
      await shallow.syncOnce();
      expect(await getTwin(shallowIndex, device)).to.include({ state: 'suspended', forSale: false, price: 0n });
      expect((await notificationsFor(shallowIndex, maker.address)).at(-1)!.payload).to.deep.include({
        reason: 'bafy-orphaned',
      });
      expect(h.published).to.have.length(1);

      expect(await h.node.provider.send('evm_revert', [snapshot])).to.equal(true);
      await mined(h.registry.twins.connect(maker).list(device, 10n));
      await h.node.mine(2);
      const result = await shallow.syncOnce();
      expect(result.rewind, 'rewind').to.not.equal(undefined);
      expect(result.rewind!.fork.block).to.be.below(orphaned.blockNumber);
      expect(result.rewind!.undoneEvents).to.equal(3); // TwinListed, TwinStateChanged, TwinDelisted
      await h.expectMirrors(shallowIndex, device);
      expect(await getTwin(shallowIndex, device)).to.include({ state: 'active', forSale: true, price: 10n });
      expect(await listStateChanges(shallowIndex, device)).to.have.length(0);
      const reasons = (await notificationsFor(shallowIndex, maker.address)).map(
        (row) => (row.payload as { reason?: string }).reason,
      );
      expect(reasons).to.not.include('bafy-orphaned');
      const orphanedEvents = await shallowIndex.query('SELECT 1 FROM chain_events WHERE tx = $1', [
        orphaned.hash.toLowerCase(),
      ]);
      expect(orphanedEvents.rowCount).to.equal(0);
      // The live feed: the undone events stay (readers re-read by id), the new chain's follow.
      const states = (await outbox(shallowIndex, ['state'])).map((event) => event.payload.block);
      expect(states).to.include(orphaned.blockNumber + 1);
      // …and one `rewind` event at the fork, which drops every cached twin view.
      const rewinds = (await outbox(shallowIndex, ['rewind'])).map((event) => event.payload.block);
      expect(rewinds).to.deep.equal([result.rewind!.fork.block]);

      // The main mirror (3 confirmations) never applied the orphaned blocks: nothing to undo there.
      const main = await h.settle();
      expect(main.rewind).to.equal(undefined);
      await h.expectMirrors(h.index, device);
      const [mine, theirs] = [await dump(h.index), await dump(shallowIndex)];
      for (const table of [
        'twins',
        'twin_updates',
        'twin_state_changes',
        'entities',
        'notifications',
        'chain_events',
      ]) {
        expect(theirs[table], table).to.deep.equal(mine[table]);
      }
    });
  });

  it('applies nothing from a range the chain reorganised while it was being read, then catches up', async function () {
    await withFreshStore(h.options, async (index, mirror) => {
      const maker = as(CAST.manufacturer);
      const device = h.ids[1]!;
      const plain = mirror({ confirmations: 1, batchBlocks: 1_000 });
      await plain.syncOnce();
      await plain.stop(); // its lead released: the racing mirror below leads
      const before = (await getCursor(index, plain.cursorName))!;
      expect(await getTwin(index, device)).to.include({ forSale: true, price: 10n });

      const snapshot = (await h.node.provider.send('evm_snapshot', [])) as string;
      await mined(h.registry.twins.connect(maker).delist(device));
      // A provider that, right after getLogs returns the delisting, replaces its block with a relisting at 11 wei.
      let armed = true;
      const provider = new Proxy(h.node.provider, {
        get(target, property) {
          if (property === 'getLogs') {
            return async (filter: Parameters<typeof target.getLogs>[0]) => {
              const logs = await target.getLogs(filter);
              if (armed) {
                armed = false;
                await target.send('evm_revert', [snapshot]);
                await mined(h.registry.twins.connect(maker).list(device, 11n));
              }
              return logs;
            };
          }
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const racing = mirror({ provider, confirmations: 1, batchBlocks: 1_000 });
      const error = await rejectionOf(racing.syncOnce());
      expect(armed).to.equal(false);
      expect(error).to.be.instanceOf(ChainMirrorError);
      expect(String(error)).to.include('changed while blocks were read');
      expect(await getCursor(index, plain.cursorName)).to.deep.include({
        lastProcessedBlock: before.lastProcessedBlock,
      });
      expect(await getTwin(index, device)).to.include({ forSale: true, price: 10n });

      const result = await racing.syncOnce();
      expect(result.rewind).to.equal(undefined);
      expect(result.events).to.equal(1);
      expect(await getTwin(index, device)).to.include({ forSale: true, price: 11n });
      await h.expectMirrors(index, device);
    });
    expect(h.errors).to.deep.equal([]);
  });
});
