import { ZeroAddress } from 'ethers';
import {
  MAX_CHAIN_EVENTS_LIMIT,
  chainEventsOf,
  confirmBatchByRootOnce,
  deleteEntity,
  deleteTwin,
  getEntity,
  getTwin,
  insertNotification,
  recordChainEvents,
  recordEvents,
  recordStateChange,
  recordTwinUpdate,
  upsertEntity,
  upsertTwin,
  type Db,
  type EventInput,
  type IndexedEntity,
  type IndexedTwin,
  type StoredChainEvent,
  type Transaction,
} from '../../../store/src';
import { ChainMirrorError } from './errors';
import {
  eventSubject,
  type EntityEvent,
  type EventLocation,
  type MirrorEvent,
  type StateChangeEvent,
  type TwinEvent,
} from './events';

/** Kinds of the owner notifications the mirror writes. */
export const NOTIFICATION_KINDS = { stateChanged: 'state-changed', reviewRequested: 'review-requested' } as const;

/** What {@link applyEvents} applied: the state changes to publish once committed, and the outbox events recorded. */
export type AppliedEvents = { stateChanges: StateChangeEvent[]; events: number };

/**
 * Applies decoded events, in chain order, to the store inside the caller's transaction (the one that moves the
 * cursor, after lockCursor): the twin and entity records, the update and state history, owner notifications, batch
 * confirmations (a root no instance batched is ignored), the chain event log, and the outbox events of the live
 * feed: `chain` `{ block, logIndex }` for each event applied (with its DeviceID when it is about a twin; else
 * with its `name` and, for an entity's or brand's, its `account`), `state` for
 * each `TwinStateChanged`, `anchored` `{ batchId }` for each batch confirmed. An event already in the log is skipped,
 * so applying a range twice changes nothing. Returns the state changes applied, for the caller to publish once the
 * transaction commits.
 *
 * @example
 * const applied = await withTransaction(store, async (tx) => {
 *   await lockCursor(tx, name) // … compare-and-set
 *   const applied = await applyEvents(tx, events, Date.now())
 *   await setCursor(tx, { name, lastProcessedBlock: to, lastBlockHash: hash })
 *   return applied
 * })
 */
export async function applyEvents(
  tx: Transaction,
  events: readonly MirrorEvent[],
  now: number,
): Promise<AppliedEvents> {
  const stateChanges: StateChangeEvent[] = [];
  const outbox: EventInput[] = [];
  const added = await recordChainEvents(
    tx,
    events.map((event) => {
      const { block, blockHash, tx: txHash, logIndex, contract, ...payload } = event;
      return {
        block,
        logIndex,
        blockHash,
        tx: txHash,
        contract,
        name: event.name,
        subject: eventSubject(event),
        payload,
      };
    }),
  );
  // The records as this transaction left them: each read once (the cursor's lock keeps other writers out).
  const twins = new Map<string, IndexedTwin | undefined>();
  const entities = new Map<string, IndexedEntity | undefined>();
  const twinOf = async (deviceId: string) => (twins.has(deviceId) ? twins.get(deviceId) : await getTwin(tx, deviceId));
  const entityOf = async (account: string) => {
    const key = account.toLowerCase();
    return entities.has(key) ? entities.get(key) : await getEntity(tx, account);
  };
  for (const [n, event] of events.entries()) {
    if (!added[n]) continue;
    const { block, blockHash, tx: txHash, logIndex } = event;
    const at = { block, tx: txHash, logIndex };
    const location = { block, logIndex };
    // An event about no twin names what it is about, so that a cache drops only the views it changes.
    outbox.push(
      'deviceId' in event
        ? { kind: 'chain', deviceId: event.deviceId, payload: location }
        : {
            kind: 'chain',
            deviceId: null,
            payload: { ...location, name: event.name, ...('account' in event ? { account: event.account } : {}) },
          },
    );
    switch (event.name) {
      case 'BatchAnchored': {
        const confirmation = { txHash, block, chainBatchId: event.batchId, confirmedAt: now };
        const batch = await confirmBatchByRootOnce(tx, event.root, confirmation);
        if (batch !== undefined) outbox.push({ kind: 'anchored', payload: { batchId: batch.id } });
        continue;
      }
      case 'EntityRegistered':
      case 'EntityProfileUpdated':
      case 'EntityApproved':
      case 'EntityRevoked': {
        const entity = projectEntity(await entityOf(event.account), event)!;
        await upsertEntity(tx, entity);
        entities.set(event.account.toLowerCase(), entity);
        continue;
      }
      // Brands are not part of the entity record: the chain event log above keeps them.
      case 'BrandRegistered':
      case 'BrandApproved':
      case 'BrandRevoked':
        continue;
    }
    const twin = projectTwin(await twinOf(event.deviceId), event);
    if (twin !== undefined) await upsertTwin(tx, twin);
    else if (isBurn(event)) await deleteTwin(tx, event.deviceId);
    twins.set(event.deviceId, twin);
    if (event.name === 'DeviceUpdateRecorded') {
      await recordTwinUpdate(tx, { ...event, ...at });
    } else if (event.name === 'TwinStateChanged') {
      const { previousState, newState, by, reason, owner, deviceId } = event;
      await recordStateChange(tx, { deviceId, previous: previousState, new: newState, by, reason, ...at });
      const notificationId = await insertNotification(tx, {
        owner,
        deviceId,
        kind: NOTIFICATION_KINDS.stateChanged,
        payload: { deviceId, owner, by, previousState, newState, reason, ...at },
        createdAt: now,
        event: at,
      });
      outbox.push({ kind: 'state', deviceId, payload: location });
      stateChanges.push({ ...event, blockHash, notificationId });
    } else if (event.name === 'ReviewRequested') {
      const { deviceId, owner, updateCount, note } = event;
      await insertNotification(tx, {
        owner,
        deviceId,
        kind: NOTIFICATION_KINDS.reviewRequested,
        payload: { deviceId, owner, updateCount, note, ...at },
        createdAt: now,
        event: at,
      });
    }
  }
  await recordEvents(tx, outbox);
  return { stateChanges, events: outbox.length };
}

/**
 * Rebuilds the twin or entity records of `subjects` from the chain event log alone (after a rewind deleted the
 * events above the fork): a record whose creating event is gone is deleted.
 *
 * @example
 * await rebuildFromEventLog(tx, undone)
 */
export async function rebuildFromEventLog(db: Db, undone: readonly StoredChainEvent[]): Promise<void> {
  const subjects = new Map<string, string>();
  for (const event of undone) subjects.set(event.subject.toLowerCase(), event.contract);
  for (const [subject, contract] of subjects) {
    if (contract === 'SnapshotAnchor') continue;
    const events = (await chainEventsOf(db, subject, { limit: MAX_CHAIN_EVENTS_LIMIT })).map(
      (stored) =>
        ({
          ...(stored.payload as object),
          block: stored.block,
          blockHash: stored.blockHash,
          tx: stored.tx,
          logIndex: stored.logIndex,
        } as (TwinEvent & EventLocation) | (EntityEvent & EventLocation)),
    );
    if (contract === 'TwinRegistry') {
      let twin: IndexedTwin | undefined;
      for (const event of events as (TwinEvent & EventLocation)[]) twin = projectTwin(twin, event);
      if (twin === undefined) await deleteTwin(db, subject);
      else await upsertTwin(db, twin);
    } else {
      let entity: IndexedEntity | undefined;
      for (const event of events as (EntityEvent & EventLocation)[]) entity = projectEntity(entity, event);
      if (entity === undefined) await deleteEntity(db, subject);
      else await upsertEntity(db, entity);
    }
  }
}

/** Whether `event` burns its twin: the registrar's dispute, or ERC-721's `Transfer` to the zero address. */
function isBurn(event: TwinEvent): boolean {
  return event.name === 'TwinDisputed' || (event.name === 'Transfer' && event.to === ZeroAddress);
}

/**
 * A twin's record after `event` (pure): what `twinOf` returns on chain, plus the static CID and blocks; undefined
 * once the twin is burned (disputed).
 *
 * @example
 * projectTwin(twin, { name: 'TwinListed', deviceId, seller, price: '1000', block: 9, blockHash, tx, logIndex: 0 })
 */
export function projectTwin(
  current: IndexedTwin | undefined,
  event: TwinEvent & EventLocation,
): IndexedTwin | undefined {
  if (event.name === 'TwinMinted') {
    const price = BigInt(event.price);
    return {
      deviceId: event.deviceId,
      owner: event.manufacturer,
      manufacturer: event.manufacturer,
      deviceSigner: event.deviceSigner,
      state: 'active',
      forSale: price !== 0n,
      price,
      staticHash: event.staticHash.toLowerCase() as IndexedTwin['staticHash'],
      staticCid: event.staticCid,
      updateCount: 0,
      reviewRequested: false,
      mintedBlock: event.block,
      updatedBlock: event.block,
    };
  }
  // The mint's own Transfer (from the zero address) comes before TwinMinted, which creates the record.
  if (event.name === 'Transfer' && event.from === ZeroAddress) return current;
  // A dispute burns the twin: TwinDisputed, then a Transfer to the zero address.
  if (isBurn(event)) return undefined;
  if (current === undefined) {
    throw new ChainMirrorError(`${event.name} for a twin the index does not have.`, {
      details: `${event.deviceId} in block ${event.block}, log ${event.logIndex}`,
    });
  }
  const next: IndexedTwin = { ...current, updatedBlock: event.block };
  switch (event.name) {
    case 'Transfer':
      return { ...next, owner: event.to };
    case 'TwinListed':
      return { ...next, forSale: true, price: BigInt(event.price) };
    case 'TwinDelisted':
      return { ...next, forSale: false, price: 0n };
    case 'TwinPurchased':
      return { ...next, owner: event.buyer, forSale: false, price: 0n };
    case 'DeviceSignerChanged':
      return { ...next, deviceSigner: event.newSigner };
    case 'DeviceUpdateRecorded':
      return { ...next, updateCount: event.index };
    case 'TwinStateChanged':
      return { ...next, state: event.newState, reviewRequested: false };
    case 'ReviewRequested':
      return { ...next, reviewRequested: true };
    case 'DeviceSignerApproved':
      return next;
    case 'TwinDisputed':
      return undefined;
  }
}

/**
 * An entity's record after `event` (pure).
 *
 * @example
 * projectEntity(undefined, { name: 'EntityRegistered', account, role: 'owner', entityName: 'Alice', … })
 */
export function projectEntity(
  current: IndexedEntity | undefined,
  event: EntityEvent & EventLocation,
): IndexedEntity | undefined {
  if (event.name === 'EntityRegistered') {
    return {
      account: event.account,
      entityId: null,
      role: event.role,
      status: 'pending',
      name: event.entityName,
      profileHash: event.profileHash.toLowerCase() as IndexedEntity['profileHash'],
      profileCid: event.profileCid,
      registeredBlock: event.block,
      updatedBlock: event.block,
    };
  }
  if (current === undefined) {
    throw new ChainMirrorError(`${event.name} for an entity the index does not have.`, {
      details: `${event.account} in block ${event.block}, log ${event.logIndex}`,
    });
  }
  const next: IndexedEntity = { ...current, updatedBlock: event.block };
  switch (event.name) {
    case 'EntityProfileUpdated':
      return {
        ...next,
        name: event.entityName,
        profileHash: event.profileHash.toLowerCase() as IndexedEntity['profileHash'],
        profileCid: event.profileCid,
      };
    case 'EntityApproved':
      return { ...next, status: 'approved', entityId: event.entityId };
    case 'EntityRevoked':
      return { ...next, status: 'revoked' };
    case 'BrandRegistered':
    case 'BrandApproved':
    case 'BrandRevoked':
      return current;
  }
}
