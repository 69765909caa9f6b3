import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { TwinStateName } from '../twins/types';

/** A software or library update recorded on chain for a twin (`DeviceUpdateRecorded`). */
export type TwinUpdate = {
  deviceId: Hex;
  /** Numbered from 1 per twin, as the contract numbers them. */
  index: number;
  component: string;
  version: string;
  artifactHash: Hex;
  artifactCid: string;
  block: number;
  tx: Hex;
};

/** What recordTwinUpdate takes: a {@link TwinUpdate} with any DeviceID notation and hex case. */
export type TwinUpdateInput = Omit<TwinUpdate, 'deviceId' | 'artifactHash' | 'tx'> & {
  deviceId: string | bigint;
  artifactHash: string;
  tx: string;
};

/** A change of a twin's state (`TwinStateChanged`). */
export type TwinStateChange = {
  deviceId: Hex;
  previous: TwinStateName;
  new: TwinStateName;
  /** Who changed it: a security entity, the owner (lost), the manufacturer or an admin (deactivated). */
  by: string;
  /** The evidence's hash or CID, or the owner's note. */
  reason: string;
  block: number;
  tx: Hex;
  logIndex: number;
};

/** What recordStateChange takes: a {@link TwinStateChange} with any DeviceID notation and hex case. */
export type TwinStateChangeInput = Omit<TwinStateChange, 'deviceId' | 'tx'> & { deviceId: string | bigint; tx: string };
