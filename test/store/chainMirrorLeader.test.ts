import { expect } from 'chai';
import { createServer, connect, type Socket } from 'node:net';
import {
  StoreError,
  isLeadTaken,
  openStore,
  tryLeadChainMirror,
  type ChainMirrorLead,
  type Store,
} from '../../store/src';
import { createTestDatabase, type TestDatabase } from '../helpers/store';
import { rejectionOf } from '../helpers/thrownBy';

/** Forwards a local port to `target` until `freeze()`, which stops forwarding and keeps every socket open. */
async function startFreezingProxy(target: string): Promise<{ port: number; freeze(): void; close(): void }> {
  const sockets = new Set<Socket>();
  let frozen = false;
  const server = createServer((client) => {
    const upstream = connect(Number(target), '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (data) => frozen || upstream.write(data));
    upstream.on('data', (data) => frozen || client.write(data));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => (frozen = true),
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('store: the chain mirror’s leader lock', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let store: Store;
  beforeEach(async function () {
    database = await createTestDatabase();
    store = await database.open();
  });

  describe('when instances try to lead the chain mirror', function () {
    const leads: ChainMirrorLead[] = [];
    afterEach(async function () {
      await Promise.all(leads.splice(0).map((lead) => lead.release()));
    });

    async function lead(db: Store, options: Parameters<typeof tryLeadChainMirror>[1] = {}) {
      const taken = await tryLeadChainMirror(db, options);
      if (taken !== undefined) leads.push(taken);
      return taken;
    }

    /** Tries until the lead is taken: the server frees a dead session's lock once its backend has exited. */
    async function leadOnceFree(db: Store): Promise<ChainMirrorLead> {
      for (let attempt = 0; attempt < 200; attempt++) {
        const taken = await lead(db);
        if (taken !== undefined) return taken;
        await new Promise((done) => setTimeout(done, 25));
      }
      expect.fail('the lead was never free');
    }

    it('lets one instance lead at a time, per name, and passes the lead on when released', async function () {
      const a = store;
      const b = await database.open();
      const first = await lead(a);
      expect(first).to.not.equal(undefined);
      expect(first!.leading).to.equal(true);
      expect(await lead(b)).to.equal(undefined);
      expect(await lead(a)).to.equal(undefined); // another session of the same instance neither
      const all = await Promise.all([a, b, a, b].map((db) => lead(db, { name: 'chain-mirror:31337:0xother' })));
      expect(all.filter((taken) => taken !== undefined)).to.have.length(1);
      await first!.release();
      expect(first!.leading).to.equal(false);
      expect(await first!.ended).to.equal(undefined);
      const second = await lead(b);
      expect(second).to.not.equal(undefined);
      expect(await lead(a)).to.equal(undefined);
    });

    it('lets a follower find the lead taken through its pool, opening no session of its own', async function () {
      const follower = await database.open();
      const sessions = async () =>
        (
          await store.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE application_name = 'twin-store-leader' AND datname = current_database()`,
          )
        ).rows[0]!.n;
      expect(await isLeadTaken(follower, 'chain-mirror')).to.equal(false);
      const held = await lead(store);
      expect(await isLeadTaken(follower, 'chain-mirror')).to.equal(true);
      expect(await isLeadTaken(follower, 'chain-mirror:31337:0xother')).to.equal(false);
      const connections = (await follower.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity'))
        .rows[0]!.n;
      for (let step = 0; step < 20; step++) expect(await lead(follower)).to.equal(undefined);
      expect(await sessions()).to.equal(1); // the leader's only
      expect(
        (await follower.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity')).rows[0]!.n,
      ).to.equal(connections);
      await held!.release();
      expect(await isLeadTaken(follower, 'chain-mirror')).to.equal(false);
      const next = await lead(follower);
      expect(next?.leading).to.equal(true);
      await next!.release();
    });

    it("passes the lead on when the leader's connection dies, and tells the old leader", async function () {
      const a = store;
      const b = await database.open();
      const lost: StoreError[] = [];
      const leader = (await lead(a, { onLost: (error) => lost.push(error) }))!;
      expect(await lead(b)).to.equal(undefined);
      const { rows } = await b.query<{ killed: boolean }>('SELECT pg_terminate_backend($1) AS killed', [
        leader.backendPid,
      ]);
      expect(rows[0]!.killed).to.equal(true);
      const ended = await leader.ended;
      expect(ended).to.be.instanceOf(StoreError);
      expect(ended!.shortMessage).to.contain('the lead is lost');
      expect(leader.leading).to.equal(false);
      expect(lost).to.have.length(1);
      const next = await leadOnceFree(b);
      expect(next.leading).to.equal(true);
      expect(next.backendPid).to.not.equal(leader.backendPid);
      expect(await lead(a)).to.equal(undefined);
      await leader.release(); // releasing a lost lead does nothing to the new one
      expect(await lead(a)).to.equal(undefined);
    });

    it('ends the lead of a connection that went silent (its probe unanswered), and the lead passes on', async function () {
      // A proxy that stops forwarding without closing anything: what a network partition looks like to both ends.
      const proxy = await startFreezingProxy(new URL(database.url).port);
      try {
        const url = new URL(database.url);
        url.port = String(proxy.port);
        const partitioned = await openStore({ databaseUrl: url.toString(), poolSize: 1 });
        try {
          const b = await database.open();
          const leader = (await lead(partitioned, { probeIntervalMs: 200 }))!;
          expect(await lead(b)).to.equal(undefined);
          proxy.freeze();
          const ended = await leader.ended;
          expect(ended!.details).to.contain('did not answer a probe');
          expect(leader.leading).to.equal(false);
          // The old leader closes its side; the server then ends the session and frees the lock.
          expect((await leadOnceFree(b)).leading).to.equal(true);
        } finally {
          await partitioned.close().catch(() => undefined);
        }
      } finally {
        proxy.close();
      }
    });

    it('refuses a probe interval out of range, by name', async function () {
      const error = (await rejectionOf(tryLeadChainMirror(store, { probeIntervalMs: 60_000 }))) as StoreError;
      expect(error.shortMessage).to.equal('Invalid probeIntervalMs.');
      expect(await lead(store)).to.not.equal(undefined); // the refused call held nothing
    });
  });
});
