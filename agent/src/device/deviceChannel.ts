import type { Hex } from '../../../twin-core/src/encoding/hex';
import {
  MESSAGE_SCHEMA_VERSION,
  type DeviceMessage,
  type DeviceMessageKind,
  type UnsignedDeviceMessage,
} from '../../../twin-core/src/messages/envelope';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import type { PrivateKey } from '../../../twin-core/src/signing/deviceKey';
import { signDeviceMessage } from '../../../twin-core/src/signing/messageSignature';
import type { OutboxEntry } from '../transport/outbox';

/** Where sequence numbers come from: a persisted {@link SequenceStore} for a real device. */
export type SequenceSource = { next(): number };

/** Parameters of {@link DeviceChannel}. */
export type DeviceChannelParameters = {
  deviceId: Hex;
  key: PrivateKey;
  sequence: SequenceSource;
  /** Wall clock, ms (injected for tests). */
  now?: () => number;
};

type BodyOf<kind extends DeviceMessageKind> = Extract<DeviceMessage, { kind: kind }>['body'];

/**
 * Turns a body into what goes on the wire for one device: the envelope (schema version, kind, DeviceID, the next
 * sequence number, time), signed with the device key, as an outbox entry on `twins/{deviceId}/{kind}`.
 *
 * @example
 * const channel = new DeviceChannel({ deviceId, key, sequence })
 * publisher.enqueue(channel.entry('telemetry', body))
 */
export class DeviceChannel {
  constructor(private readonly parameters: DeviceChannelParameters) {}

  get deviceId(): Hex {
    return this.parameters.deviceId;
  }

  /** The signed message of `kind` with `body` and the next sequence number (or `seq` when given). */
  message<kind extends DeviceMessageKind>(kind: kind, body: BodyOf<kind>, seq?: number): Extract<DeviceMessage, { kind: kind }> {
    const unsigned = {
      v: MESSAGE_SCHEMA_VERSION,
      kind,
      deviceId: this.parameters.deviceId,
      seq: seq ?? this.parameters.sequence.next(),
      ts: new Date((this.parameters.now ?? Date.now)()).toISOString(),
      body,
    } as UnsignedDeviceMessage;
    return signDeviceMessage(unsigned, this.parameters.key) as Extract<DeviceMessage, { kind: kind }>;
  }

  /** The outbox entry carrying a signed message of `kind`; `static` and `status` are retained. */
  entry<kind extends DeviceMessageKind>(kind: kind, body: BodyOf<kind>, seq?: number): OutboxEntry {
    return this.toEntry(this.message(kind, body, seq));
  }

  /** The outbox entry of an already signed message. */
  toEntry(message: DeviceMessage): OutboxEntry {
    return {
      topic: deviceTopic(message.deviceId as Hex, message.kind),
      payload: JSON.stringify(message),
      retain: message.kind === 'static' || message.kind === 'status',
    };
  }
}
