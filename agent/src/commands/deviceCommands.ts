import type { IPublishPacket } from 'mqtt';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { Capabilities, CommandReplyBody } from '../../../twin-core/src/messages/command';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import type { PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { signMessage } from '../../../twin-core/src/signing/messageSignature';
import type { SequenceSource } from '../device/deviceChannel';
import type { MqttPublisher } from '../transport/mqttPublisher';
import { handleCommand, type CommandHandlers, type HandleCommandResult } from './handleCommand';
import { TwinRecordOwnerSource, type OwnerSource, type TwinRecordRefusal } from './ownerSource';
import type { ReplaySet } from './replaySet';

/** Parameters of {@link createDeviceCommands}. */
export type DeviceCommandsParameters = {
  deviceId: Hex;
  key: PrivateKey;
  sequence: SequenceSource;
  owners: OwnerSource;
  seen: ReplaySet;
  handlers: CommandHandlers;
  capabilities: () => Capabilities;
  publisher: MqttPublisher;
  now?: () => number;
  clockSkewSeconds?: number;
  /** Each command judged, obeyed or refused (the caller counts and logs). */
  onCommand?: (result: HandleCommandResult) => void;
  /** Each twin record refused (counted by the caller). */
  onRecordRefused?: (reason: TwinRecordRefusal) => void;
};

/** One device's command channel: what it subscribes to, and what it does with what arrives there. */
export type DeviceCommands = {
  /** `twins/{deviceId}/command` and `twins/{deviceId}/twin`. */
  topics: string[];
  /** Handles a message on one of {@link topics}; other topics are ignored. */
  onMessage(topic: string, payload: Buffer, packet: Partial<IPublishPacket>): Promise<void>;
};

/**
 * Wires one device's commands: the owner's signed commands on `twins/{deviceId}/command`, judged by {@link
 * handleCommand}, each answer signed by the device key and published on `twins/{deviceId}/reply` (the only reply topic
 * the broker's ACL lets a device publish; an MQTT 5 command's correlation data goes with it); and the
 * oracle's twin record on `twins/{deviceId}/twin` when the owner comes from it. Used by the agent (one device) and the
 * simulator (one per virtual device).
 *
 * @example
 * const commands = createDeviceCommands({ deviceId, key, sequence, owners, seen, handlers, capabilities, publisher })
 * publisher.on('message', (topic, payload, packet) => void commands.onMessage(topic, payload, packet))
 */
export function createDeviceCommands(parameters: DeviceCommandsParameters): DeviceCommands {
  const { deviceId, publisher } = parameters;
  const commandTopic = deviceTopic(deviceId, 'command');
  const recordTopic = deviceTopic(deviceId, 'twin');
  const replyTopic = deviceTopic(deviceId, 'reply');
  const now = parameters.now ?? Date.now;

  const send = (body: CommandReplyBody, properties: IPublishPacket['properties']) => {
    // A device publishes only its own reply topic, `twins/{deviceId}/reply`: all the broker's ACL grants it (a refused
    // publish costs a device its connection on the embedded broker, and is dropped by Mosquitto). An MQTT 5 response
    // topic is honoured when it is that topic; any other falls back to it, the correlation data kept.
    const message = signMessage(
      { v: 1, kind: 'reply', deviceId, seq: parameters.sequence.next(), ts: new Date(now()).toISOString(), body },
      parameters.key,
    );
    const entry = { topic: replyTopic, payload: JSON.stringify(message), retain: false };
    const correlation = properties?.correlationData;
    publisher
      .publishDirect(entry, correlation === undefined ? undefined : { correlationData: correlation })
      .catch(() => publisher.enqueue(entry));
  };

  return {
    topics: parameters.owners instanceof TwinRecordOwnerSource ? [commandTopic, recordTopic] : [commandTopic],
    async onMessage(topic, payload, packet) {
      if (topic === recordTopic && parameters.owners instanceof TwinRecordOwnerSource) {
        const verdict = parameters.owners.accept(payload);
        if (!verdict.ok) parameters.onRecordRefused?.(verdict.reason);
        return;
      }
      if (topic !== commandTopic) return;
      const result = await handleCommand(payload, {
        deviceId,
        owners: parameters.owners,
        seen: parameters.seen,
        handlers: parameters.handlers,
        capabilities: parameters.capabilities,
        reply: (body) => send(body, packet.properties),
        retained: packet.retain === true,
        now,
        ...(parameters.clockSkewSeconds !== undefined ? { clockSkewSeconds: parameters.clockSkewSeconds } : {}),
      }).catch(
        (error: Error): HandleCommandResult => ({ ok: false, reason: 'invalid-command', detail: error.message }),
      );
      parameters.onCommand?.(result);
    },
  };
}
