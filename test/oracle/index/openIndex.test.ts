import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { IndexError } from '../../../oracle/src/index/errors';
import { MIGRATIONS } from '../../../oracle/src/index/migrations';
import { openIndex } from '../../../oracle/src/index/openIndex';
import { getTwin, upsertTwin } from '../../../oracle/src/index/twins';
import { thrownBy } from '../../helpers/thrownBy';
import { deviceIdOf, tempDirectory, tempIndex } from './tempIndex';

const ALICE = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

function sampleTwin(n: number) {
  return {
    deviceId: deviceIdOf(n),
    owner: ALICE,
    manufacturer: ALICE,
    deviceSigner: ALICE,
    state: 'active' as const,
    forSale: false,
    price: 0n,
    staticHash: `0x${'ab'.repeat(32)}`,
    staticCid: 'bafkreigh2akiscaildc',
    updateCount: 0,
    reviewRequested: false,
    mintedBlock: n,
    updatedBlock: n,
  };
}

describe('oracle index: openIndex', function () {
  it('creates the file and its directory, in WAL mode with foreign keys on, at the latest schema version', function () {
    const temp = tempIndex();
    try {
      expect(existsSync(temp.file)).to.equal(true);
      const { index } = temp;
      expect(index.schemaVersion).to.equal(MIGRATIONS.length);
      expect(index.db.prepare('PRAGMA journal_mode').get()).to.deep.include({ journal_mode: 'wal' });
      expect(index.db.prepare('PRAGMA foreign_keys').get()).to.deep.include({ foreign_keys: 1 });
      // A 64 MiB page cache (SQLite's default is 2 MiB): thousands of devices' rows are written every second.
      expect(index.db.prepare('PRAGMA cache_size').get()).to.deep.include({ cache_size: -65_536 });
      const small = openIndex(':memory:', { cacheMiB: 2 });
      expect(small.db.prepare('PRAGMA cache_size').get()).to.deep.include({ cache_size: -2_048 });
      small.close();
      const tables = (
        index.db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").all() as {
          name: string;
        }[]
      ).map((row) => row.name);
      expect(tables).to.include.members([
        'schema_version',
        'twins',
        'twin_updates',
        'twin_state_changes',
        'snapshots',
        'latest_snapshots',
        'batches',
        'rejections',
        'notifications',
        'chain_cursor',
        'entities',
        'chain_events',
      ]);
    } finally {
      temp.close();
    }
  });

  it('reopening applies no migration twice and keeps the data', function () {
    const temp = tempDirectory();
    try {
      const first = openIndex(temp.file);
      upsertTwin(first, sampleTwin(1));
      first.close();
      const second = openIndex(temp.file);
      try {
        const versions = second.db.prepare('SELECT version FROM schema_version ORDER BY version').all() as {
          version: number;
        }[];
        expect(versions.map((row) => row.version)).to.deep.equal(MIGRATIONS.map((migration) => migration.version));
        expect(getTwin(second, deviceIdOf(1))?.owner).to.equal(ALICE);
      } finally {
        second.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('migrates an older database forward, keeping its rows', function () {
    const temp = tempDirectory();
    try {
      const old = openIndex(temp.file, { migrations: MIGRATIONS.slice(0, 1) });
      expect(old.schemaVersion).to.equal(1);
      upsertTwin(old, sampleTwin(7));
      expect(() => old.db.prepare('SELECT * FROM chain_events').all()).to.throw(/no such table/);
      old.close();

      const upgraded = openIndex(temp.file);
      try {
        expect(upgraded.schemaVersion).to.equal(MIGRATIONS.length);
        expect(upgraded.db.prepare('SELECT count(*) AS n FROM chain_events').get()).to.deep.include({ n: 0 });
        expect(getTwin(upgraded, deviceIdOf(7))?.mintedBlock).to.equal(7);
      } finally {
        upgraded.close();
      }
    } finally {
      temp.remove();
    }
  });

  it('refuses a database newer than the code, and migrations out of order', function () {
    const temp = tempDirectory();
    try {
      openIndex(temp.file).close();
      const newer = thrownBy(() => openIndex(temp.file, { migrations: MIGRATIONS.slice(0, 1) }));
      expect(newer).to.be.instanceOf(IndexError);
      expect(newer.message).to.include(`schema version ${MIGRATIONS.length}`);

      const shuffled = thrownBy(() => openIndex(':memory:', { migrations: [MIGRATIONS[1]!, MIGRATIONS[0]!] }));
      expect(shuffled).to.be.instanceOf(IndexError);
      expect(shuffled.message).to.include('out of order');
    } finally {
      temp.remove();
    }
  });

  it('rolls a failed transaction back, nested savepoints too, and refuses asynchronous work', function () {
    const temp = tempIndex();
    try {
      const { index } = temp;
      expect(() =>
        index.transaction(() => {
          upsertTwin(index, sampleTwin(1));
          throw new Error('boom');
        }),
      ).to.throw('boom');
      expect(getTwin(index, deviceIdOf(1))).to.equal(undefined);

      index.transaction(() => {
        upsertTwin(index, sampleTwin(2));
        expect(() =>
          index.transaction(() => {
            upsertTwin(index, sampleTwin(3));
            throw new Error('inner');
          }),
        ).to.throw('inner');
      });
      expect(getTwin(index, deviceIdOf(2))).to.not.equal(undefined);
      expect(getTwin(index, deviceIdOf(3))).to.equal(undefined);

      const asynchronous = thrownBy(() => index.transaction(async () => upsertTwin(index, sampleTwin(4))));
      expect(asynchronous).to.be.instanceOf(IndexError);
      expect(asynchronous.message).to.include('synchronous');
      expect(getTwin(index, deviceIdOf(4))).to.equal(undefined);
      expect(index.db.isTransaction).to.equal(false);
    } finally {
      temp.close();
    }
  });

  it('enforces foreign keys: no update history for a twin the index does not have', function () {
    const temp = tempIndex();
    try {
      expect(() =>
        temp.index.db
          .prepare(
            `INSERT INTO twin_updates (device_id, update_index, component, version, artifact_hash, artifact_cid, block, tx)
             VALUES (?, 1, 'openssl', '3', '0x', '', 1, '0x')`,
          )
          .run(deviceIdOf(9)),
      ).to.throw(/FOREIGN KEY/);
    } finally {
      temp.close();
    }
  });
});
