import { expect } from 'chai';
import { join, resolve } from 'node:path';
import { DeviceChannel } from '../../../agent/src/device/deviceChannel';
import { createVirtualDevice } from '../../../agent/src/simulate/device';
import { RejectionCounter } from '../../../oracle/src/ingest/rejections';
import { checkMessage } from '../../../oracle/src/ingest/checkMessage';
import {
  createVerifierPool,
  type VerifierPool,
  type VerifierPoolChecks,
} from '../../../oracle/src/ingest/createVerifierPool';
import {
  judgeCheckedMessage,
  validateMessage,
  type SequenceLedger,
  type TwinRecord,
  type ValidateMessageParameters,
} from '../../../oracle/src/ingest/validateMessage';
import { deviceTopic } from '../../../twin-core/src/messages/topics';
import { generatePrivateKey, privateKeyToAddress } from '../../../twin-core/src/signing/deviceKey';
import { hashStaticDocument } from '../../../twin-core/src/static/staticDocument';
import type { Hex } from '../../../twin-core/src/encoding/hex';
import { telemetryBody } from '../../agent/transport/publisherBehaviour';
import { runProcess } from '../../helpers/runProcess';

const ROOT = resolve(__dirname, '..', '..', '..');

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

for (const mode of ['on the main thread', 'on a verifier thread'] as const)
  describe(`validateMessage (the oracle ingest checks), ${mode}`, function () {
    let pool: VerifierPool | undefined;
    before(function () {
      if (mode === 'on a verifier thread') pool = createVerifierPool({ threads: 1, maxPayloadBytes: 64 * 1024 });
    });
    after(async function () {
      await pool?.close();
    });
    /** The oracle's two paths to a verdict: one call, or the thread's check then the judgement. */
    async function verdictOf(parameters: ValidateMessageParameters) {
      if (pool === undefined) return validateMessage(parameters);
      const checked = await pool.check(parameters.topic, parameters.payload);
      return checked.ok ? judgeCheckedMessage(checked, parameters) : checked;
    }
    const device = createVirtualDevice('validate', 1);
    let seq = 100;
    const channel = new DeviceChannel({
      deviceId: device.deviceId,
      key: device.privateKey,
      sequence: { next: () => seq++ },
      now: () => NOW,
    });
    const twin: TwinRecord = {
      deviceSigner: device.address,
      state: 0,
      staticHash: hashStaticDocument(device.staticDocument),
    };
    const twins = new Map<string, TwinRecord>([[device.deviceId, twin]]);
    const seen = new Map<string, number>();
    const ledger: SequenceLedger = { last: (id, kind) => seen.get(`${id}:${kind}`), willSeq: () => undefined };

    async function judge(
      topic: string,
      payload: Buffer | string,
      overrides: { twins?: Map<string, TwinRecord>; now?: number } = {},
    ) {
      return verdictOf({
        topic,
        payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
        twins: { twin: (id) => (overrides.twins ?? twins).get(id) },
        ledger,
        maxPayloadBytes: 64 * 1024,
        maxClockSkewMs: 5 * 60_000,
        now: overrides.now ?? NOW,
      });
    }
    const telemetryEntry = () => channel.entry('telemetry', telemetryBody(1));

    describe('when the message is genuine', function () {
      it('accepts telemetry and a static document that matches the mint', async function () {
        const telemetry = await judge(telemetryEntry().topic, telemetryEntry().payload);
        expect(telemetry.ok).to.equal(true);
        const staticEntry = channel.entry('static', device.staticDocument);
        const verdict = await judge(staticEntry.topic, staticEntry.payload);
        expect(verdict.ok && verdict.signer).to.equal(device.address);
        expect(privateKeyToAddress(device.privateKey)).to.equal(device.address);
      });
    });

    describe('when the message is bad', function () {
      const cases: [string, () => Promise<Awaited<ReturnType<typeof judge>>>, string][] = [
        ['oversize', () => judge(telemetryEntry().topic, Buffer.alloc(64 * 1024 + 1, 0x20)), 'oversize'],
        ['malformed JSON', () => judge(telemetryEntry().topic, '{"v":1,'), 'not-json'],
        [
          'wrong schema',
          () => judge(telemetryEntry().topic, JSON.stringify({ v: 1, kind: 'telemetry', deviceId: device.deviceId })),
          'invalid-schema',
        ],
        [
          'another device topic',
          () => judge(deviceTopic(`0x${'ab'.repeat(32)}` as Hex, 'telemetry'), telemetryEntry().payload),
          'topic-mismatch',
        ],
        [
          'a forged signature (another key)',
          async () => {
            const forger = new DeviceChannel({
              deviceId: device.deviceId,
              key: generatePrivateKey(),
              sequence: { next: () => seq++ },
              now: () => NOW,
            });
            const entry = forger.entry('telemetry', telemetryBody(2));
            return judge(entry.topic, entry.payload);
          },
          'wrong-signer',
        ],
        [
          'a tampered body',
          async () => {
            const entry = telemetryEntry();
            const tampered = JSON.parse(entry.payload) as { body: { cpuPercent: number } };
            tampered.body.cpuPercent = 99;
            return judge(entry.topic, JSON.stringify(tampered));
          },
          'wrong-signer',
        ],
        [
          'a signature that recovers no address',
          async () => {
            const entry = telemetryEntry();
            const message = JSON.parse(entry.payload) as { sig: string };
            message.sig = `${message.sig.slice(0, -2)}1f`;
            return judge(entry.topic, JSON.stringify(message));
          },
          'bad-signature',
        ],
        [
          'a static document of another device',
          async () => {
            const other = createVirtualDevice('validate', 2);
            const entry = channel.entry('static', other.staticDocument);
            return judge(entry.topic, entry.payload);
          },
          'device-id-mismatch',
        ],
        [
          'an unknown twin',
          () => judge(telemetryEntry().topic, telemetryEntry().payload, { twins: new Map() }),
          'unknown-twin',
        ],
        [
          'a deactivated twin',
          () =>
            judge(telemetryEntry().topic, telemetryEntry().payload, {
              twins: new Map([[device.deviceId, { ...twin, state: 3 }]]),
            }),
          'deactivated-twin',
        ],
        [
          'a stale message',
          () => judge(telemetryEntry().topic, telemetryEntry().payload, { now: NOW + 3_600_000 }),
          'stale',
        ],
        [
          'a static document whose hash is not the minted one',
          async () => {
            const entry = channel.entry('static', {
              ...device.staticDocument,
              collectedAt: '2026-01-02T00:00:00.000Z',
            });
            return judge(entry.topic, entry.payload);
          },
          'static-hash-mismatch',
        ],
      ];
      // The signed bytes are the stored bytes: nothing the signer did not sign gets through, each named.
      const withPayload = (
        mutate: (message: Record<string, any>) => void,
        kind: 'telemetry' | 'static' = 'telemetry',
      ) => {
        const entry = kind === 'static' ? channel.entry('static', device.staticDocument) : telemetryEntry();
        const message = JSON.parse(entry.payload) as Record<string, any>;
        mutate(message);
        return judge(entry.topic, JSON.stringify(message));
      };
      const fieldCases: [string, () => ReturnType<typeof judge>, string, string][] = [
        [
          'an unsigned extra field in the body',
          () => withPayload((m) => (m.body.extra = 1)),
          'invalid-schema',
          'body.extra',
        ],
        ['an unsigned extra top-level field', () => withPayload((m) => (m.note = 'x')), 'invalid-schema', 'note'],
        [
          'an unsigned extra field deep in the body',
          () => withPayload((m) => (m.body.network.protocolMix.sctp = 0)),
          'invalid-schema',
          'body.network.protocolMix.sctp',
        ],
        ['a missing field', () => withPayload((m) => delete m.body.load1), 'invalid-schema', 'body.load1'],
        [
          'a static document with an untrimmed text',
          () => withPayload((m) => (m.body.os.hostname = ` ${m.body.os.hostname}`), 'static'),
          'invalid-schema',
          'body.os.hostname',
        ],
        [
          'a static document with a MAC not in canonical form',
          () => withPayload((m) => (m.body.identity.macAddress = m.body.identity.macAddress.toUpperCase()), 'static'),
          'invalid-schema',
          'body.identity.macAddress',
        ],
        [
          'a signature with s in the upper half (the malleated twin of a valid one)',
          () =>
            withPayload((m) => {
              const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
              const s = (n - BigInt(`0x${m.sig.slice(66, 130)}`)).toString(16).padStart(64, '0');
              m.sig = `${m.sig.slice(0, 66)}${s}${m.sig.endsWith('1b') ? '1c' : '1b'}`;
            }),
          'bad-signature',
          'sig',
        ],
        [
          'a string with a lone surrogate',
          () => withPayload((m) => (m.body.sensors = [{ name: 'probe', value: 1, unit: '\ud800' }])),
          'not-json',
          '',
        ],
      ];
      for (const [name, run, reason, field] of fieldCases) {
        it(`refuses ${name} as ${reason}${field ? `, naming ${field}` : ''}`, async function () {
          const verdict = await run();
          expect(!verdict.ok && verdict.rejection.reason).to.equal(reason);
          if (field) expect(!verdict.ok && verdict.rejection.field).to.equal(field);
        });
      }

      it('refuses a flipped bit of s as wrong-signer (another address recovers), of r as either', async function () {
        const flip = (sig: string, index: number) =>
          `${sig.slice(0, index)}${(Number.parseInt(sig[index]!, 16) ^ 1).toString(16)}${sig.slice(index + 1)}`;
        const reasons = async (from: number) => {
          const seen: string[] = [];
          // One bit in each of 15 hex digits (s's first digit is left alone: s would leave the lower half).
          for (let digit = 1; digit < 16; digit++) {
            const verdict = await withPayload((m) => (m.sig = flip(m.sig, from + digit * 4)));
            seen.push(verdict.ok ? 'accepted' : verdict.rejection.reason);
          }
          return seen;
        };
        // s: still a valid signature of these bytes, by some other key.
        expect(new Set(await reasons(66))).to.deep.equal(new Set(['wrong-signer']));
        // r: about half of all x are not on the curve (nothing recovers); the rest recover some other address.
        expect([...new Set(await reasons(2))].sort()).to.deep.equal(['bad-signature', 'wrong-signer']);
      });

      for (const [name, run, reason] of cases) {
        it(`refuses ${name} as ${reason}`, async function () {
          const verdict = await run();
          expect(verdict.ok).to.equal(false);
          expect(!verdict.ok && verdict.rejection.reason).to.equal(reason);
        });
      }

      it('refuses a replayed or older sequence number for the same kind', async function () {
        const entry = telemetryEntry();
        const seqOf = (JSON.parse(entry.payload) as { seq: number }).seq;
        seen.set(`${device.deviceId}:telemetry`, seqOf);
        const verdict = await judge(entry.topic, entry.payload);
        expect(!verdict.ok && verdict.rejection.reason).to.equal('replay');
        seen.clear();
      });

      it('accepts the announced last will even though its number is lower and its time old', async function () {
        const will = channel.message('status', { state: 'offline', reason: 'connection-lost' });
        seen.set(`${device.deviceId}:status`, will.seq + 5);
        const withWill: SequenceLedger = { last: ledger.last, willSeq: () => will.seq };
        const verdict = await verdictOf({
          topic: deviceTopic(device.deviceId, 'status'),
          payload: Buffer.from(JSON.stringify(will)),
          twins: { twin: (id) => twins.get(id) },
          ledger: withWill,
          maxPayloadBytes: 64 * 1024,
          maxClockSkewMs: 1000,
          now: NOW + 86_400_000,
        });
        expect(verdict.ok).to.equal(true);
        seen.clear();
      });
    });

    if (mode === 'on a verifier thread') {
      it("checks exactly as the main thread does, and keeps each device's order under load", async function () {
        const devices = [1, 2, 3, 4].map((index) => createVirtualDevice('validate-order', index));
        const channels = devices.map((each) => {
          let next = 0;
          return new DeviceChannel({
            deviceId: each.deviceId,
            key: each.privateKey,
            sequence: { next: () => next++ },
            now: () => NOW,
          });
        });
        // Interleaved as a broker would deliver them (device 0 seq 0, device 1 seq 0, …), then one that is not JSON.
        const entries = Array.from({ length: 30 }, (_, i) =>
          channels.map((deviceChannel) => deviceChannel.entry('telemetry', telemetryBody(i))),
        ).flat();
        const multi = createVerifierPool({ threads: 2, maxPayloadBytes: 64 * 1024 });
        const order: string[] = [];
        const results = await Promise.all(
          [
            ...entries.map((entry) => ({ topic: entry.topic, payload: entry.payload })),
            { topic: entries[0]!.topic, payload: '{' },
          ].map(({ topic, payload }) =>
            multi.check(topic, Buffer.from(payload)).then((checked) => {
              if (checked.ok) order.push(`${checked.message.deviceId}:${checked.message.seq}`);
              return checked;
            }),
          ),
        );
        expect(results.at(-1)).to.deep.include({ ok: false });
        for (const [index, entry] of entries.entries()) {
          const inline = checkMessage({
            topic: entry.topic,
            payload: Buffer.from(entry.payload),
            maxPayloadBytes: 64 * 1024,
          });
          expect(results[index]).to.deep.equal(inline);
          expect(inline.ok && inline.signer).to.equal(devices[index % devices.length]!.address);
        }
        for (const each of devices) {
          const sequence = order
            .filter((item) => item.startsWith(each.deviceId))
            .map((item) => Number(item.split(':')[1]));
          expect(sequence).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
        }
        expect(multi.threads).to.equal(2);
        // Every check ran on a thread: a thread that failed to start falls back to this one, with the same results.
        expect(multi.checked).to.deep.equal({ onThreads: entries.length + 1, onMainThread: 0 });
        await multi.close();
        expect(multi.threads).to.equal(0);
      });

      it('starts a thread only with the first message of its lane: an idle pool runs none', async function () {
        const lazy = createVerifierPool({ threads: 2, maxPayloadBytes: 64 * 1024 });
        expect(lazy.threads).to.equal(0);
        let next = 0;
        const entry = new DeviceChannel({
          deviceId: device.deviceId,
          key: device.privateKey,
          sequence: { next: () => next++ },
          now: () => NOW,
        }).entry('telemetry', telemetryBody(0));
        const checked = await lazy.check(entry.topic, Buffer.from(entry.payload));
        expect(checked.ok && checked.signer).to.equal(device.address);
        // One device, one lane: its thread started, the other lane's did not.
        expect(lazy.threads).to.equal(1);
        expect(lazy.checked).to.deep.equal({ onThreads: 1, onMainThread: 0 });
        await lazy.close();
        expect(lazy.threads).to.equal(0);
        const unused = createVerifierPool({ threads: 2, maxPayloadBytes: 64 * 1024 });
        await unused.close();
        expect(unused.threads).to.equal(0);
      });

      it('runs its threads in a process run through ts-node (ts-node -T, as the benchmarks run the oracle)', async function () {
        this.timeout(120_000);
        const { code, stdout, stderr } = await runProcess(
          'npx',
          ['ts-node', '-T', join('test', 'oracle', 'ingest', 'verifierPoolChild.ts')],
          { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' } },
        );
        expect(code, stderr).to.equal(0);
        const report = JSON.parse(stdout) as { threads: number; checked: VerifierPoolChecks; errors: string[] };
        // A thread that fails to start (e.g. its module does not load) falls back to the main thread, same results.
        expect({ checked: report.checked, errors: report.errors }).to.deep.equal({
          checked: { onThreads: 40, onMainThread: 0 },
          errors: [],
        });
        expect(report).to.deep.include({ threads: 2, accepted: 40 });
      });

      // Last (mocha runs a describe's own tests before its nested describes, these after the ones above).
      describe('when every case above has run', function () {
        it('checked them all on its thread, none on the main thread', function () {
          expect(pool!.threads).to.equal(1);
          expect(pool!.checked.onThreads).to.be.greaterThan(20);
          expect(pool!.checked.onMainThread).to.equal(0);
        });
      });
    }
  });

describe('RejectionCounter', function () {
  it('counts every rejection and logs each device and reason once', function () {
    const logged: string[] = [];
    const counter = new RejectionCounter((rejection) => logged.push(`${rejection.deviceId}:${rejection.reason}`));
    for (let i = 0; i < 5; i++) counter.record({ reason: 'replay', detail: 'x', deviceId: '0x1' });
    counter.record({ reason: 'replay', detail: 'x', deviceId: '0x2' });
    counter.record({ reason: 'stale', detail: 'x', deviceId: '0x1' });
    expect(counter.count('replay')).to.equal(6);
    expect(counter.snapshot().stale).to.equal(1);
    expect(counter.snapshot().oversize).to.equal(0);
    expect(logged).to.deep.equal(['0x1:replay', '0x2:replay', '0x1:stale']);
  });
});
