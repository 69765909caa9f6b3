import pg from 'pg';
import { StoreError, wrapPgError } from '../errors';
import type { Store } from '../pool/types';

/** The first key of the session advisory locks that elect a leader (the second is the name's `hashtext`). */
export const LEADER_LOCK_NAMESPACE = 736_100_150;

const LEAD_TAKEN = {
  name: 'store.lead.taken',
  text: `SELECT EXISTS (
           SELECT 1 FROM pg_locks
           WHERE locktype = 'advisory' AND granted AND objsubid = 2
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
             AND classid = $1::int::oid AND objid = hashtext($2)::oid
         ) AS taken`,
};

/**
 * Whether some session holds the leader lock of `name` now (read from `pg_locks` through the pool). A free lock
 * may still be taken by another instance before this one tries: only `pg_try_advisory_lock` decides.
 *
 * @example
 * if (!(await isLeadTaken(store, 'chain-mirror'))) lead = await tryLeadChainMirror(store)
 */
export async function isLeadTaken(store: Store, name: string): Promise<boolean> {
  try {
    const { rows } = await store.query<{ taken: boolean }>(LEAD_TAKEN, [LEADER_LOCK_NAMESPACE, name]);
    return rows[0]?.taken === true;
  } catch (error) {
    throw wrapPgError(error, `Cannot read the leader lock of ${name}.`);
  }
}

/** Options of {@link tryLeadChainMirror}. */
export type LeadOptions = {
  /** What is led: one leader per name (default `chain-mirror`; the mirror's cursor name for one per deployment). */
  name?: string;
  /**
   * How often the lock's session is probed with `SELECT 1`, ms (default 5,000; 100 to 10,000). A probe still
   * unanswered at the next one ends the lead: a connection that died silently (a network partition) is found within
   * two intervals, before the server drops the session (its TCP keepalives, set on the session: 10 s idle, then 3
   * probes 5 s apart, about 25 s) and frees the lock for another instance.
   */
  probeIntervalMs?: number;
  /** Called once when the lead is lost (the session died), not when released. */
  onLost?: (error: StoreError) => void;
};

/** The lead of one instance: held while its dedicated session lives. */
export type ChainMirrorLead = {
  readonly name: string;
  /** `pg_backend_pid()` of the session holding the lock. */
  readonly backendPid: number;
  /** False once lost or released. */
  readonly leading: boolean;
  /** Settles when the lead ends: with the error that ended the session, or undefined on {@link release}. */
  readonly ended: Promise<StoreError | undefined>;
  /** Gives the lead up (unlocks and closes the session); calling again does nothing. */
  release(): Promise<void>;
};

/**
 * Makes this instance the chain mirror's leader if no other instance is (issue 15: the mirror runs once): takes
 * `pg_try_advisory_lock` on a session of its own, outside the pool, and keeps that session open. Undefined when
 * another session holds the lock. The server releases a session lock when the session ends, so when the leader
 * dies, or its connection does, the next instance trying leads. The session is watched (its errors, and a probe
 * every `probeIntervalMs`, which also finds a silent partition): on loss `leading` turns false, `ended` settles and `onLost` is called; the instance
 * must then stop mirroring and try again later. Losing the lock session does not end the leader's transactions on
 * the pool, so a new leader may start while the old one still commits a range: the mirror's transactions take
 * lockCursor and compare the cursor, which keeps the two correct.
 *
 * @example
 * const lead = await tryLeadChainMirror(store, { onLost: () => mirror.stop() })
 * if (lead) mirror.start(2_000)
 * else setTimeout(retry, 10_000)
 */
export async function tryLeadChainMirror(
  store: Store,
  options: LeadOptions = {},
): Promise<ChainMirrorLead | undefined> {
  const name = options.name ?? 'chain-mirror';
  // A follower asks at every step: while another session holds the lock, one pooled query says so, and no session
  // of its own is opened (and closed) each time.
  if (await isLeadTaken(store, name)) return undefined;
  const poolOptions = store.pool.options;
  const client = new pg.Client({
    connectionString: poolOptions.connectionString,
    connectionTimeoutMillis: poolOptions.connectionTimeoutMillis,
    application_name: 'twin-store-leader',
    keepAlive: true,
  });
  // Registered before connecting: a session error with no listener would crash the process.
  let fail: (error: unknown) => void = () => undefined;
  client.on('error', (error) => fail(error));
  client.on('end', () => fail(new Error('the connection ended')));
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw wrapPgError(error, `Cannot open the leader session of ${name}.`);
  }
  const probeMs = options.probeIntervalMs ?? 5_000;
  if (!Number.isSafeInteger(probeMs) || probeMs < 100 || probeMs > 10_000) {
    await client.end().catch(() => undefined);
    throw new StoreError('Invalid probeIntervalMs.', { details: `expected 100 to 10,000 ms, got ${probeMs}` });
  }
  let acquired: { locked: boolean; pid: number } | undefined;
  try {
    await client.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
    const { rows } = await client.query<{ locked: boolean; pid: number }>(
      'SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked, pg_backend_pid() AS pid',
      [LEADER_LOCK_NAMESPACE, name],
    );
    acquired = rows[0];
  } catch (error) {
    await client.end().catch(() => undefined);
    throw wrapPgError(error, `Cannot take the leader lock of ${name}.`);
  }
  if (acquired?.locked !== true) {
    await client.end().catch(() => undefined);
    return undefined;
  }

  let leading = true;
  let settle: (error: StoreError | undefined) => void = () => undefined;
  const ended = new Promise<StoreError | undefined>((resolve) => (settle = resolve));
  let probing = false;
  const probe = setInterval(() => {
    if (probing) return fail(new Error(`the session did not answer a probe within ${probeMs} ms`));
    probing = true;
    client.query('SELECT 1').then(
      () => (probing = false),
      (error: unknown) => fail(error),
    );
  }, probeMs);
  probe.unref();
  const finish = (error: StoreError | undefined) => {
    if (!leading) return false;
    leading = false;
    clearInterval(probe);
    settle(error);
    return true;
  };
  fail = (error) => {
    const lost = wrapPgError(error, `The leader session of ${name} ended: the lead is lost.`);
    if (finish(lost)) {
      void client.end().catch(() => undefined);
      options.onLost?.(lost);
    }
  };
  let releasing: Promise<void> | undefined;
  return {
    name,
    backendPid: acquired.pid,
    get leading() {
      return leading;
    },
    ended,
    release() {
      releasing ??= (async () => {
        if (!finish(undefined)) return;
        // Ending the session releases the lock; the explicit unlock just makes it immediate on a slow close.
        await client
          .query('SELECT pg_advisory_unlock($1, hashtext($2))', [LEADER_LOCK_NAMESPACE, name])
          .catch(() => undefined);
        await client.end().catch(() => undefined);
      })();
      return releasing;
    },
  };
}
