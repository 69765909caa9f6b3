import { ZeroAddress } from 'ethers';
import { confirmBatchByRoot } from '../index/batches';
import { chainEventsOf, recordChainEvent, type StoredChainEvent } from '../index/chainEvents';
import { deleteEntity, getEntity, upsertEntity, type IndexedEntity } from '../index/entities';
import { insertNotification } from '../index/notifications';
import type { Index } from '../index/openIndex';
import { recordPeerBatch } from '../index/peerBatches';
import { recordStateChange, recordTwinUpdate } from '../index/twinHistory';
import { deleteTwin, getTwin, upsertTwin, type IndexedTwin } from '../index/twins';
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

/**
 * Applies decoded events, in chain order, to the index: the twin and entity records, the update and state
 * history, owner notifications, batch confirmations (a root the index does not know is recorded as a peer batch,
 * anchored by another oracle instance, for the peer importer), and the chain event log. An event already in the log
 * is skipped, so applying a range twice changes nothing. Call it inside the transaction that moves the cursor.
 * Returns the state changes applied, for the caller to publish once the transaction commits.
 *
 * @example
 * const changes = index.transaction(() => { const changes = applyEvents(index, events, Date.now()); setCursor(…); return changes })
 */
export function applyEvents(index: Index, events: readonly MirrorEvent[], now: number): StateChangeEvent[] {
  const stateChanges: StateChangeEvent[] = [];
  for (const event of events) {
    const { block, blockHash, tx, logIndex, contract, ...payload } = event;
    if (
      !recordChainEvent(index, {
        block,
        logIndex,
        blockHash,
        tx,
        contract,
        name: event.name,
        subject: eventSubject(event),
        payload,
      })
    ) {
      continue;
    }
    const at = { block, tx, logIndex };
    switch (event.name) {
      case 'BatchAnchored': {
        const confirmation = { txHash: tx, block, chainBatchId: event.batchId, confirmedAt: now };
        // A root this oracle never batched was anchored by another instance: remembered for the peer importer.
        if (confirmBatchByRoot(index, event.root, confirmation) === undefined) {
          const { root, manifestCid, leafCount, oracle } = event;
          recordPeerBatch(
            index,
            { root, manifestCid, leafCount, chainBatchId: event.batchId, oracle, tx, block, logIndex },
            now,
          );
        }
        continue;
      }
      case 'EntityRegistered':
      case 'EntityProfileUpdated':
      case 'EntityApproved':
      case 'EntityRevoked':
        upsertEntity(index, projectEntity(getEntity(index, event.account), event)!);
        continue;
      // Brands are not part of the entity record: the chain event log above keeps them.
      case 'BrandRegistered':
      case 'BrandApproved':
      case 'BrandRevoked':
        continue;
    }
    const twin = projectTwin(getTwin(index, event.deviceId), event);
    if (twin !== undefined) upsertTwin(index, twin);
    else if (isBurn(event)) deleteTwin(index, event.deviceId);
    if (event.name === 'DeviceUpdateRecorded') {
      recordTwinUpdate(index, { ...event, ...at });
    } else if (event.name === 'TwinStateChanged') {
      const { previousState, newState, by, reason, owner, deviceId } = event;
      recordStateChange(index, { deviceId, previous: previousState, new: newState, by, reason, ...at });
      const notificationId = insertNotification(index, {
        owner,
        deviceId,
        kind: NOTIFICATION_KINDS.stateChanged,
        payload: { deviceId, owner, by, previousState, newState, reason, ...at },
        createdAt: now,
        event: at,
      });
      stateChanges.push({ ...event, blockHash, notificationId });
    } else if (event.name === 'ReviewRequested') {
      const { deviceId, owner, updateCount, note } = event;
      insertNotification(index, {
        owner,
        deviceId,
        kind: NOTIFICATION_KINDS.reviewRequested,
        payload: { deviceId, owner, updateCount, note, ...at },
        createdAt: now,
        event: at,
      });
    }
  }
  return stateChanges;
}

/**
 * Rebuilds the twin or entity records of `subjects` from the chain event log alone (after a rewind deleted the
 * events above the fork): a record whose creating event is gone is deleted.
 *
 * @example
 * rebuildFromEventLog(index, undone)
 */
export function rebuildFromEventLog(index: Index, undone: readonly StoredChainEvent[]): void {
  const subjects = new Map<string, string>();
  for (const event of undone) subjects.set(event.subject.toLowerCase(), event.contract);
  for (const [subject, contract] of subjects) {
    if (contract === 'SnapshotAnchor') continue;
    const events = chainEventsOf(index, subject).map(
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
      if (twin === undefined) deleteTwin(index, subject);
      else upsertTwin(index, twin);
    } else {
      let entity: IndexedEntity | undefined;
      for (const event of events as (EntityEvent & EventLocation)[]) entity = projectEntity(entity, event);
      if (entity === undefined) deleteEntity(index, subject);
      else upsertEntity(index, entity);
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
