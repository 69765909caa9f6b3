import {
  advanceSequenceLedger,
  insertSnapshot,
  insertSnapshots,
  readSequenceLedger,
  recordEvent,
  recordLedgerHash,
  recordEvents,
  withTransaction,
  type IndexedSnapshot,
  type LedgerAdvance,
  type Store,
} from '../../../store/src';
import type { Rejection } from './rejections';

/** What committing one accepted message did: stored, or refused as a replay the store knew (by another instance). */
export type CommitResult<stored = undefined> = { ok: true; stored: stored } | { ok: false; rejection: Rejection };

/**
 * Whether an advance of the ledger says its number was accepted before: at or below the ledger's number of its kind
 * and in none of the device's gaps (`seen`). A number filling a gap (`gap-filled`) is a late message, accepted.
 */
function isReplayAdvance(advance: LedgerAdvance, seq: number): boolean {
  return advance.previous !== undefined && seq <= advance.previous && advance.note !== 'gap-filled';
}

const replay = (deviceId: string, seq: number, last: number | undefined, detail?: string) =>
  ({
    ok: false,
    rejection: {
      reason: 'replay',
      detail: detail ?? `seq ${seq} is not above ${last}`,
      deviceId,
      field: 'seq',
    },
  } as const);

/**
 * Stores an accepted snapshot in one transaction: the snapshot with its queue row and the device's ledger row (kind
 * `snapshot`, `insertSnapshot`), and its outbox event (`snapshot`, `{ seq }`). The store decides, whatever this
 * instance's memory said: a (device, seq) already stored, by any instance (every accepted snapshot is kept; two
 * instances inserting one at once are serialised by the key), is refused as a replay, nothing written. A number
 * below the ledger that no snapshot has (a late one, also one the device sent before its first number the store
 * saw, which with a shared subscription another instance may commit first) is stored: a replay is a message
 * received before, and an older one is refused as `stale` by the judge.
 *
 * @example
 * const result = await commitSnapshot(index, { deviceId, seq, collectedAt, hash, cid, receivedAt })
 * if (!result.ok) refuse(result.rejection)
 */
export function commitSnapshot(
  index: Store,
  snapshot: { deviceId: string; seq: number; collectedAt: string; hash: string; cid: string; receivedAt: number },
): Promise<CommitResult<IndexedSnapshot>> {
  return withTransaction(index, async (tx) => {
    const inserted = await insertSnapshot(tx, snapshot);
    if (!inserted.inserted) {
      return replay(
        snapshot.deviceId,
        snapshot.seq,
        inserted.previousSeq,
        `snapshot seq ${snapshot.seq} is stored already`,
      );
    }
    await recordEvent(tx, { kind: 'snapshot', deviceId: snapshot.deviceId, payload: { seq: snapshot.seq } });
    return { ok: true, stored: inserted.snapshot };
  });
}

/** One accepted snapshot, as {@link commitSnapshots} stores it. */
export type AcceptedSnapshot = {
  deviceId: string;
  seq: number;
  collectedAt: string;
  hash: string;
  cid: string;
  receivedAt: number;
};

/**
 * Stores many accepted snapshots in one transaction, as {@link commitSnapshot} stores one: every snapshot with its
 * queue row, the devices' ledger rows and gaps (`insertSnapshots`: one insert statement, one ledger advance for the
 * set, devices locked in DeviceID order), and one outbox event per stored snapshot (`snapshot`, `{ seq }`, one
 * multi-row insert): one commit, one numbering of the events and one notification for the whole set instead of one
 * per snapshot. The store decides as for one: a (device, seq) already stored, by any instance, is refused as a replay
 * (the others are stored all the same). Resolves, in the order given, to each snapshot's result.
 *
 * @example
 * const results = await commitSnapshots(index, [snapshot, other])
 * results.forEach((result, n) => result.ok || refuse(result.rejection))
 */
export function commitSnapshots(index: Store, snapshots: readonly AcceptedSnapshot[]): Promise<CommitResult[]> {
  if (snapshots.length === 0) return Promise.resolve([]);
  return withTransaction(index, async (tx) => {
    const inserted = await insertSnapshots(tx, snapshots);
    await recordEvents(
      tx,
      snapshots
        .filter((_, position) => inserted[position])
        .map((snapshot) => ({ kind: 'snapshot', deviceId: snapshot.deviceId, payload: { seq: snapshot.seq } })),
    );
    return snapshots.map((snapshot, position) =>
      inserted[position]
        ? ({ ok: true, stored: undefined } as const)
        : replay(snapshot.deviceId, snapshot.seq, undefined, `snapshot seq ${snapshot.seq} is stored already`),
    );
  });
}

/**
 * Advances the ledger for an accepted message indexed by its ledger row only (`static`, `status`), with the
 * announced last will of an `online` status (`willSeq`), in one transaction. As for snapshots, the store decides:
 * a number accepted before (by any instance) is refused as a replay, except the announced last will itself (an
 * `offline` status whose number is the device's `will` row), which the broker publishes after the device's later
 * messages. With `hash`, the row keeps the hash of the message it now holds: a copy of it is then known anywhere.
 *
 * @example
 * const result = await commitLedgerMessage(index, { deviceId, kind: 'status', seq, willSeq: body.willSeq, offline: false })
 */
export function commitLedgerMessage(
  index: Store,
  message: {
    deviceId: string;
    kind: 'static' | 'status';
    seq: number;
    willSeq?: number | null;
    offline?: boolean;
    /** The message's canonical hash, kept on its ledger row (`recordLedgerHash`) when the row moves to it. */
    hash?: string;
  },
): Promise<CommitResult> {
  return withTransaction(index, async (tx) => {
    const advance = await advanceSequenceLedger(tx, {
      deviceId: message.deviceId,
      kind: message.kind,
      seq: message.seq,
    });
    if (isReplayAdvance(advance, message.seq)) {
      const isAnnouncedWill =
        message.kind === 'status' &&
        message.offline === true &&
        (await readSequenceLedger(tx).willSeq(message.deviceId)) === message.seq;
      if (!isAnnouncedWill) return replay(message.deviceId, message.seq, advance.previous);
      // The will's own row keeps its hash: a copy of the will, handed to another instance, is known there too.
      if (message.hash !== undefined) {
        await recordLedgerHash(tx, { deviceId: message.deviceId, kind: 'will', seq: message.seq }, message.hash);
      }
    } else if (advance.advanced && message.hash !== undefined) {
      await recordLedgerHash(tx, { deviceId: message.deviceId, kind: message.kind, seq: message.seq }, message.hash);
    }
    if (message.willSeq !== undefined && message.willSeq !== null) {
      await advanceSequenceLedger(tx, { deviceId: message.deviceId, kind: 'will', seq: message.willSeq });
    }
    return { ok: true, stored: undefined };
  });
}
