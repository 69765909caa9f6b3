import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'mqtt';
import { countRejectionsByReason } from '../../store/src';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { mosquittoPath, startMosquitto, waitUntil, type MosquittoBroker } from '../helpers/brokers';
import { waitFor } from './waitFor';
import { startOracleHarness, type OracleHarness } from './oracleHarness';
import { groupMemory, kill, startOracleProcess, type OracleProcess } from './oracleProcess';

const SEED = 'oracle-junk-flood';
const DEVICES = 4;
const MIB = 1024 * 1024;
const JOURNAL_MAX_BYTES = 16 * MIB;
const ATTACK = 90;

/** Bytes of the journal's segment files now. */
function journalBytes(dataDir: string): number {
  const directory = join(dataDir, 'journal');
  if (!existsSync(directory)) return 0;
  let total = 0;
  for (const name of readdirSync(directory)) {
    try {
      total += statSync(join(directory, name)).size;
    } catch {
      // deleted meanwhile
    }
  }
  return total;
}

describe('The oracle under the 90 × 1 MB junk attack (Mosquitto), killed (SIGKILL) and restarted', function () {
  this.timeout(300_000);
  let harness: OracleHarness;
  let broker: MosquittoBroker;
  let oracle: OracleProcess | undefined;

  before(async function () {
    if (mosquittoPath() === undefined) {
      console.log('      skipped: mosquitto is not installed (apt-get install mosquitto; .ci/run installs it)');
      this.skip();
    }
    harness = await startOracleHarness(SEED, DEVICES);
    broker = await startMosquitto();
  });
  after(async () => {
    if (oracle) await kill(oracle.child, 'SIGKILL');
    await broker?.stop();
    await harness?.stop();
  });

  it('refuses the junk (mostly before the disk), keeps disk and memory bounded, restarts, and loses no legitimate snapshot', async function () {
    const dataDir = join(harness.directory, 'oracle');
    const env = harness.oracleEnvironment(broker.url, {
      ORACLE_MQTT_CLIENT_ID: 'twin-oracle-junk-flood',
      ORACLE_BATCH_SIZE: '1000',
      ORACLE_BATCH_AGE_MS: '1000',
      ORACLE_JOURNAL_SEGMENT_BYTES: String(4 * MIB),
      ORACLE_JOURNAL_MAX_BYTES: String(JOURNAL_MAX_BYTES),
      ORACLE_INGEST_QUEUE_BYTES: String(8 * MIB),
    });
    const started = (process: OracleProcess) =>
      waitUntil(
        () => process.output().includes('oracle subscribed'),
        120_000,
        `the oracle to subscribe\n${process.output()}`,
      );
    oracle = startOracleProcess(env);
    await started(oracle);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const baseline = groupMemory(oracle.child).rssBytes;

    // Disk and memory sampled every 20 ms throughout.
    let largestJournal = 0;
    let largestRss = 0;
    const sampler = setInterval(() => {
      largestJournal = Math.max(largestJournal, journalBytes(dataDir));
      if (oracle) largestRss = Math.max(largestRss, groupMemory(oracle.child).peakBytes);
    }, 20);

    const attacker = connect(broker.url, { protocolVersion: 5, clientId: 'junk-flood-attacker' });
    let attackSeconds = 0;
    let firstPeak = 0;
    let indexedAtKill = 0;
    try {
      const attack = async () => {
        const began = Date.now();
        const now = new Date().toISOString();
        for (let n = 0; n < ATTACK; n++) {
          const device = harness.devices[n % DEVICES]!;
          // Junk: 1 MB of control bytes, on a device topic.
          const junk = Buffer.from(Array.from({ length: 1_000_000 }, (_, i) => (i * 7919 + n) % 32));
          await attacker.publishAsync(deviceTopic(device.deviceId, 'snapshot'), junk, { qos: 1 });
          // Near-valid junk: an envelope that looks right (kind, DeviceID, signature shape), a 1 MB body.
          const nearValid = {
            v: 1,
            kind: 'snapshot',
            deviceId: device.deviceId,
            seq: 1_000_000_000 + n,
            ts: now,
            body: { junk: 'x'.repeat(1_000_000) },
            sig: `0x${'ab'.repeat(65)}`,
          };
          await attacker.publishAsync(deviceTopic(device.deviceId, 'snapshot'), JSON.stringify(nearValid), { qos: 1 });
        }
        attackSeconds = (Date.now() - began) / 1000;
      };
      // Legitimate snapshots before the attack, during it, while the oracle restarts after the SIGKILL (the broker
      // holds them for its session), and once it is back.
      let produced = await harness.publishFromDevices(broker.url, 3);
      produced += await harness.publishFromDevices(broker.url, 3, attack);
      firstPeak = groupMemory(oracle.child).peakBytes;
      indexedAtKill = (await harness.anchoredSnapshots()).length;
      await kill(oracle.child, 'SIGKILL'); // right after the attack, whatever it was doing
      oracle = startOracleProcess(env);
      produced += await harness.publishFromDevices(broker.url, 3);
      await started(oracle);
      produced += await harness.publishFromDevices(broker.url, 3);

      await waitFor(
        async () => (await harness.anchoredSnapshots()).length >= produced,
        120_000,
        `every legitimate snapshot indexed (${produced})\n${oracle.output()}`,
      );
      const secondPeak = groupMemory(oracle.child).peakBytes;
      clearInterval(sampler);
      await kill(oracle.child, 'SIGTERM');
      const output = oracle.output();
      oracle = undefined;

      const rows = await harness.anchoredSnapshots();
      expect(rows).to.have.length(produced);
      expect(indexedAtKill).to.be.within(1, produced - 1); // snapshots before the attack, and after the kill
      expect(new Set(rows.map((row) => `${row.deviceId}:${row.seq}`)).size).to.equal(produced);
      const rejections = await countRejectionsByReason(harness.index);
      // Every junk message refused (the replay after the kill may judge one twice). What the first oracle had
      // processed but not yet marked is replayed too, and its devices' messages are refused as replays: no other
      // reason, nothing of theirs refused otherwise.
      expect(rejections['not-json']).to.be.at.least(ATTACK);
      expect(rejections['invalid-schema']).to.be.at.least(ATTACK);
      expect(Object.keys(rejections)).to.satisfy((reasons: string[]) =>
        reasons.every((reason) => ['invalid-schema', 'not-json', 'replay'].includes(reason)),
      );
      // Disk: the journal never passed its limit (the 577 MB segment of the previous version), and is drained.
      expect(largestJournal).to.be.at.most(JOURNAL_MAX_BYTES);
      expect(journalBytes(dataDir)).to.be.below(2 * MIB);
      // Memory: neither oracle grew by more than a few times the processing queue's limit.
      console.log(
        `      ${produced} snapshots (${indexedAtKill} indexed at the kill); attack: ${
          2 * ATTACK
        } messages of 1 MB in ` +
          `${attackSeconds.toFixed(1)} s; journal at most ` +
          `${(largestJournal / MIB).toFixed(1)} MiB; RSS ${(baseline / MIB).toFixed(0)} MiB before, peaks ` +
          `${(firstPeak / MIB).toFixed(0)} / ${(secondPeak / MIB).toFixed(0)} MiB (largest sampled ${(
            largestRss / MIB
          ).toFixed(0)})`,
      );
      expect(Math.max(firstPeak, secondPeak) - baseline).to.be.below(400 * MIB);
      const stopped = output
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { message: string; journal?: Record<string, number> })
        .find((line) => line.message === 'oracle stopped');
      expect(stopped, output).to.not.equal(undefined);
      // The restarted oracle's journal: nothing damaged (a SIGKILL tears nothing the broker was told of).
      expect(stopped!.journal).to.deep.include({ damaged: 0 });
      expect(output).to.not.contain('processing failed');
    } finally {
      clearInterval(sampler);
      await attacker.endAsync();
    }
  });
});
