/**
 * A device's analyzer state as bytes and back, exactly (issue 15 item 8: the security service keeps it in the store,
 * so that a restart does not re-learn the baselines). Little-endian, fixed layout:
 *
 * | offset | what                                                                                       |
 * | ------ | ------------------------------------------------------------------------------------------ |
 * | 0      | magic `TWDS`                                                                               |
 * | 4      | u16 format version ({@link DEVICE_STATE_VERSION})                                           |
 * | 6      | u16 detectors, u16 numbers per detector slot, u16 baseline numbers, u16 name-set capacity  |
 * | 14     | u16 bytes of the DeviceID, u32 bytes of the evidence                                       |
 * | 20     | u32 layout hash (features and detectors, names and order)                                  |
 * | 24     | f64 lastSeq, lastMs, lastAbnormalMs; u32 openAlerts, snapshotsLearned; u8 namesSettled; 3 × 0 |
 * | 64     | f64 × baseline numbers, f64 × detector slots, u32 × name sets, DeviceID (UTF-8), evidence   |
 *
 * The evidence of open alerts is JSON (non-finite numbers tagged, `jsonSafe.ts`), empty when the device never had an
 * alert. Every float, NaN included, is written as its IEEE 754 bits: the restored state is the same, number for number.
 */
import { utf8ToBytes } from '@noble/hashes/utils';
import { BASELINE_NUMBERS } from '../baseline/layout';
import { hashName } from '../baseline/nameSet';
import { DETECTOR_NAMES } from '../detect/detectors';
import { InvalidDeviceStateError } from '../errors';
import { FEATURES } from '../features/features';
import { SLOT, SLOT_FIELDS, type DeviceState } from './deviceState';
import { fromJsonSafe, toJsonSafe } from './jsonSafe';
import type { AlertEvidence } from './types';

/** The format version {@link encodeDeviceState} writes and {@link decodeDeviceState} reads. */
export const DEVICE_STATE_VERSION = 1;
const MAGIC = [0x54, 0x57, 0x44, 0x53]; // 'TWDS'
const HEADER_BYTES = 64;
/** Largest DeviceID accepted, bytes of UTF-8. */
const MAX_ID_BYTES = 256;
/** A hash of what the numbers mean: the features and detectors, by name and order. */
const LAYOUT_HASH = hashName(`${FEATURES.map((feature) => feature.name).join(',')};${DETECTOR_NAMES.join(',')}`);

/**
 * A device's state as bytes.
 *
 * @example
 * const bytes = encodeDeviceState(device, config.setCapacity)
 */
export function encodeDeviceState(device: DeviceState): Uint8Array {
  const id = utf8ToBytes(device.deviceId);
  const evidence =
    device.evidence === undefined ? new Uint8Array(0) : utf8ToBytes(JSON.stringify(toJsonSafe(device.evidence)));
  const names = device.baseline.names;
  const size =
    HEADER_BYTES + 8 * (BASELINE_NUMBERS + device.slots.length) + 4 * names.length + id.length + evidence.length;
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint16(4, DEVICE_STATE_VERSION, true);
  view.setUint16(6, DETECTOR_NAMES.length, true);
  view.setUint16(8, SLOT_FIELDS, true);
  view.setUint16(10, BASELINE_NUMBERS, true);
  view.setUint16(12, names.length / 4, true);
  view.setUint16(14, id.length, true);
  view.setUint32(16, evidence.length, true);
  view.setUint32(20, LAYOUT_HASH, true);
  view.setFloat64(24, device.lastSeq, true);
  view.setFloat64(32, device.lastMs, true);
  view.setFloat64(40, device.lastAbnormalMs, true);
  view.setUint32(48, device.openAlerts, true);
  view.setUint32(52, device.baseline.snapshotsLearned, true);
  view.setUint8(56, device.baseline.namesSettled ? 1 : 0);
  let at = HEADER_BYTES;
  for (const number of device.baseline.numbers) view.setFloat64(at, number, true), (at += 8);
  for (const number of device.slots) view.setFloat64(at, number, true), (at += 8);
  for (const word of names) view.setUint32(at, word, true), (at += 4);
  bytes.set(id, at);
  bytes.set(evidence, at + id.length);
  return bytes;
}

/**
 * Reads a state {@link encodeDeviceState} wrote into `device` (a fresh state of the same DeviceID and set capacity).
 * Refuses, with an {@link InvalidDeviceStateError} naming what is wrong: bytes that are no device state, another
 * format version or layout (detectors, features, set capacity), a truncated or over-long state, another device's,
 * inconsistent open alerts or evidence.
 *
 * @example
 * const device = createDeviceState(deviceIdOfDeviceState(bytes), config.setCapacity)
 * decodeDeviceState(bytes, device)
 */
export function decodeDeviceState(bytes: Uint8Array, device: DeviceState): void {
  const header = readHeader(bytes);
  const capacity = device.baseline.names.length / 4;
  if (header.capacity !== capacity) {
    refuse(
      'another name-set capacity',
      `the state's setCapacity is ${header.capacity}; this analyzer's is ${capacity}`,
    );
  }
  if (header.deviceId !== device.deviceId) {
    refuse('another device', `the state is of ${header.deviceId}, not of ${device.deviceId}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = HEADER_BYTES;
  const numbers = device.baseline.numbers;
  for (let index = 0; index < numbers.length; index++, at += 8) numbers[index] = view.getFloat64(at, true);
  for (let index = 0; index < device.slots.length; index++, at += 8) device.slots[index] = view.getFloat64(at, true);
  const names = device.baseline.names;
  for (let index = 0; index < names.length; index++, at += 4) names[index] = view.getUint32(at, true);
  at += header.idBytes;
  device.evidence = header.evidenceBytes === 0 ? undefined : readEvidence(bytes.subarray(at));
  device.lastSeq = view.getFloat64(24, true);
  device.lastMs = view.getFloat64(32, true);
  device.lastAbnormalMs = view.getFloat64(40, true);
  device.openAlerts = view.getUint32(48, true);
  device.baseline.snapshotsLearned = view.getUint32(52, true);
  device.baseline.namesSettled = view.getUint8(56) === 1;
  checkConsistent(device);
}

/**
 * The DeviceID a state is of (its header checked as {@link decodeDeviceState} does).
 *
 * @example
 * deviceIdOfDeviceState(bytes) // '0xab…'
 */
export function deviceIdOfDeviceState(bytes: Uint8Array): string {
  return readHeader(bytes).deviceId;
}

function readHeader(bytes: unknown) {
  if (!(bytes instanceof Uint8Array)) refuse('not bytes', `expected a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < HEADER_BYTES) {
    refuse('truncated', `${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  }
  if (MAGIC.some((byte, index) => bytes[index] !== byte)) {
    refuse('not an analyzer device state', `the first bytes are not "TWDS"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(4, true);
  if (version !== DEVICE_STATE_VERSION) {
    refuse('another format version', `the state is version ${version}; this code reads ${DEVICE_STATE_VERSION}`);
  }
  const layout = [
    ['detectors', view.getUint16(6, true), DETECTOR_NAMES.length],
    ['numbers per detector slot', view.getUint16(8, true), SLOT_FIELDS],
    ['baseline numbers', view.getUint16(10, true), BASELINE_NUMBERS],
    ['layout hash (features and detectors)', view.getUint32(20, true), LAYOUT_HASH],
  ] as const;
  for (const [what, found, expected] of layout) {
    if (found !== expected) refuse('another layout', `${what}: the state has ${found}, this code ${expected}`);
  }
  const capacity = view.getUint16(12, true);
  const idBytes = view.getUint16(14, true);
  const evidenceBytes = view.getUint32(16, true);
  if (idBytes === 0 || idBytes > MAX_ID_BYTES) refuse('bad DeviceID length', `${idBytes} bytes`);
  const expected =
    HEADER_BYTES +
    8 * (BASELINE_NUMBERS + DETECTOR_NAMES.length * SLOT_FIELDS) +
    16 * capacity +
    idBytes +
    evidenceBytes;
  if (bytes.length !== expected) {
    refuse(bytes.length < expected ? 'truncated' : 'over-long', `${bytes.length} bytes; its header says ${expected}`);
  }
  const idAt = expected - evidenceBytes - idBytes;
  const deviceId = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(idAt, idAt + idBytes));
  return { capacity, idBytes, evidenceBytes, deviceId };
}

function readEvidence(bytes: Uint8Array): Array<AlertEvidence | undefined> {
  let parsed: unknown;
  try {
    parsed = fromJsonSafe(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)));
  } catch (error) {
    refuse('unreadable evidence', (error as Error).message);
  }
  if (!Array.isArray(parsed) || parsed.length !== DETECTOR_NAMES.length) {
    refuse('unreadable evidence', `expected an array of ${DETECTOR_NAMES.length} entries`);
  }
  return parsed.map((item) => (item === null ? undefined : (item as AlertEvidence)));
}

function checkConsistent(device: DeviceState): void {
  if (!(Number.isInteger(device.lastSeq) && device.lastSeq >= -1)) {
    refuse('inconsistent', `lastSeq is ${device.lastSeq}`);
  }
  let open = 0;
  for (let slot = 0; slot < DETECTOR_NAMES.length; slot++) {
    if (Number.isNaN(device.slots[slot * SLOT_FIELDS + SLOT.OPENED_MS]!)) continue;
    open++;
    if (device.evidence?.[slot] === undefined) {
      refuse('inconsistent', `the ${DETECTOR_NAMES[slot]} alert is open without its evidence`);
    }
  }
  if (open !== device.openAlerts) refuse('inconsistent', `${device.openAlerts} open alerts counted, ${open} open`);
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? value.constructor?.name ?? 'object' : typeof value;
}

function refuse(what: string, details: string): never {
  throw new InvalidDeviceStateError(`Invalid analyzer device state: ${what}.`, { details });
}
