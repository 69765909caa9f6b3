import { expect } from 'chai';
import {
  createChainMirror,
  type ChainMirror,
  type ChainMirrorOptions,
} from '../../../oracle/src/chain/createChainMirror';
import type { StateChangeEvent } from '../../../oracle/src/chain/events';
import { getTwin, TWIN_STATES, type Store } from '../../../store/src';
import { formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { exampleDocuments, mintArguments } from '../../fixtures';
import { createTestDatabase, type TestDatabase } from '../../helpers/store';
import { CAST, deployOnNode, mintOnNode, type NodeRegistry } from './deployOnNode';
import { startHardhatNode, type HardhatNode } from './hardhatNode';

/** The confirmation depth of the harness's main mirror. */
export const CONFIRMATIONS = 3;
/** The mirrors' clock: notification and confirmation times. */
export const NOW = Date.parse('2026-05-01T10:00:00.000Z');
/** The chain-derived tables two mirrors of the same chain must agree on. */
export const TABLES = [
  'twins',
  'twin_updates',
  'twin_state_changes',
  'entities',
  'notifications',
  'chain_events',
  'batches',
];

const ORDER: Record<string, string> = {
  twins: 'device_id',
  twin_updates: 'device_id, update_index',
  twin_state_changes: 'block, log_index',
  entities: 'account',
  notifications: 'block, log_index',
  chain_events: 'block, log_index',
  batches: 'id',
};

/** Every row of the chain-derived tables in a stable order (row ids left out), to compare two databases. */
export async function dump(index: Store): Promise<Record<string, unknown[]>> {
  const tables = await Promise.all(
    TABLES.map(async (table) => {
      const { rows } = await index.query<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${ORDER[table]}`);
      return [
        table,
        rows.map((row) =>
          Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'id' || table === 'batches')),
        ),
      ] as const;
    }),
  );
  return Object.fromEntries(tables);
}

/** Row counts of the chain-derived tables. */
export async function counts(index: Store): Promise<Record<string, number>> {
  const tables = await Promise.all(
    TABLES.map(async (table) => {
      const { rows } = await index.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      return [table, Number(rows[0]!.n)] as const;
    }),
  );
  return Object.fromEntries(tables);
}

/** The outbox events of `kinds` in commit order: what every API instance's feed streams. */
export async function outbox(
  index: Store,
  kinds: readonly string[] = ['chain', 'state', 'anchored'],
): Promise<{ kind: string; deviceId: string | null; payload: Record<string, number> }[]> {
  const { rows } = await index.query<{ kind: string; device_id: string | null; payload: Record<string, number> }>(
    'SELECT kind, device_id, payload FROM events WHERE kind = ANY($1::text[]) ORDER BY seq',
    [kinds],
  );
  return rows.map((row) => ({ kind: row.kind, deviceId: row.device_id, payload: row.payload }));
}

/** A node with the registry deployed, a test database and a mirror of it with {@link CONFIRMATIONS}. */
export type MirrorHarness = {
  node: HardhatNode;
  registry: NodeRegistry;
  /** The example twins' mint arguments and DeviceIDs (0x + 64 hex). */
  minted: ReturnType<typeof mintArguments>[];
  ids: string[];
  database: TestDatabase;
  index: Store;
  mirror: ChainMirror;
  /** What the mirrors built with {@link MirrorHarness.options} published and reported. */
  published: StateChangeEvent[];
  errors: unknown[];
  /** Mirror options on this node and deployment, the harness's index, clock and recorders, then `overrides`. */
  options(overrides?: Partial<ChainMirrorOptions>): ChainMirrorOptions;
  /** Closes the store and mirror and opens them again on the same database (a restart). */
  restart(): Promise<void>;
  /** A mirror of this chain on a fresh database of its own (stopped and closed by {@link close}). */
  fresh(overrides?: Partial<ChainMirrorOptions>): Promise<{ index: Store; mirror: ChainMirror }>;
  /** Mines until the last transaction has {@link CONFIRMATIONS}, then syncs `target` (default: the main mirror). */
  settle(target?: ChainMirror): ReturnType<ChainMirror['syncOnce']>;
  /** Asserts that `target`'s twin equals what the contract's `twinOf` returns. */
  expectMirrors(target: Store, deviceId: string): Promise<void>;
  /** Mints the example twins from the manufacturer, the second one listed at `secondPrice`. */
  mintExamples(secondPrice: bigint): Promise<Awaited<ReturnType<typeof mintOnNode>>[]>;
  close(): Promise<void>;
};

/**
 * Starts a Hardhat node, deploys the registry with its cast, and opens a test database and a mirror.
 *
 * @example
 * before(async () => (harness = await startMirrorHarness())); after(() => harness.close())
 */
export async function startMirrorHarness(): Promise<MirrorHarness> {
  const node = await startHardhatNode();
  let registry: NodeRegistry;
  try {
    registry = await deployOnNode(node);
  } catch (error) {
    await node.stop();
    throw error;
  }
  const database = await createTestDatabase();
  const extra: { index: Store; mirror: ChainMirror }[] = [];
  const minted = exampleDocuments().map((example) => mintArguments(example.document));
  const harness: MirrorHarness = {
    node,
    registry,
    minted,
    ids: minted.map((twin) => formatDeviceId(twin.deviceId)),
    database,
    index: await database.open(),
    mirror: undefined as unknown as ChainMirror,
    published: [],
    errors: [],
    options: (overrides = {}) => ({
      provider: node.provider,
      deployment: registry.deployment,
      index: harness.index,
      confirmations: CONFIRMATIONS,
      batchBlocks: 5,
      now: () => NOW,
      onStateChange: (event) => void harness.published.push(event),
      onError: (error) => void harness.errors.push(error),
      ...overrides,
    }),
    async restart() {
      await harness.mirror.stop();
      await harness.index.close();
      harness.index = await database.open();
      harness.mirror = createChainMirror(harness.options());
    },
    async fresh(overrides = {}) {
      const index = await (await createTestDatabase()).open();
      const mirror = createChainMirror(harness.options({ index, ...overrides }));
      extra.push({ index, mirror });
      return { index, mirror };
    },
    async settle(target = harness.mirror) {
      await node.mine(CONFIRMATIONS - 1);
      return target.syncOnce();
    },
    async expectMirrors(target, deviceId) {
      const onChain = await registry.twins.twinOf(deviceId);
      const twin = await getTwin(target, deviceId);
      expect(twin, deviceId).to.not.equal(undefined);
      const { owner, deviceSigner, manufacturer, state, forSale, price, staticHash, updateCount, reviewRequested } =
        twin!;
      expect({
        owner,
        deviceSigner,
        manufacturer,
        state,
        forSale,
        price,
        staticHash,
        updateCount,
        reviewRequested,
      }).to.deep.equal({
        owner: onChain.owner,
        deviceSigner: onChain.deviceSigner,
        manufacturer: onChain.manufacturer,
        state: TWIN_STATES[Number(onChain.state)],
        forSale: onChain.forSale,
        price: onChain.price,
        staticHash: onChain.staticHash,
        updateCount: Number(onChain.updateCount),
        reviewRequested: onChain.reviewRequested,
      });
    },
    async mintExamples(secondPrice) {
      const receipts = [];
      for (const [i, twin] of minted.entries()) {
        const price = i === 1 ? secondPrice : 0n;
        receipts.push(await mintOnNode(node, registry, twin, node.wallet(CAST.deviceSigner).privateKey, price));
      }
      return receipts;
    },
    async close() {
      await harness.mirror?.stop();
      for (const other of extra.splice(0)) {
        await other.mirror.stop();
        await other.index.close();
      }
      await harness.index.close();
      await node.stop();
    },
  };
  harness.mirror = createChainMirror(harness.options());
  return harness;
}
