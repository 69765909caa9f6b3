import { MESSAGE_SCHEMA_VERSION } from '../../twin-core/src/messages/envelope';
import { CHANNELS, PARTIES, type ChannelSpec, type Party } from './channels';
import { jsonSchemaOf, type JsonSchema } from './jsonSchema';

/** Version of the MQTT interface the document describes: the message schema version, as semver. */
export const ASYNCAPI_DOCUMENT_VERSION = `${MESSAGE_SCHEMA_VERSION}.0.0`;

const DESCRIPTION = `The MQTT interface of the twin registry: what devices publish, what the oracle and the security
entities read and publish, and the rules a message must follow to be accepted. The integrator's guide, with the test
vectors and the contracts' ABIs, is the \`spec/\` folder of the repository (\`spec/README.md\`).

**Topics.** \`twins/{deviceId}/{kind}\`, the DeviceID as 0x + 64 lower-case hex digits (the twin's ERC-721 token ID,
keccak256 of the ABI-encoded identity).

**Payloads.** JSON (UTF-8, I-JSON: no lone surrogates, unique member names), validated by strict schemas: an unknown
field is refused and named, nothing is defaulted, dropped or transformed.

**Canonical form.** RFC 8785, the JSON Canonicalization Scheme (JCS), exactly: any JCS implementation gives the same
bytes.

**Signature rule.** The signed bytes are the RFC 8785 canonical JSON, in UTF-8, of the message as received without
its top-level \`sig\` member; \`sig\` is an EIP-191 (\`personal_sign\`) signature, r ‖ s ‖ v with v 27 or 28 and s in
the lower half of the curve order, of keccak256 of those bytes, by the twin's \`deviceSigner\` (for alerts, by the
security entity \`by\`). The bytes stored on IPFS, indexed and served are the canonical JSON of the whole message as
received, \`sig\` included.

**Rejections.** The oracle acknowledges every message (QoS 1) and refuses a bad one with a reason code, counted in
its metrics; \`npm run check-message\` says what it would answer about a message without sending it.`;

function operationId(party: Party, action: 'send' | 'receive', channel: ChannelSpec): string {
  const verb = action === 'send' ? 'Publishes' : 'Receives';
  const noun = channel.kind.charAt(0).toUpperCase() + channel.kind.slice(1);
  return `${party}${verb}${noun}`;
}

/**
 * The AsyncAPI 3.0 document of every MQTT channel, built from {@link CHANNELS}: per channel its topic, the message
 * and its JSON Schema (generated from the zod schema the receiver validates with), and one operation per party and
 * direction with its QoS and retain flag (MQTT bindings). Operations are named by the party that performs them
 * (`devicePublishesSnapshot`, `oracleReceivesSnapshot`) and tagged with it.
 *
 * @example
 * writeFileSync('spec/asyncapi.json', JSON.stringify(buildAsyncApi(), null, 2))
 */
export function buildAsyncApi(): JsonSchema {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, JsonSchema> = {};
  for (const channel of CHANNELS) {
    schemas[channel.schemaName] = jsonSchemaOf(channel.schema);
    messages[channel.schemaName] = {
      name: channel.schemaName,
      title: channel.title,
      contentType: 'application/json',
      payload: { $ref: `#/components/schemas/${channel.schemaName}` },
      ...(channel.signedBy === null ? {} : { 'x-signed-by': channel.signedBy }),
    };
    channels[channel.kind] = {
      address: `twins/{deviceId}/${channel.kind}`,
      title: channel.title,
      description: channel.description,
      parameters: { deviceId: { $ref: '#/components/parameters/deviceId' } },
      messages: { [channel.schemaName]: { $ref: `#/components/messages/${channel.schemaName}` } },
    };
    const bindings = { mqtt: { qos: channel.qos, retain: channel.retain, bindingVersion: '0.2.0' } };
    const operation = (
      party: Party,
      action: 'send' | 'receive',
      summary: string,
      extra: Record<string, unknown> = {},
    ) => {
      operations[operationId(party, action, channel)] = {
        action,
        channel: { $ref: `#/channels/${channel.kind}` },
        summary,
        tags: [{ $ref: `#/components/tags/${party}` }],
        messages: [{ $ref: `#/channels/${channel.kind}/messages/${channel.schemaName}` }],
        bindings,
        ...extra,
      };
    };
    for (const party of channel.publishers) {
      operation(
        party,
        'send',
        `${PARTIES[party].name} publishes to twins/{deviceId}/${channel.kind}, QoS ${channel.qos}` +
          `${channel.retain ? ', retained' : ''}.`,
      );
    }
    for (const { party, subscription, note } of channel.subscribers) {
      operation(party, 'receive', `Subscribes to ${subscription}${note ? ` (${note})` : ''}.`, {
        'x-subscription': subscription,
      });
    }
  }
  return {
    asyncapi: '3.0.0',
    id: 'urn:twin-registry:mqtt',
    info: {
      title: 'Twin registry MQTT interface',
      version: ASYNCAPI_DOCUMENT_VERSION,
      description: DESCRIPTION,
      license: { name: 'MIT' },
      tags: Object.keys(PARTIES).map((party) => ({ $ref: `#/components/tags/${party}` })),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:1883',
        protocol: 'mqtt',
        protocolVersion: '3.1.1',
        description:
          "`npm start`'s embedded broker (aedes, MQTT 3.1.1; the oracle speaks MQTT 5 to brokers that have it, for " +
          'shared subscriptions). Any MQTT broker works; see the README for Mosquitto.',
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      parameters: {
        deviceId: {
          description:
            "The DeviceID: 0x followed by 64 lower-case hex digits (the twin's ERC-721 token ID, keccak256 of " +
            "the ABI-encoded identity). The message's own `deviceId` must be the same.",
          examples: [`0x${'5f'.repeat(32)}`],
        },
      },
      tags: Object.fromEntries(
        Object.entries(PARTIES).map(([party, { description }]) => [party, { name: party, description }]),
      ),
    },
  };
}
