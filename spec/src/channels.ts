import type { z } from 'zod';
import { alertMessageSchema } from '../../twin-core/src/messages/alert';
import { commandSchema } from '../../twin-core/src/messages/command';
import {
  snapshotMessageSchema,
  staticMessageSchema,
  statusMessageSchema,
  telemetryMessageSchema,
} from '../../twin-core/src/messages/envelope';
import { notificationSchema } from '../../twin-core/src/messages/notification';
import type { TopicKind } from '../../twin-core/src/messages/topics';

/** A party on the broker. */
export type Party = 'device' | 'oracle' | 'api' | 'security' | 'owner';

/** Who a party is, for the document: a short name and what it does. */
export const PARTIES: Record<Party, { name: string; description: string }> = {
  device: {
    name: 'The device',
    description:
      'A device: the twin registry agent, the simulator (many devices over one connection), or any third-party ' +
      "integration holding the device key the twin's `deviceSigner` names.",
  },
  oracle: {
    name: 'An oracle instance',
    description:
      'An oracle instance (holder of ORACLE_ROLE): validates device messages, stores, indexes and anchors them.',
  },
  api: {
    name: 'The API',
    description: 'The API, on behalf of a signed-in owner or security entity (seed 000, device control).',
  },
  security: {
    name: 'A security entity',
    description: 'An approved security entity: its service judges device behaviour and publishes signed alerts.',
  },
  owner: {
    name: "The twin's owner",
    description: "The twin's owner (a dashboard, an app): follows its twins' notifications.",
  },
};

/** One MQTT channel `twins/{deviceId}/{kind}`: everything the spec says about it. */
export type ChannelSpec = {
  kind: TopicKind;
  title: string;
  description: string;
  /** The payload's schema: the same zod schema the receiving party validates with. */
  schema: z.ZodType;
  /** The payload schema's name in the document's components. */
  schemaName: string;
  /** Who signs the payload, or null when nothing is signed (yet). */
  signedBy: string | null;
  qos: 0 | 1 | 2;
  retain: boolean;
  publishers: Party[];
  subscribers: { party: Party; subscription: string; note?: string }[];
};

/**
 * Every MQTT channel of the twin registry, as the code uses it: the agent and simulator's publisher
 * (`agent/src/device/deviceChannel.ts`: QoS 1, `static` and `status` retained, the offline status as the last will),
 * the oracle's subscriptions and notifications (`oracle/src/ingest/oracleMqtt.ts`, `runOracle.ts`), the security
 * service's alerts and the API's commands. The AsyncAPI document and the spec's tables are built from this list.
 */
export const CHANNELS: ChannelSpec[] = [
  {
    kind: 'static',
    title: 'Static document',
    description:
      "The device's static document (identity, hardware, OS, network) in a signed envelope. Published at every start " +
      'and every `staticIntervalHours` (default 24), retained so a new subscriber gets it at once. The oracle accepts ' +
      'it only when its identity hashes to the DeviceID and its canonical JSON hashes to the `staticHash` minted on ' +
      'chain: the document must be byte-for-byte (after RFC 8785) the one minted.',
    schema: staticMessageSchema,
    schemaName: 'StaticMessage',
    signedBy: "the device key (the twin's `deviceSigner`)",
    qos: 1,
    retain: true,
    publishers: ['device'],
    subscribers: [{ party: 'oracle', subscription: '$share/<group>/twins/+/static' }],
  },
  {
    kind: 'snapshot',
    title: 'Snapshot',
    description:
      "A full snapshot of the device's dynamic state (seed 001 sections IV and IX), every section a probe that is " +
      '`{"available": true, "value": …}` or `{"available": false, "reason": "…"}`. Every `snapshotIntervalSeconds` ' +
      '(agent default 30) and on the `collect-snapshot` command. The oracle stores its canonical bytes on IPFS and anchors ' +
      'its hash in a Merkle batch on chain.',
    schema: snapshotMessageSchema,
    schemaName: 'SnapshotMessage',
    signedBy: "the device key (the twin's `deviceSigner`)",
    qos: 1,
    retain: false,
    publishers: ['device'],
    subscribers: [
      { party: 'oracle', subscription: '$share/<group>/twins/+/snapshot' },
      { party: 'security', subscription: 'twins/+/snapshot' },
    ],
  },
  {
    kind: 'telemetry',
    title: 'Telemetry',
    description:
      'Small and frequent (every `telemetryIntervalSeconds`, agent default 1): load, sensors ' +
      'and network behaviour over the interval. The oracle stores telemetry on IPFS in batches (a JSON array of the ' +
      "messages' canonical JSON) and keeps each device's latest reading.",
    schema: telemetryMessageSchema,
    schemaName: 'TelemetryMessage',
    signedBy: "the device key (the twin's `deviceSigner`)",
    qos: 1,
    retain: false,
    publishers: ['device'],
    subscribers: [
      { party: 'oracle', subscription: '$share/<group>/twins/+/telemetry' },
      { party: 'security', subscription: 'twins/+/telemetry' },
    ],
  },
  {
    kind: 'status',
    title: 'Status',
    description:
      'Retained. `online` at every connect, announcing the intervals and `willSeq`: the sequence number of the signed ' +
      '`offline`/`connection-lost` message registered as the MQTT last will (QoS 1, retained), which the broker ' +
      'publishes if the device drops; the oracle accepts that one lower, older message. `offline`/`shutdown` at a ' +
      'clean stop. Devices sharing one connection (the simulator) announce `willSeq: null`.',
    schema: statusMessageSchema,
    schemaName: 'StatusMessage',
    signedBy: "the device key (the twin's `deviceSigner`)",
    qos: 1,
    retain: true,
    publishers: ['device'],
    subscribers: [{ party: 'oracle', subscription: '$share/<group>/twins/+/status' }],
  },
  {
    kind: 'command',
    title: 'Command',
    description:
      'What the API asks the device to do (seed 000: device control), for a signed-in owner or security entity. ' +
      'Every command is safe to repeat and none runs code on the device: collect and publish a snapshot now, ' +
      'republish the static document, change the publishing intervals within bounds, or answer a ping with an ' +
      '`online` status. Not signed yet: the broker must restrict who may publish here (see the README).',
    schema: commandSchema,
    schemaName: 'Command',
    signedBy: null,
    qos: 1,
    retain: false,
    publishers: ['api'],
    subscribers: [{ party: 'device', subscription: 'twins/{deviceId}/command' }],
  },
  {
    kind: 'alerts',
    title: 'Security alert',
    description:
      "A security entity's alert about the device: one episode of one behaviour, its score, the evidence on IPFS and " +
      'the action taken (notified, suspended, reactivated). Signed like device messages, by the key of `by`, which ' +
      'must be an approved security entity. The oracle indexes it and notifies the owner.',
    schema: alertMessageSchema,
    schemaName: 'AlertMessage',
    signedBy: 'the security entity named in `by`',
    qos: 1,
    retain: false,
    publishers: ['security'],
    subscribers: [
      { party: 'oracle', subscription: 'twins/+/alerts', note: 'not shared: every instance indexes every alert' },
    ],
  },
  {
    kind: 'notifications',
    title: 'Owner notification',
    description:
      "What the oracle tells the twin's owner: a state change confirmed on chain (`name: TwinStateChanged`), or a " +
      'security alert it accepted (`kind: security-alert`). Not signed yet: check a state change against the chain ' +
      '(its `tx`) and an alert against the signed message on `twins/{deviceId}/alerts`.',
    schema: notificationSchema,
    schemaName: 'Notification',
    signedBy: null,
    qos: 1,
    retain: false,
    publishers: ['oracle'],
    subscribers: [{ party: 'owner', subscription: 'twins/{deviceId}/notifications' }],
  },
];
