import type { Hex } from '../encoding/hex';
import { DEVICE_MESSAGE_KINDS, type DeviceMessageKind } from './kinds';

/**
 * Topic kinds: what devices publish (and `reply`, their signed answers to commands), what they receive (`command`,
 * the owner's signed commands), what the oracle sends (`notifications`, and `twin`, the retained signed twin record)
 * and what security entities publish (`alerts`).
 */
export type TopicKind = DeviceMessageKind | 'command' | 'reply' | 'notifications' | 'twin' | 'alerts';

const TOPIC_KINDS: readonly string[] = [...DEVICE_MESSAGE_KINDS, 'command', 'reply', 'notifications', 'twin', 'alerts'];

/**
 * Wildcard subscriptions of the parties that follow every device: the API reads `status` (capabilities) and
 * `reply` (answers to commands).
 *
 * @example
 * client.subscribe(allDevicesTopic('reply'))
 */
export function allDevicesTopic(kind: TopicKind): string {
  return `twins/+/${kind}`;
}

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
