import { jsonBody } from '../../api/src/http/jsonBody';
import type { ApiFeed } from '../../api/src/feed/feedEvents';
import type { RenderTwinView, TwinViewCache, TwinViewVariant } from '../../api/src/views/createTwinViewCache';
import { upsertTwin, type Store } from '../../store/src';

/** What the twin view cache tests share: twins, a render that shows what they look at, and waiting for the feed. */
export const MAKER = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
export const OWNER = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
export const HASH = `0x${'ab'.repeat(32)}`;
export const deviceIdOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as `0x${string}`;

/** Twins 1…4: MAKER made them all, owns 1 and 2; OWNER owns 3 and 4. */
export async function addTwins(store: Store): Promise<void> {
  for (const n of [1, 2, 3, 4])
    await upsertTwin(store, {
      deviceId: deviceIdOf(n),
      owner: n <= 2 ? MAKER : OWNER,
      manufacturer: MAKER,
      deviceSigner: MAKER,
      state: 'active',
      forSale: false,
      price: 0n,
      staticHash: HASH,
      staticCid: `bafy-static-${n}`,
      updateCount: 0,
      reviewRequested: false,
      mintedBlock: 1,
      updatedBlock: 1,
    });
}

/** Waits until the feed has read every event committed so far (its cursor reached the outbox's last). */
export async function settled(store: Store, feed: ApiFeed): Promise<void> {
  const { rows } = await store.query<{ seq: number }>('SELECT coalesce(max(seq), 0)::int AS seq FROM events');
  const deadline = Date.now() + 10_000;
  while ((feed.cursor ?? 0) < rows[0]!.seq) {
    if (Date.now() > deadline) throw new Error(`the feed is at ${feed.cursor}, not ${rows[0]!.seq}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls until `done` holds (10 s at most), naming `what` otherwise. */
export async function until(done: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A render showing what the tests look at: the variant, the latest snapshot and its batch, a bigint. */
export const render: RenderTwinView = async (rows, variant) => ({
  body: jsonBody({
    variant,
    seq: rows.latestSnapshot?.snapshot.seq ?? null,
    batch: rows.latestSnapshot?.batch?.status ?? null,
    owner: rows.twin.owner,
    n: 12n,
  }),
  keep: true,
});
export const publicView = () => 'public' as TwinViewVariant;
export type Shown = { variant: string; seq: number | null; batch: string | null; owner: string };
/** Twin `n`'s view from the cache, parsed. */
export const read = async (views: TwinViewCache, n: number, variant = publicView): Promise<Shown | undefined> => {
  const body = await views.body(deviceIdOf(n), variant);
  return body === undefined ? undefined : (JSON.parse(body.bytes.toString()) as Shown);
};
