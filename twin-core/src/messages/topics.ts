import type { Hex } from '../encoding/hex';
import { DEVICE_MESSAGE_KINDS, type DeviceMessageKind } from './kinds';

/**
 * Topic kinds: what devices publish, plus what they receive (`command`), what the oracle sends (`notifications`)
 * and what security entities publish (`alerts`).
 */
export type TopicKind = DeviceMessageKind | 'command' | 'notifications' | 'alerts';

const TOPIC_KINDS: readonly string[] = [...DEVICE_MESSAGE_KINDS, 'command', 'notifications', 'alerts'];

/**
 * The MQTT topic of a device's messages of one kind: `twins/{deviceId}/{kind}`.
 *
 * @example
 * deviceTopic(formatDeviceId(deviceId), 'telemetry') // 'twins/0x5f…/telemetry'
 */
export function deviceTopic(deviceId: Hex, kind: TopicKind): string {
  return `twins/${deviceId}/${kind}`;
}

/** The DeviceID and kind of a `twins/{deviceId}/{kind}` topic, or undefined for any other topic. */
export function parseDeviceTopic(topic: string): { deviceId: Hex; kind: TopicKind } | undefined {
  const match = /^twins\/(0x[0-9a-f]{64})\/([a-z]+)$/.exec(topic);
  if (match === null || !TOPIC_KINDS.includes(match[2]!)) return undefined;
  return { deviceId: match[1] as Hex, kind: match[2] as TopicKind };
}
