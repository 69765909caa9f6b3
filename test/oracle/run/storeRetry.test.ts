import { expect } from 'chai';
import { JsonRpcProvider } from 'ethers';
import { getTwin, upsertTwin, withTransaction, type Store } from '../../../store/src';
import { createTwinDirectory } from '../../../oracle/src/ingest/twinDirectory';
import { createStoreRetry } from '../../../oracle/src/run/storeRetry';
import { createTestDatabase, type TestDatabase } from '../../helpers/store';

const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const SIGNER = '0x00000000000000000000000000000000000000a1';
const OWNER = '0x00000000000000000000000000000000000000b2';
/** Holds the pool's only connection for `ms`. */
const holdConnection = (store: Store, ms: number) =>
  withTransaction(store, (tx) => tx.query(`SELECT pg_sleep(${ms / 1000})`));

describe('The oracle under a store burst: retries of transient failures, twin lookups in batches', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  const lines: { level: string; message: string }[] = [];
  const log = (level: string, message: string) => void lines.push({ level, message });
  before(async () => {
    database = await createTestDatabase();
    store = await database.open({ poolSize: 1, connectTimeoutMs: 100 });
    for (let n = 1; n <= 600; n++) {
      await upsertTwin(store, {
        deviceId: deviceIdOf(n),
        owner: OWNER,
        manufacturer: OWNER,
        deviceSigner: SIGNER,
        state: n === 2 ? 'deactivated' : 'active',
        forSale: false,
        price: 0n,
        staticHash: `0x${'ab'.repeat(32)}`,
        staticCid: 'bafk',
        updateCount: 0,
        reviewRequested: false,
        mintedBlock: 1,
        updatedBlock: 1,
      });
    }
  });

  it('retries a lookup whose pool wait timed out until it gets a connection, counted and logged once', async function () {
    const retry = createStoreRetry({ log, baseDelayMs: 50 });
    const held = holdConnection(store, 500);
    const twin = await retry.run('lookup', () => getTwin(store, deviceIdOf(1)));
    await held;
    expect(twin?.deviceSigner).to.equal(SIGNER);
    expect(retry.counters.retries).to.be.greaterThan(0);
    expect(retry.counters.givenUp).to.equal(0);
    expect(lines.filter((line) => line.message === 'store busy or unavailable: retrying')).to.have.length(1);
  });

  it('gives up after its attempts (counted) and never retries a lasting failure', async function () {
    const retry = createStoreRetry({ log, attempts: 2, baseDelayMs: 10 });
    const held = holdConnection(store, 800);
    const error = await retry.run('lookup', () => getTwin(store, deviceIdOf(1))).catch((thrown: Error) => thrown);
    await held;
    expect((error as Error).message).to.match(/Cannot get|timeout exceeded/);
    expect(retry.counters).to.deep.equal({ retries: 1, givenUp: 1 });
    let calls = 0;
    const lasting = await retry
      .run('lookup', async () => {
        calls++;
        return getTwin(store, 'not a device');
      })
      .catch((thrown: Error) => thrown);
    expect((lasting as Error).message).to.match(/Invalid DeviceID/);
    expect(calls).to.equal(1);
  });

  it('reads 600 twins asked at once in a few statements on a one-connection pool, each answer its own', async function () {
    // No chain call is made: every twin is in the mirror (the provider's URL answers nothing).
    const provider = new JsonRpcProvider('http://127.0.0.1:9', undefined, { staticNetwork: true });
    const twins = createTwinDirectory({ index: store, provider, twinRegistry: SIGNER });
    const answers = await Promise.all(Array.from({ length: 600 }, (_, n) => twins.twin(deviceIdOf(n + 1))));
    provider.destroy();
    expect(answers.every((twin) => twin?.deviceSigner === SIGNER)).to.equal(true);
    expect(answers[1]!.state).to.equal(3); // deactivated, as the contract numbers it
    expect(answers.filter((twin) => twin!.state === 0)).to.have.length(599);
    expect(twins.lookups.twins).to.equal(600);
    expect(twins.lookups.statements).to.be.within(1, 2);
  });
});
