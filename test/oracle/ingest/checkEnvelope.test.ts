import { expect } from 'chai';
import { DeviceChannel } from '../../../agent/src/device/deviceChannel';
import { createVirtualDevice } from '../../../agent/src/simulate/device';
import { checkEnvelope } from '../../../oracle/src/ingest/checkEnvelope';
import { checkMessage } from '../../../oracle/src/ingest/checkMessage';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import { telemetryBody } from '../../agent/transport/publisherBehaviour';

const MAX = 64 * 1024;

describe('checkEnvelope (what the oracle refuses before its journal)', function () {
  const device = createVirtualDevice('envelope', 1);
  let seq = 1;
  const channel = new DeviceChannel({
    deviceId: device.deviceId,
    key: device.privateKey,
    sequence: { next: () => seq++ },
  });
  const telemetry = () => channel.entry('telemetry', telemetryBody(1));
  const check = (topic: string, payload: string) =>
    checkEnvelope({ topic, payload: Buffer.from(payload), maxPayloadBytes: MAX });
  /** A genuine telemetry message with some envelope fields changed. */
  const altered = (changes: Record<string, unknown>) => {
    const message = JSON.parse(telemetry().payload) as Record<string, unknown>;
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) delete message[key];
      else message[key] = value;
    }
    return JSON.stringify(message);
  };

  it('lets through each kind of genuine message, with its parsed JSON, DeviceID and kind', function () {
    const entries = [
      telemetry(),
      channel.entry('static', device.staticDocument),
      channel.entry('status', { state: 'offline', reason: 'shutdown' }),
    ];
    for (const entry of entries) {
      const envelope = check(entry.topic, entry.payload);
      expect(envelope.ok, entry.topic).to.equal(true);
      if (!envelope.ok) continue;
      expect(envelope.deviceId).to.equal(device.deviceId);
      expect(deviceTopic(envelope.deviceId, envelope.kind)).to.equal(entry.topic);
      expect(envelope.json).to.deep.equal(JSON.parse(entry.payload));
    }
    expect(check(telemetry().topic, ` \r\n\t${telemetry().payload}\n`).ok).to.equal(true); // JSON's whitespace
  });

  const topic = deviceTopic(device.deviceId, 'telemetry');
  const input = (to: string, payload: string | Buffer) => ({
    topic: to,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  });
  const cases: [string, () => { topic: string; payload: Buffer }, string, string][] = [
    ['a payload above the limit', () => input(topic, Buffer.alloc(MAX + 1, 0x20)), 'oversize', `${MAX + 1} bytes`],
    ['control bytes', () => input(topic, Buffer.from([0, 1, 2, 0x1f, 0xff])), 'not-json', 'cannot start JSON'],
    ['an empty payload', () => input(topic, ''), 'not-json', 'empty'],
    ['JSON cut short', () => input(topic, ' \n{"v":1,'), 'not-json', 'JSON'],
    ['JSON that is not an object', () => input(topic, '[1, 2, 3]'), 'invalid-schema', 'message'],
    ['no signature', () => input(topic, altered({ sig: undefined })), 'invalid-schema', 'sig'],
    ['a signature of the wrong shape', () => input(topic, altered({ sig: '0x1234' })), 'invalid-schema', 'sig'],
    ['another schema version', () => input(topic, altered({ v: 2 })), 'invalid-schema', 'v'],
    ['a kind no device publishes', () => input(topic, altered({ kind: 'command' })), 'invalid-schema', 'kind'],
    ['a DeviceID that is not one', () => input(topic, altered({ deviceId: '0xABC' })), 'invalid-schema', 'deviceId'],
    ['a negative sequence number', () => input(topic, altered({ seq: -1 })), 'invalid-schema', 'seq'],
    ['a time that is not ISO 8601', () => input(topic, altered({ ts: 'yesterday' })), 'invalid-schema', 'ts'],
    [
      'a body that is not an object',
      () => input(topic, altered({ body: 'x'.repeat(1_000) })),
      'invalid-schema',
      'body',
    ],
    [
      "a kind other than the topic's",
      () => input(deviceTopic(device.deviceId, 'snapshot'), telemetry().payload),
      'topic-mismatch',
      'on topic',
    ],
    [
      "another device's topic",
      () => input(deviceTopic(`0x${'ab'.repeat(32)}` as Hex, 'telemetry'), telemetry().payload),
      'topic-mismatch',
      'on topic',
    ],
    [
      'a topic that is no device topic',
      () => input('twins/x/telemetry', telemetry().payload),
      'topic-mismatch',
      'on topic',
    ],
  ];
  for (const [name, build, reason, detail] of cases) {
    it(`refuses ${name} as ${reason}, naming it, and checkMessage refuses it the same way`, function () {
      const parameters = { ...build(), maxPayloadBytes: MAX };
      const envelope = checkEnvelope(parameters);
      expect(envelope.ok).to.equal(false);
      if (envelope.ok) return;
      expect(envelope.rejection.reason).to.equal(reason);
      expect(envelope.rejection.detail).to.contain(detail);
      // checkMessage starts with checkEnvelope: one implementation, one verdict.
      expect(checkMessage(parameters)).to.deep.equal(envelope);
    });
  }

  it('leaves the body to checkMessage: a well-formed envelope around a junk body passes here, not there', function () {
    const parameters = { ...input(topic, altered({ body: { junk: 'x'.repeat(10_000) } })), maxPayloadBytes: MAX };
    expect(checkEnvelope(parameters).ok).to.equal(true);
    const checked = checkMessage(parameters);
    expect(!checked.ok && checked.rejection.reason).to.equal('invalid-schema');
  });
});
