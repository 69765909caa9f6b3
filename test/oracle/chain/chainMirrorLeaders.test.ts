import { expect } from 'chai';
import { createChainMirror, type ChainMirror } from '../../../oracle/src/chain/createChainMirror';
import type { StateChangeEvent } from '../../../oracle/src/chain/events';
import type { Store } from '../../../store/src';
import { State } from '../../fixtures';
import { waitUntil } from '../../helpers/brokers';
import { createTestDatabase, type TestDatabase } from '../../helpers/store';
import { CAST, mined } from './deployOnNode';
import { CONFIRMATIONS, dump, outbox, startMirrorHarness, TABLES, type MirrorHarness } from './mirrorHarness';

/** One instance: its own pool on the shared database, its mirror, what it published. */
type Instance = { index: Store; mirror: ChainMirror; published: StateChangeEvent[]; errors: unknown[] };

/** The (block, log index) of each published state change: what must be published once across instances. */
const keys = (events: readonly StateChangeEvent[]) => events.map((event) => `${event.block}:${event.logIndex}`);

describe('oracle chain mirror: instances on one database (a real Hardhat node, one PostgreSQL)', function () {
  this.timeout(120_000);
  let h: MirrorHarness;
  let database: TestDatabase;
  const instances: Instance[] = [];
  const as = (account: number) => h.node.wallet(account);

  async function instance(lead = true): Promise<Instance> {
    const index = await database.open();
    const made: Instance = { index, mirror: undefined as unknown as ChainMirror, published: [], errors: [] };
    made.mirror = createChainMirror(
      h.options({
        index,
        lead,
        leadProbeMs: 200,
        onStateChange: (event) => void made.published.push(event),
        onError: (error) => void made.errors.push(error),
      }),
    );
    instances.push(made);
    return made;
  }

  /** Suspends and reactivates each example twin (the security entity): state changes to publish. */
  async function changeStates(): Promise<void> {
    const soc = as(CAST.security);
    for (const deviceId of h.ids) {
      await mined(h.registry.twins.connect(soc).setState(deviceId, State.Suspended, `bafy-${deviceId.slice(2, 10)}`));
      await mined(h.registry.twins.connect(soc).setState(deviceId, State.Active, 'bafy-clean'));
    }
    await h.node.mine(CONFIRMATIONS - 1);
  }

  /** The shared database agrees with the reference mirror (its own database, one instance): tables and outbox. */
  async function expectSameAsReference(shared: Store): Promise<void> {
    await h.settle();
    const [reference, theirs] = [await dump(h.index), await dump(shared)];
    for (const table of TABLES) expect(theirs[table], table).to.deep.equal(reference[table]);
    expect(await outbox(shared)).to.deep.equal(await outbox(h.index));
  }

  before(async function () {
    h = await startMirrorHarness();
    database = await createTestDatabase();
    await h.mintExamples(0n);
  });
  afterEach(async function () {
    for (const { mirror, index } of instances.splice(0)) {
      await mirror.stop();
      await index.close();
    }
  });
  after(async function () {
    await h?.close();
  });

  it('one of two mirrors leads; when its session dies the other takes over: no event applied twice, none missed', async function () {
    const [a, b] = [await instance(), await instance()];
    await h.node.mine(CONFIRMATIONS - 1);
    const [first, second] = await Promise.all([a.mirror.syncOnce(), b.mirror.syncOnce()]);
    expect([first.leading, second.leading].sort()).to.deep.equal([false, true]);
    const [leader, follower] = first.leading ? [a, b] : [b, a];
    expect(leader.mirror.leading).to.equal(true);
    expect(follower.mirror.leading).to.equal(false);
    expect((first.leading ? second : first).events).to.equal(0);

    await changeStates();
    // The follower keeps trying and applies nothing while the leader lives; the leader applies and publishes.
    expect((await follower.mirror.syncOnce()).leading).to.equal(false);
    const applied = await leader.mirror.syncOnce();
    expect(applied).to.include({ leading: true, stateChanges: 2 * h.ids.length });
    expect(follower.published).to.deep.equal([]);

    // The leader dies: its lead session is killed from outside and its pool closed, without stopping its mirror.
    await changeStates();
    const killed = await follower.index.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'twin-store-leader' AND datname = current_database()`,
    );
    expect(killed.rowCount).to.equal(1);
    await leader.index.close();
    await waitUntil(() => !leader.mirror.leading, 10_000, 'the old leader to see its lead lost');
    let taken = await follower.mirror.syncOnce();
    const deadline = Date.now() + 10_000;
    while (!taken.leading && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      taken = await follower.mirror.syncOnce();
    }
    expect(taken.leading, 'the follower leads once the lock is free').to.equal(true);
    expect(taken).to.include({ fromBlock: applied.toBlock + 1, stateChanges: 2 * h.ids.length });

    await expectSameAsReference(follower.index);
    const all = [...leader.published, ...follower.published];
    expect(keys(all)).to.deep.equal(keys(h.published));
    expect(new Set(keys(all)).size).to.equal(all.length);
    expect(follower.errors).to.deep.equal([]);
  });

  it('two mirrors syncing at once without a lead: the cursor’s compare-and-set applies each range once', async function () {
    await changeStates();
    const [a, b] = [await instance(false), await instance(false)];
    const before = h.published.length;
    // Racing from one cursor: whichever commits a range first wins it, the other writes nothing for it.
    const refused: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled([a.mirror.syncOnce(), b.mirror.syncOnce()]);
      for (const result of results) if (result.status === 'rejected') refused.push(result.reason);
    }
    expect((await a.mirror.syncOnce()).leading).to.equal(true);
    for (const error of refused) expect(String(error)).to.include('Another instance moved the chain cursor');
    await expectSameAsReference(a.index);
    const all = [...a.published, ...b.published];
    expect(new Set(keys(all)).size).to.equal(all.length);
    expect(keys(all).sort()).to.deep.equal(keys(h.published.slice(before)).sort());
  });
});
