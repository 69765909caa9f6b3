import type { Hex } from '../../../twin-core/src/encoding/hex';
import type { DeviceMessage, UnsignedDeviceMessage } from '../../../twin-core/src/messages/envelope';
import { MESSAGE_SCHEMA_VERSION, type DeviceMessageKind } from '../../../twin-core/src/messages/kinds';
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

  /** The message of `kind` with `body` and the next sequence number (or `seq` when given), not yet signed. */
  unsigned<kind extends DeviceMessageKind>(kind: kind, body: BodyOf<kind>, seq?: number): UnsignedDeviceMessage {
    return {
      v: MESSAGE_SCHEMA_VERSION,
      kind,
      deviceId: this.parameters.deviceId,
      seq: seq ?? this.parameters.sequence.next(),
      ts: new Date((this.parameters.now ?? Date.now)()).toISOString(),
      body,
    } as UnsignedDeviceMessage;
  }

  /** The signed message of `kind` with `body` and the next sequence number (or `seq` when given). */
  message<kind extends DeviceMessageKind>(
    kind: kind,
    body: BodyOf<kind>,
    seq?: number,
  ): Extract<DeviceMessage, { kind: kind }> {
    return signDeviceMessage(this.unsigned(kind, body, seq), this.parameters.key) as Extract<
      DeviceMessage,
      { kind: kind }
    >;
  }

  /** The device's signing key (the simulator hands it to its signing workers). */
  get key(): PrivateKey {
    return this.parameters.key;
  }

  /** The outbox entry carrying a signed message of `kind`; `static` and `status` are retained. */
  entry<kind extends DeviceMessageKind>(kind: kind, body: BodyOf<kind>, seq?: number): OutboxEntry {
    return this.toEntry(this.message(kind, body, seq));
  }

  /** The outbox entry of an already signed message. */
  toEntry(message: DeviceMessage): OutboxEntry {
    return entryFor(message, JSON.stringify(message));
  }
}

/** The outbox entry carrying `payload`, the JSON of `message`: its topic, and retained for `static` and `status`. */
export function entryFor(message: Pick<DeviceMessage, 'deviceId' | 'kind'>, payload: string): OutboxEntry {
  return {
    topic: deviceTopic(message.deviceId as Hex, message.kind),
    payload,
    retain: message.kind === 'static' || message.kind === 'status',
  };
}
