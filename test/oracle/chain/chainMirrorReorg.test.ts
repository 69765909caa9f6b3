import { expect } from 'chai';
import { createChainMirror, type MirrorTimers } from '../../../oracle/src/chain/createChainMirror';
import { ChainMirrorError } from '../../../oracle/src/chain/errors';
import { getCursor } from '../../../oracle/src/index/cursor';
import { notificationsFor } from '../../../oracle/src/index/notifications';
import { openIndex, type Index } from '../../../oracle/src/index/openIndex';
import { listStateChanges } from '../../../oracle/src/index/twinHistory';
import { getTwin, listTwins } from '../../../oracle/src/index/twins';
import { State } from '../../fixtures';
import { waitUntil } from '../../helpers/brokers';
import { tempDirectory } from '../index/tempIndex';
import { CAST, mined } from './deployOnNode';
import { CONFIRMATIONS, dump, startMirrorHarness, type MirrorHarness } from './mirrorHarness';

/** Runs `work` with an index on a fresh temp file, closed and removed afterwards. */
async function withFreshIndex(work: (index: Index) => Promise<void>): Promise<void> {
  const temp = tempDirectory('twin-mirror-other-');
  const index = openIndex(temp.file);
  try {
    await work(index);
  } finally {
    index.close();
    temp.remove();
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
    await withFreshIndex(async (index) => {
      const scheduled: { callback: () => void; ms: number }[] = [];
      const cleared: unknown[] = [];
      const timers: MirrorTimers = {
        setTimeout: (callback, ms) => scheduled.push({ callback, ms }),
        clearTimeout: (handle) => void cleared.push(handle),
      };
      const loop = createChainMirror(h.options({ index, timers, batchBlocks: 1_000 }));
      try {
        loop.start(1_000);
        expect(loop.running).to.equal(true);
        await waitUntil(() => scheduled.length === 1, 20_000, 'the first sync');
        expect(scheduled[0]!.ms).to.equal(1_000);
        expect(listTwins(index).total).to.equal(3);

        await mined(h.registry.twins.connect(as(CAST.manufacturer)).list(h.ids[0]!, 5n));
        await h.node.mine(CONFIRMATIONS - 1);
        scheduled[0]!.callback();
        await waitUntil(() => scheduled.length === 2, 20_000, 'the second sync');
        expect(getTwin(index, h.ids[0]!)).to.include({ forSale: true, price: 5n });

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
    await withFreshIndex(async (shallowIndex) => {
      const shallow = createChainMirror(h.options({ index: shallowIndex, confirmations: 1, batchBlocks: 1_000 }));
      await shallow.syncOnce();
      const maker = as(CAST.manufacturer);
      const device = h.ids[1]!;
      const snapshot = (await h.node.provider.send('evm_snapshot', [])) as string;
      const orphaned = await mined(h.registry.twins.connect(maker).list(device, 7n));
      await mined(h.registry.twins.connect(as(CAST.security)).setState(device, State.Suspended, 'bafy-orphaned'));
      h.published.length = 0;
      await shallow.syncOnce();
      expect(getTwin(shallowIndex, device)).to.include({ state: 'suspended', forSale: false, price: 0n });
      expect(notificationsFor(shallowIndex, maker.address).at(-1)!.payload).to.deep.include({
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
      expect(getTwin(shallowIndex, device)).to.include({ state: 'active', forSale: true, price: 10n });
      expect(listStateChanges(shallowIndex, device)).to.have.length(0);
      const reasons = notificationsFor(shallowIndex, maker.address).map(
        (row) => (row.payload as { reason?: string }).reason,
      );
      expect(reasons).to.not.include('bafy-orphaned');
      const orphanedEvents = shallowIndex.db
        .prepare('SELECT count(*) AS n FROM chain_events WHERE tx = ?')
        .get(orphaned.hash);
      expect(orphanedEvents).to.deep.include({ n: 0 });

      // The main mirror (3 confirmations) never applied the orphaned blocks: nothing to undo there.
      const main = await h.settle();
      expect(main.rewind).to.equal(undefined);
      await h.expectMirrors(h.index, device);
      const [mine, theirs] = [dump(h.index), dump(shallowIndex)];
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
    await withFreshIndex(async (index) => {
      const maker = as(CAST.manufacturer);
      const device = h.ids[1]!;
      const plain = createChainMirror(h.options({ index, confirmations: 1, batchBlocks: 1_000 }));
      await plain.syncOnce();
      const before = getCursor(index, plain.cursorName)!;
      expect(getTwin(index, device)).to.include({ forSale: true, price: 10n });

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
      const racing = createChainMirror(h.options({ provider, index, confirmations: 1, batchBlocks: 1_000 }));
      const error = await rejectionOf(racing.syncOnce());
      expect(armed).to.equal(false);
      expect(error).to.be.instanceOf(ChainMirrorError);
      expect(String(error)).to.include('changed while blocks were read');
      expect(getCursor(index, plain.cursorName)).to.deep.include({ lastProcessedBlock: before.lastProcessedBlock });
      expect(getTwin(index, device)).to.include({ forSale: true, price: 10n });

      const result = await racing.syncOnce();
      expect(result.rewind).to.equal(undefined);
      expect(result.events).to.equal(1);
      expect(getTwin(index, device)).to.include({ forSale: true, price: 11n });
      await h.expectMirrors(index, device);
    });
    expect(h.errors).to.deep.equal([]);
  });
});
