import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connect } from 'mqtt';
import { dryRunMessage } from '../../oracle/src/ingest/dryRunMessage';
import { SPEC_DIR } from '../../spec/src';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import { startAedes, type AedesBroker } from '../helpers/brokers';
import { random } from '../helpers/random';
import { runProcess } from '../helpers/runProcess';

const SCRIPT = join(SPEC_DIR, 'python', 'twin_device.py');
const vector = (name: string) => JSON.parse(readFileSync(join(SPEC_DIR, 'vectors', `${name}.json`), 'utf8'));

/** The first Python 3 that can import `module` (this machine: pyenv's python3 first, Debian's with paho-mqtt). */
function pythonWith(module?: string): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', module ? `import ${module}` : 'import sys'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  return undefined;
}

function run(python: string, args: string[], input?: string) {
  return runProcess(python, [SCRIPT, ...args], { input: input ?? '' });
}

describe('a device in Python from the spec alone (spec/python/twin_device.py: standard library, paho-mqtt)', function () {
  this.timeout(60_000);
  const python = pythonWith();
  before(function () {
    if (python === undefined) this.skip(); // no Python 3 on this machine
  });

  it('recomputes every value of the test vectors: canonical bytes, keccak256, RFC 6979 signatures, DeviceID, CIDs, leaf', async function () {
    const { code, stdout } = await run(python!, ['check-vectors']);
    expect(stdout).to.match(/^\d+ values agree with the vectors, 0 differ$/m);
    expect(code).to.equal(0);
  });

  it('writes the same RFC 8785 bytes as the oracle for 1,500 random documents (numbers from random bits, Unicode)', async function () {
    const next = random(11);
    const view = new DataView(new ArrayBuffer(8));
    const number = () => {
      do {
        view.setUint32(0, Math.floor(next() * 2 ** 32));
        view.setUint32(4, Math.floor(next() * 2 ** 32));
      } while (!Number.isFinite(view.getFloat64(0)));
      return view.getFloat64(0);
    };
    const texts = [
      '',
      'é',
      '\u{1F600}',
      '\uE000',
      'a"b\\c',
      '\u0000\u001f\u007f',
      'A\u030a',
      'line\nbreak',
      '</script>',
    ];
    const value = (depth: number): unknown => {
      const roll = next();
      if (depth > 2 || roll < 0.4)
        return [null, true, false, number(), texts[Math.floor(next() * texts.length)], Math.floor(next() * 1e6)][
          Math.floor(next() * 6)
        ];
      if (roll < 0.6) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: Math.floor(next() * 5) }, () => [
          texts[Math.floor(next() * texts.length)]! + String(Math.floor(next() * 3)),
          value(depth + 1),
        ]),
      );
    };
    const documents = Array.from({ length: 1_500 }, () => value(0));
    documents.push('\ud800', { '\udc00': 1 });
    const { code, stdout } = await run(python!, ['canonicalize'], JSON.stringify(documents));
    expect(code).to.equal(0);
    const theirs = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string);
    const ours = documents.map((document) => {
      try {
        return canonicalJson(document);
      } catch {
        return 'refused';
      }
    });
    expect(theirs).to.deep.equal(ours);
  });

  describe('publishing with paho-mqtt', function () {
    const pythonPaho = pythonWith('paho.mqtt.client');
    let broker: AedesBroker;
    let directory: string;
    before(async function () {
      if (pythonPaho === undefined) return this.skip(); // python3-paho-mqtt not installed
      broker = await startAedes();
      directory = mkdtempSync(join(tmpdir(), 'python-device-'));
    });
    after(async function () {
      await broker?.stop();
      if (directory) rmSync(directory, { recursive: true, force: true });
    });

    it("signs and publishes telemetry that the oracle's checks accept, byte for byte the vector's", async function () {
      const telemetry = vector('telemetry');
      const { sig: _sig, ...unsigned } = telemetry.message;
      const file = join(directory, 'unsigned.json');
      writeFileSync(file, JSON.stringify(unsigned));
      const subscriber = connect(broker.url);
      const received = new Promise<{ topic: string; payload: Buffer }>((resolve) =>
        subscriber.on('message', (topic, payload) => resolve({ topic, payload })),
      );
      await subscriber.subscribeAsync(telemetry.topic, { qos: 1 });
      const key = vector('keys').device.privateKey;
      const published = await run(pythonPaho!, ['publish', '--broker', broker.url, '--key', key, '--message', file]);
      expect(published.stdout, published.stderr).to.match(/^published twins\/0x[0-9a-f]{64}\/telemetry seq 4/);
      const { topic, payload } = await received;
      await subscriber.endAsync();
      expect(topic).to.equal(telemetry.topic);
      // Deterministic signatures (RFC 6979): Python sends exactly the stored bytes of the vector.
      expect(payload.toString('utf8')).to.equal(telemetry.storedBytes);
      const { twin } = vector('rejections');
      const verdict = await dryRunMessage({
        topic,
        payload,
        twins: { twin: () => twin },
        ledger: { last: () => undefined, willSeq: () => undefined },
        now: Date.parse(telemetry.oracle.receivedAt),
      });
      expect(verdict.verdict).to.equal('accepted');
    });
  });
});
