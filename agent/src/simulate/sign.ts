/** Signed envelopes for simulated messages: what the agent's publisher sends for a virtual device. */
import {
  MESSAGE_SCHEMA_VERSION,
  type SnapshotMessage,
  type StaticMessage,
  type TelemetryMessage,
} from '../../../twin-core/src/messages/envelope';
import { signDeviceMessage } from '../../../twin-core/src/signing/messageSignature';
import type { VirtualDevice } from './device';
import type { SimulatedMessage } from './createSimulation';

/**
 * Puts a simulated body in the envelope `{ v: 1, kind, deviceId, seq, ts, body }` and signs it with the virtual
 * device's key (EIP-191 over the canonical hash of the whole envelope). `ts` defaults to the instant the
 * simulation produced the message.
 *
 * @example
 * for (const message of simulation.step(now)) {
 *   const device = simulation.devices[message.deviceIndex]!
 *   publish(deviceTopic(device.deviceId, message.kind), signSimulated(device, message, seq[message.deviceIndex]++))
 * }
 */
export function signSimulated(
  device: VirtualDevice,
  message: SimulatedMessage,
  seq: number,
  tsIso: string = new Date(message.atMs).toISOString(),
): TelemetryMessage | SnapshotMessage {
  const envelope = {
    v: MESSAGE_SCHEMA_VERSION as typeof MESSAGE_SCHEMA_VERSION,
    deviceId: device.deviceId,
    seq,
    ts: tsIso,
  };
  if (message.kind === 'telemetry') {
    const unsigned: Omit<TelemetryMessage, 'sig'> = { ...envelope, kind: 'telemetry', body: message.body };
    return signDeviceMessage(unsigned, device.privateKey);
  }
  const unsigned: Omit<SnapshotMessage, 'sig'> = { ...envelope, kind: 'snapshot', body: message.body };
  return signDeviceMessage(unsigned, device.privateKey);
}

/**
 * The virtual device's signed static document (`twins/{deviceId}/static`).
 *
 * @example
 * publish(deviceTopic(device.deviceId, 'static'), signSimulatedStatic(device, 0, new Date(start).toISOString()))
 */
export function signSimulatedStatic(device: VirtualDevice, seq: number, tsIso: string): StaticMessage {
  const unsigned: Omit<StaticMessage, 'sig'> = {
    v: MESSAGE_SCHEMA_VERSION,
    kind: 'static',
    deviceId: device.deviceId,
    seq,
    ts: tsIso,
    body: device.staticDocument,
  };
  return signDeviceMessage(unsigned, device.privateKey);
}
