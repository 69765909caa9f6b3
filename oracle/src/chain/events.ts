import type { Interface, Log } from 'ethers';
import type { Deployment } from '../../../twin-core/src/deployment/deployment';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { deviceIdKey, ENTITY_ROLES, TWIN_STATES, type EntityRoleName, type TwinStateName } from '../../../store/src';
import { mirroredInterface, type MirroredContract } from './abi';
import { ChainMirrorError } from './errors';

/** Where an event is on chain. */
export type EventLocation = { block: number; blockHash: string; tx: string; logIndex: number };

/** The events the mirror applies, decoded into JSON-safe values (wei as decimal text, DeviceIDs as 0x + 64 hex). */
export type TwinEvent =
  | { name: 'Transfer'; deviceId: Hex; from: string; to: string }
  | {
      name: 'TwinMinted';
      deviceId: Hex;
      manufacturer: string;
      deviceSigner: string;
      staticHash: string;
      staticCid: string;
      price: string;
    }
  | { name: 'TwinListed'; deviceId: Hex; seller: string; price: string }
  | { name: 'TwinDelisted'; deviceId: Hex; seller: string }
  | { name: 'TwinPurchased'; deviceId: Hex; seller: string; buyer: string; price: string }
  | { name: 'DeviceSignerChanged'; deviceId: Hex; owner: string; previousSigner: string; newSigner: string }
  | {
      name: 'DeviceUpdateRecorded';
      deviceId: Hex;
      owner: string;
      index: number;
      component: string;
      version: string;
      artifactHash: string;
      artifactCid: string;
    }
  | {
      name: 'TwinStateChanged';
      deviceId: Hex;
      owner: string;
      by: string;
      previousState: TwinStateName;
      newState: TwinStateName;
      reason: string;
    }
  | { name: 'ReviewRequested'; deviceId: Hex; owner: string; updateCount: number; note: string }
  | { name: 'DeviceSignerApproved'; deviceId: Hex; by: string; signer: string }
  | { name: 'TwinDisputed'; deviceId: Hex; owner: string; registrar: string; manufacturer: string; reason: string };

export type EntityEvent =
  | {
      name: 'EntityRegistered';
      account: string;
      role: EntityRoleName;
      entityName: string;
      profileHash: string;
      profileCid: string;
    }
  | { name: 'EntityProfileUpdated'; account: string; entityName: string; profileHash: string; profileCid: string }
  | { name: 'EntityApproved'; account: string; entityId: number; role: EntityRoleName; registrar: string }
  | { name: 'EntityRevoked'; account: string; entityId: number; registrar: string; reason: string }
  | { name: 'BrandRegistered'; account: string; brandHash: string; brand: string }
  | { name: 'BrandApproved'; account: string; brandHash: string; brand: string; registrar: string }
  | { name: 'BrandRevoked'; account: string; brandHash: string; brand: string; registrar: string; reason: string };

export type AnchorEvent = {
  name: 'BatchAnchored';
  batchId: number;
  root: string;
  oracle: string;
  leafCount: number;
  manifestCid: string;
};

/** A decoded event with where it is and which contract emitted it. */
export type MirrorEvent = EventLocation & { contract: MirroredContract } & (TwinEvent | EntityEvent | AnchorEvent);

/** A `TwinStateChanged` event as the mirror hands it to `onStateChange`, with the owner notification's id. */
export type StateChangeEvent = EventLocation &
  Extract<TwinEvent, { name: 'TwinStateChanged' }> & {
    notificationId: number | undefined;
  };

/**
 * Turns logs of the deployment's contracts into {@link MirrorEvent}s; logs of other events or contracts give
 * undefined.
 *
 * @example
 * const decode = createLogDecoder(deployment)
 * const events = logs.map(decode).filter((event) => event !== undefined)
 */
export function createLogDecoder(deployment: Deployment): (log: Log) => MirrorEvent | undefined {
  const byAddress = new Map<string, { contract: MirroredContract; abi: Interface }>();
  for (const contract of ['TwinRegistry', 'EntityRegistry', 'SnapshotAnchor'] as const) {
    byAddress.set(deployment.contracts[contract].toLowerCase(), { contract, abi: mirroredInterface(contract) });
  }
  return (log) => {
    const source = byAddress.get(log.address.toLowerCase());
    if (source === undefined) return undefined;
    const description = source.abi.parseLog({ topics: [...log.topics], data: log.data });
    if (description === null) return undefined;
    const location: EventLocation = {
      block: log.blockNumber,
      blockHash: log.blockHash.toLowerCase(),
      tx: log.transactionHash.toLowerCase(),
      logIndex: log.index,
    };
    try {
      const fields = decodeFields(description.name, description.args.toObject());
      return { ...location, contract: source.contract, ...fields } as MirrorEvent;
    } catch (error) {
      throw new ChainMirrorError(`Cannot decode ${description.name}.`, {
        details: `block ${log.blockNumber}, log ${log.index}: ${String(error)}`,
        cause: error,
      });
    }
  };
}

/**
 * What an event is about, as the chain event log files it: the DeviceID, the entity's account or the batch root.
 *
 * @example
 * eventSubject(event) // '0x5f…'
 */
export function eventSubject(event: TwinEvent | EntityEvent | AnchorEvent): string {
  if ('deviceId' in event) return event.deviceId;
  if ('account' in event) return event.account;
  return event.root;
}

function decodeFields(name: string, args: Record<string, unknown>): TwinEvent | EntityEvent | AnchorEvent {
  const text = (key: string) => String(args[key]);
  const address = (key: string) => args[key] as string;
  const count = (key: string) => safeNumber(args[key] as bigint, key);
  const deviceId = () => deviceIdKey(args.deviceId as bigint);
  switch (name) {
    case 'Transfer':
      return { name, deviceId: deviceIdKey(args.tokenId as bigint), from: address('from'), to: address('to') };
    case 'TwinMinted':
      return {
        name,
        deviceId: deviceId(),
        manufacturer: address('manufacturer'),
        deviceSigner: address('deviceSigner'),
        staticHash: text('staticHash'),
        staticCid: text('staticCid'),
        price: text('price'),
      };
    case 'TwinListed':
      return { name, deviceId: deviceId(), seller: address('seller'), price: text('price') };
    case 'TwinDelisted':
      return { name, deviceId: deviceId(), seller: address('seller') };
    case 'TwinPurchased':
      return { name, deviceId: deviceId(), seller: address('seller'), buyer: address('buyer'), price: text('price') };
    case 'DeviceSignerChanged':
      return {
        name,
        deviceId: deviceId(),
        owner: address('owner'),
        previousSigner: address('previousSigner'),
        newSigner: address('newSigner'),
      };
    case 'DeviceUpdateRecorded':
      return {
        name,
        deviceId: deviceId(),
        owner: address('owner'),
        index: count('index'),
        component: text('component'),
        version: text('version'),
        artifactHash: text('artifactHash'),
        artifactCid: text('artifactCid'),
      };
    case 'TwinStateChanged':
      return {
        name,
        deviceId: deviceId(),
        owner: address('owner'),
        by: address('by'),
        previousState: enumName(TWIN_STATES, args.previousState as bigint, 'previousState'),
        newState: enumName(TWIN_STATES, args.newState as bigint, 'newState'),
        reason: text('reason'),
      };
    case 'ReviewRequested':
      return {
        name,
        deviceId: deviceId(),
        owner: address('owner'),
        updateCount: count('updateCount'),
        note: text('note'),
      };
    case 'DeviceSignerApproved':
      return { name, deviceId: deviceId(), by: address('by'), signer: address('signer') };
    case 'TwinDisputed':
      return {
        name,
        deviceId: deviceId(),
        owner: address('owner'),
        registrar: address('registrar'),
        manufacturer: address('manufacturer'),
        reason: text('reason'),
      };
    case 'BrandRegistered':
    case 'BrandApproved':
    case 'BrandRevoked':
      return {
        name,
        account: address('account'),
        brandHash: text('brandHash').toLowerCase(),
        brand: text('brand'),
        ...(name === 'BrandRegistered' ? {} : { registrar: address('registrar') }),
        ...(name === 'BrandRevoked' ? { reason: text('reason') } : {}),
      } as EntityEvent;
    case 'EntityRegistered':
      return {
        name,
        account: address('account'),
        role: enumName(ENTITY_ROLES, args.role as bigint, 'role'),
        entityName: text('name'),
        profileHash: text('profileHash'),
        profileCid: text('profileCid'),
      };
    case 'EntityProfileUpdated':
      return {
        name,
        account: address('account'),
        entityName: text('name'),
        profileHash: text('profileHash'),
        profileCid: text('profileCid'),
      };
    case 'EntityApproved':
      return {
        name,
        account: address('account'),
        entityId: count('entityId'),
        role: enumName(ENTITY_ROLES, args.role as bigint, 'role'),
        registrar: address('registrar'),
      };
    case 'EntityRevoked':
      return {
        name,
        account: address('account'),
        entityId: count('entityId'),
        registrar: address('registrar'),
        reason: text('reason'),
      };
    case 'BatchAnchored':
      return {
        name,
        batchId: count('batchId'),
        root: text('root').toLowerCase(),
        oracle: address('oracle'),
        leafCount: count('leafCount'),
        manifestCid: text('manifestCid'),
      };
    default:
      throw new ChainMirrorError(`No decoder for event ${name}.`);
  }
}

function safeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${field} ${value} exceeds 2^53`);
  return Number(value);
}

function enumName<names extends readonly string[]>(names: names, value: bigint, field: string): names[number] {
  const name = names[Number(value)];
  if (name === undefined) throw new RangeError(`${field} ${value} is out of range`);
  return name;
}
