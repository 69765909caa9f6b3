import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import {
  MOSQUITTO_QUEUE_LIMITS,
  MosquittoConfError,
  mosquittoConf,
  type MosquittoConfParameters,
} from '../../broker/src';
import { freePort, mosquittoPath, waitForPort } from '../helpers/brokers';

const ROOT = join(__dirname, '..', '..');

describe('mosquittoConf (the generated mosquitto.conf)', function () {
  it('bounds the queue of each offline session by default: 100,000 messages and 256 MiB', function () {
    const text = mosquittoConf({
      port: 8883,
      files: { passwordFile: '/etc/twin/passwords', aclFile: '/etc/twin/acl' },
    });
    const settings = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    expect(settings).to.deep.equal([
      'listener 8883',
      'allow_anonymous false',
      'password_file /etc/twin/passwords',
      'acl_file /etc/twin/acl',
      'use_username_as_clientid true',
      'max_packet_size 1048600',
      'max_queued_messages 100000',
      'max_queued_bytes 268435456',
      'max_inflight_messages 100',
    ]);
    expect(MOSQUITTO_QUEUE_LIMITS).to.deep.equal({ maxQueuedMessages: 100_000, maxQueuedBytes: 268_435_456 });
  });

  it("is what broker/mosquitto.local.conf holds (the README's local broker for `npm run oracle`)", function () {
    expect(readFileSync(join(ROOT, 'broker', 'mosquitto.local.conf'), 'utf8')).to.equal(
      mosquittoConf({ port: 1883, host: '127.0.0.1' }),
    );
  });

  it('refuses a bad field, naming it', function () {
    const cases: [MosquittoConfParameters, RegExp][] = [
      [{ maxQueuedMessages: 0 }, /^maxQueuedMessages: must be an integer from 1/],
      [{ maxQueuedBytes: 1.5 }, /^maxQueuedBytes: /],
      [{ port: 70_000 }, /^port: must be an integer from 1 to 65535/],
      [{ host: '127.0.0.1 # x' }, /^host: /],
      [{ files: { passwordFile: '', aclFile: '/acl' } }, /^files\.passwordFile: /],
      [{ extra: ['log_dest stderr\nallow_anonymous true'] }, /^extra: one line each/],
    ];
    for (const [parameters, message] of cases) {
      expect(() => mosquittoConf(parameters)).to.throw(MosquittoConfError, message);
    }
  });

  describe('when an offline persistent session outgrows its queue (real Debian mosquitto)', function () {
    this.timeout(30_000);
    let child: ChildProcess | undefined;
    let directory: string;
    let url: string;
    const clients: MqttClient[] = [];

    /** Starts mosquitto with the generated configuration and these bounds (`undefined`: Mosquitto's defaults). */
    async function start(bounds: Pick<MosquittoConfParameters, 'maxQueuedMessages' | 'maxQueuedBytes'> | undefined) {
      const port = await freePort();
      const configFile = join(directory, 'mosquitto.conf');
      // As root mosquitto would drop to user `mosquitto`: stay who we are.
      const extra = ['log_dest stderr', 'log_type error', `user ${userInfo().username}`];
      const generated = mosquittoConf({ port, host: '127.0.0.1', ...bounds, extra });
      writeFileSync(
        configFile,
        bounds === undefined ? generated.replace(/^max_queued_(messages|bytes) .*\n/gm, '') : generated,
      );
      child = spawn(mosquittoPath()!, ['-c', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
      await waitForPort(port);
      url = `mqtt://127.0.0.1:${port}`;
    }
    const client = async (clientId: string) => {
      const each = await connect(url, { clientId, clean: false, reconnectPeriod: 0, protocolVersion: 4 });
      await new Promise((resolve, reject) => each.once('connect', resolve).once('error', reject));
      clients.push(each);
      return each;
    };
    /** Subscribes a persistent session, leaves, has `count` QoS 1 messages published, then returns what it gets. */
    async function missedWhileAway(count: number, payloadBytes: number): Promise<number[]> {
      const oracle = await client('oracle-away');
      await oracle.subscribeAsync('twins/+/snapshot', { qos: 1 });
      await oracle.endAsync();
      const device = await client('device-publishing');
      for (let seq = 0; seq < count; seq++) {
        const payload = Buffer.alloc(payloadBytes, 0x20);
        payload.write(String(seq));
        await device.publishAsync('twins/0x01/snapshot', payload, { qos: 1 });
      }
      const received: number[] = [];
      const back = connect(url, { clientId: 'oracle-away', clean: false, reconnectPeriod: 0, protocolVersion: 4 });
      clients.push(back);
      back.on('message', (_topic, payload) => received.push(Number(payload.toString().trim())));
      await new Promise((resolve) => back.once('connect', resolve));
      // Mosquitto sends the queue at once on reconnection: wait until nothing more comes for 500 ms.
      for (let last = -1; last !== received.length; ) {
        last = received.length;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      return received;
    }

    before(function () {
      if (mosquittoPath() === undefined) return this.skip(); // mosquitto is not installed (CI installs it)
      directory = mkdtempSync(join(tmpdir(), 'mosquitto-conf-'));
    });
    afterEach(async function () {
      for (const each of clients.splice(0)) each.end(true);
      const running = child;
      child = undefined;
      if (running !== undefined && running.exitCode === null) {
        await new Promise((resolve) => running.once('exit', resolve).kill('SIGTERM'));
      }
    });
    after(function () {
      if (directory) rmSync(directory, { recursive: true, force: true });
    });

    it('keeps the first maxQueuedMessages and drops every later one', async function () {
      await start({ maxQueuedMessages: 20 });
      const received = await missedWhileAway(50, 100);
      expect(received).to.deep.equal(Array.from({ length: 20 }, (_, seq) => seq));
    });

    it('keeps at most maxQueuedBytes of payload and drops the rest', async function () {
      await start({ maxQueuedBytes: 10_000 });
      const received = await missedWhileAway(50, 1_000);
      expect(received.length).to.be.within(9, 11);
      expect(received).to.deep.equal(Array.from({ length: received.length }, (_, seq) => seq));
    });

    it('with the generated defaults, loses none of 2,000 messages', async function () {
      await start({});
      const received = await missedWhileAway(2_000, 100);
      expect(received).to.have.length(2_000);
    });

    it("without max_queued_* (Mosquitto's defaults), keeps only 1,000 of them", async function () {
      await start(undefined);
      expect(readFileSync(join(directory, 'mosquitto.conf'), 'utf8')).to.not.include('max_queued');
      const received = await missedWhileAway(2_000, 100);
      expect(received).to.deep.equal(Array.from({ length: 1_000 }, (_, seq) => seq));
    });
  });
});
