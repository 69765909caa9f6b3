import type { z } from 'zod';
import { alertMessageSchema } from '../../twin-core/src/messages/alert';
import { commandReplySchema, signedCommandSchema } from '../../twin-core/src/messages/command';
import {
  snapshotMessageSchema,
  staticMessageSchema,
  statusMessageSchema,
  telemetryMessageSchema,
} from '../../twin-core/src/messages/envelope';
import { notificationMessageSchema, twinRecordMessageSchema } from '../../twin-core/src/messages/oracleMessage';
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
    description:
      "The API: relays commands the twin's owner signed (seed 000, device control) and follows the devices' status " +
      'and replies to track each command.',
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
    subscribers: [
      { party: 'oracle', subscription: '$share/<group>/twins/+/status' },
      { party: 'api', subscription: 'twins/+/status', note: 'the capabilities commands are checked against' },
    ],
  },
  {
    kind: 'command',
    title: 'Command',
    description:
      "A command signed by the twin's current owner (EIP-712, domain `{ name: \"TwinCommand\", version: \"1\", " +
      'chainId, verifyingContract: TwinRegistry }`, type `Command(bytes32 deviceId,string command,string arguments,' +
      'uint256 nonce,uint64 expiry)` with `arguments` the RFC 8785 canonical JSON of `args`); its EIP-712 digest is ' +
      "its command ID. A built-in command (collect-snapshot, publish-static, set-intervals, ping) or an actuator the " +
      'device declares in its capabilities (e.g. `light` with `{"action":"turn_on","brightness":75}`). The device ' +
      'obeys only when the signer is the owner it knows (from the signed twin record or the chain), the command is ' +
      'not expired and valid for at most an hour, its nonce was never used, and it was not delivered retained. With ' +
      'MQTT 5 the API sets a response topic (`twins/{deviceId}/reply`) and correlation data (the command ID).',
    schema: signedCommandSchema,
    schemaName: 'SignedCommand',
    signedBy: "the twin's current owner (EIP-712)",
    qos: 1,
    retain: false,
    publishers: ['api'],
    subscribers: [{ party: 'device', subscription: 'twins/{deviceId}/command' }],
  },
  {
    kind: 'reply',
    title: 'Command reply',
    description:
      "The device's acknowledgement (`delivered`) and answer (`succeeded` with its result, `failed` with its error) " +
      'to a command, by command ID; always here (the only reply topic the broker lets a device publish; the API names ' +
      'it as the MQTT 5 response topic), with an MQTT 5 command\'s correlation data. Signed like every device message. The API moves the command forward only (never out of a final ' +
      'status).',
    schema: commandReplySchema,
    schemaName: 'CommandReply',
    signedBy: "the device key (the twin's `deviceSigner`)",
    qos: 1,
    retain: false,
    publishers: ['device'],
    subscribers: [{ party: 'api', subscription: 'twins/+/reply' }],
  },
  {
    kind: 'twin',
    title: 'Twin record',
    description:
      "The twin as the oracle's chain mirror has it confirmed (owner, state, device signer, the registry and chain, " +
      'the block of its last change), retained and republished at every change: what a device without an RPC ' +
      'endpoint learns its owner from. Signed by an oracle key by the signature rule; a device accepts it only from ' +
      'an oracle key pinned at provisioning and never one older (`block`) than the last it accepted.',
    schema: twinRecordMessageSchema,
    schemaName: 'TwinRecordMessage',
    signedBy: 'an oracle key (a holder of ORACLE_ROLE)',
    qos: 1,
    retain: true,
    publishers: ['oracle'],
    subscribers: [{ party: 'device', subscription: 'twins/{deviceId}/twin' }],
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
      "What the oracle tells the twin's owner, in the signed envelope of device messages: a state change confirmed " +
      'on chain (`body.name: TwinStateChanged`), or a security alert it accepted (`body.kind: security-alert`). To ' +
      'verify one: parse it strictly, recover the signer from `sig` by the signature rule (EIP-191 over keccak256 ' +
      'of the canonical JSON without `sig`), and check `EntityRegistry.hasRole(ORACLE_ROLE, signer)` on chain; ' +
      'refuse it otherwise (a forged notification fails here). `verifyOracleMessage` in twin-core does this.',
    schema: notificationMessageSchema,
    schemaName: 'NotificationMessage',
    signedBy: 'an oracle key (a holder of ORACLE_ROLE)',
    qos: 1,
    retain: false,
    publishers: ['oracle'],
    subscribers: [{ party: 'owner', subscription: 'twins/{deviceId}/notifications' }],
  },
];
