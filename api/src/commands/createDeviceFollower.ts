import { getTwin, type Store } from '../../../store/src';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { commandReplySchema, type Capabilities } from '../../../twin-core/src/messages/command';
import { statusMessageSchema, type StatusMessage } from '../../../twin-core/src/messages/envelope';
import { reportedFromStatus } from '../../../twin-core/src/messages/stateDocument';
import { accountReply, changeCommandStatus, expireCommandsAnnounced, writeReportedState } from './indexWrites';
import { allDevicesTopic, parseDeviceTopic } from '../../../twin-core/src/messages/topics';
import { recoverMessageSigner } from '../../../twin-core/src/signing/messageSignature';

/** Why a device's reply or status was not used. */
export type FollowRefusal =
  | 'not-json'
  | 'invalid-message'
  | 'unknown-twin'
  | 'wrong-signer'
  | 'unknown-command'
  /** More than 10,000 messages waiting for the index: dropped (the broker redelivers nothing; the device resends). */
  | 'overloaded';

/** Parameters of {@link createDeviceFollower}. */
export type DeviceFollowerParameters = {
  index: Store;
  now?: () => number;
  onRefused?: (reason: FollowRefusal, topic: string) => void;
  /** A message whose handling failed (the index unreachable): logged by the API, the follower goes on. */
  onError?: (error: unknown, topic: string) => void;
};

/** What the API knows of devices from the broker: their declared capabilities, and their answers to commands. */
export type DeviceFollower = {
  /** The subscriptions it needs: `twins/+/status` and `twins/+/reply`. */
  topics: string[];
  /**
   * Handles a message on one of {@link topics}: queued behind the messages before it (one at a time, in arrival
   * order); the promise settles when it is handled and never rejects (a failure goes to `onError`).
   */
  onMessage(topic: string, payload: Buffer): Promise<void>;
  /** The capabilities in the device's latest signed `online` status, if any. */
  capabilities(deviceId: string): Promise<Capabilities | undefined>;
  /** Marks expired commands (called every second by the API); how many. */
  expire(): Promise<number>;
  /** Counters: replies applied, and refusals by reason. */
  stats(): { replies: number; refused: Record<string, number> };
};

/**
 * Follows the devices' signed status and reply messages: a status's capabilities (what a command is validated
 * against) and a reply's new command status are used only when the device key of the twin (`deviceSigner`, from the
 * index) signed them and, for a reply, the command is one of that device's. Memory: one capabilities entry per twin.
 *
 * @example
 * const follower = createDeviceFollower({ index })
 * mqtt.subscribe(follower.topics); mqtt.on('message', (topic, payload) => follower.onMessage(topic, payload))
 */
export function createDeviceFollower(parameters: DeviceFollowerParameters): DeviceFollower {
  const { index } = parameters;
  const now = parameters.now ?? Date.now;
  const capabilities = new Map<string, Capabilities>();
  // Statuses not verified yet (the twin may not be mirrored yet when its retained status arrives): checked when asked.
  const unverified = new Map<string, StatusMessage & { capabilities: Capabilities | undefined }>();
  const MAX_UNVERIFIED = 10_000;
  const refused: Record<string, number> = {};
  let replies = 0;
  const refuse = (reason: FollowRefusal, topic: string) => {
    refused[reason] = (refused[reason] ?? 0) + 1;
    parameters.onRefused?.(reason, topic);
  };

  async function signedByDevice(deviceId: Hex, message: { sig: string }, topic: string): Promise<boolean> {
    const twin = await getTwin(index, deviceId);
    if (twin === undefined) {
      refuse('unknown-twin', topic);
      return false;
    }
    if (recoverMessageSigner(message)?.toLowerCase() !== twin.deviceSigner.toLowerCase()) {
      refuse('wrong-signer', topic);
      return false;
    }
    return true;
  }

  async function handle(topic: string, payload: Buffer): Promise<void> {
    const parsedTopic = parseDeviceTopic(topic);
    // A reply may come on an MQTT 5 response topic under twins/{deviceId}/: its DeviceID is in the message.
    const deviceId = parsedTopic?.deviceId ?? (/^twins\/(0x[0-9a-f]{64})\//.exec(topic)?.[1] as Hex | undefined);
    if (deviceId === undefined) return;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString());
    } catch {
      return refuse('not-json', topic);
    }
    if (parsedTopic?.kind === 'status') {
      const status = statusMessageSchema.safeParse(json);
      if (!status.success || status.data.deviceId !== deviceId) return refuse('invalid-message', topic);
      const body = status.data.body;
      if (body.state !== 'online' || body.capabilities === undefined) return;
      if ((await getTwin(index, deviceId)) === undefined) {
        if (unverified.size < MAX_UNVERIFIED || unverified.has(deviceId))
          unverified.set(deviceId, { ...status.data, capabilities: body.capabilities });
        return;
      }
      if (!(await signedByDevice(deviceId, status.data, topic))) return;
      unverified.delete(deviceId);
      capabilities.set(deviceId, body.capabilities);
      // The state document's `reported`: what the device's signed status says it is.
      const reported = reportedFromStatus(body);
      if (reported !== undefined) await writeReportedState(index, deviceId, reported, now());
      return;
    }
    const reply = commandReplySchema.safeParse(json);
    if (!reply.success || reply.data.deviceId !== deviceId) return refuse('invalid-message', topic);
    if (!(await signedByDevice(deviceId, reply.data, topic))) return;
    await accountReply(index, deviceId, reply.data.seq);
    const { body } = reply.data;
    const updated = await changeCommandStatus(index, {
      deviceId,
      commandId: body.commandId,
      status: body.status,
      ...(body.status === 'succeeded' ? { result: body.result } : {}),
      ...(body.status === 'failed' ? { error: body.error } : {}),
      at: now(),
    });
    if (updated === undefined) return refuse('unknown-command', topic);
    replies++;
  }

  // One queue per device (its messages in arrival order), devices side by side.
  const queues = new Map<string, Promise<void>>();
  let queued = 0;
  return {
    topics: [allDevicesTopic('status'), allDevicesTopic('reply')],
    onMessage(topic, payload) {
      if (queued >= 10_000) {
        refuse('overloaded', topic);
        return Promise.resolve();
      }
      queued++;
      const key = /^twins\/([^/]+)\//.exec(topic)?.[1]?.toLowerCase() ?? '';
      const next = (queues.get(key) ?? Promise.resolve()).then(() =>
        handle(topic, payload)
          .catch((error: unknown) => parameters.onError?.(error, topic))
          .finally(() => queued--),
      );
      queues.set(key, next);
      void next.then(() => {
        if (queues.get(key) === next) queues.delete(key);
      });
      return next;
    },
    async capabilities(deviceId) {
      const key = deviceId.toLowerCase() as Hex;
      const pending = unverified.get(key);
      if (pending !== undefined && (await getTwin(index, key)) !== undefined && unverified.get(key) === pending) {
        unverified.delete(key);
        const { capabilities: declared, ...message } = pending;
        if ((await signedByDevice(key, message, `twins/${key}/status`)) && declared !== undefined) {
          capabilities.set(key, declared);
          const reported = reportedFromStatus(message.body);
          if (reported !== undefined) await writeReportedState(index, key, reported, now());
        }
      }
      return capabilities.get(key);
    },
    expire: () => expireCommandsAnnounced(index, now()),
    stats: () => ({ replies, refused: { ...refused } }),
  };
}
