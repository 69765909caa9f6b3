import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEFAULT_SYSTEM_PATHS, type CollectOptions } from '../../../agent/src/collect/context';
import { createCollector } from '../../../agent/src/collect/createCollector';
import { runProbe, withTimeout } from '../../../agent/src/collect/runProbe';
import { computeDeviceId } from '../../../twin-core/src/identity/deviceId';
import { snapshotBodySchema } from '../../../twin-core/src/messages/snapshot';
import { telemetryBodySchema } from '../../../twin-core/src/messages/telemetry';
import { parseStaticDocument } from '../../../twin-core/src/static/staticDocument';
import { copyTree, fixtureOptions } from './helpers';

/** Options that read this machine: the real /proc, /sys, /etc and /dev. */
function realOptions(): CollectOptions {
  return {
    paths: DEFAULT_SYSTEM_PATHS,
    probeTimeoutMs: 5000,
    commandTimeoutMs: 2000,
    processLimit: 10_000,
    socketLimit: 200,
    sharedLibrariesProcessLimit: 3,
    kernelLogLines: 20,
    tlsServers: [],
    sensorPlugins: [],
    owner: { ownerId: null, location: null },
    now: Date.now,
  };
}

const never = () => new Promise<never>(() => undefined);

describe('agent collect: probes and the collector', function () {
  describe('runProbe', function () {
    it('makes a value available and a failure unavailable with its message', async function () {
      expect(await runProbe('a', 100, async () => 42)).to.deep.equal({ available: true, value: 42 });
      expect(await runProbe('b', 100, async () => Promise.reject(new Error('/proc/x does not exist')))).to.deep.equal({
        available: false,
        reason: '/proc/x does not exist',
      });
      expect(
        await runProbe('c', 100, () => {
          throw new Error('thrown before any await');
        }),
      ).to.deep.equal({ available: false, reason: 'thrown before any await' });
    });

    it('times out a probe that never resolves while the others stay available', async function () {
      const started = Date.now();
      const [stuck, memory, usb] = await Promise.all([
        runProbe('stuck', 60, never),
        runProbe('memory', 60, async () => ({ totalKiB: 1 })),
        runProbe('usb', 60, () => new Promise((resolve) => setTimeout(() => resolve([]), 10))),
      ]);
      expect(Date.now() - started).to.be.below(1000);
      expect(stuck).to.deep.equal({ available: false, reason: 'stuck probe timed out after 60 ms' });
      expect(memory).to.deep.equal({ available: true, value: { totalKiB: 1 } });
      expect(usb).to.deep.equal({ available: true, value: [] });
    });

    it("makes a value that breaks its section's schema unavailable, naming where", async function () {
      const result = await runProbe(
        'arp',
        100,
        async () => [
          { ip: '10.0.0.1', mac: 'aa:bb:cc:dd:ee:ff', device: 'eth0', flags: '0x2', kind: 'dynamic' },
          { ip: '10.0.0.2', mac: 'aa:bb:cc:dd:ee:01', device: 'eth0', flags: '0x2', kind: 'learned' },
        ],
        'arp',
      );
      expect(result).to.deep.equal({
        available: false,
        reason: 'arp: collected value does not match the schema at 1.kind: must be equal to one of the allowed values',
      });
    });

    it('withTimeout passes values and errors through and clears its timer', async function () {
      expect(await withTimeout(Promise.resolve('ok'), 50, 'x')).to.equal('ok');
      const error = await withTimeout(Promise.reject(new Error('boom')), 50, 'x').catch((thrown: Error) => thrown);
      expect((error as Error).message).to.equal('boom');
    });
  });

  describe('against the Raspberry Pi 4 fixture tree', function () {
    it('produces a schema-valid snapshot with every section the tree provides', async function () {
      const options = fixtureOptions('pi4');
      const snapshot = await createCollector(options).snapshot();
      expect(snapshotBodySchema.parse(snapshot)).to.deep.equal(snapshot);
      expect(snapshot.collectedAt).to.equal('2026-11-21T10:00:00.000Z');
      expect(snapshot.owner).to.deep.equal({ ownerId: 'owner-42', location: { latitude: 48.8566, longitude: 2.3522 } });
      const unavailable = Object.entries(snapshot)
        .filter(
          ([, section]) =>
            typeof section === 'object' && section !== null && 'available' in section && section.available === false,
        )
        .map(([name]) => name);
      // The fixture's options turn packet capture off: the section says so.
      expect(unavailable).to.deep.equal(['traffic']);
      expect(snapshot.traffic).to.deep.equal({
        available: false,
        reason: 'packet capture is off (agent config captureMode=off)',
      });
      const conntrack = snapshot.conntrack?.available ? snapshot.conntrack.value : undefined;
      expect(conntrack?.source).to.equal('/proc/net/nf_conntrack');
      expect(conntrack?.flows.map((flow) => [flow.outbound, flow.peerAddress, flow.peerPort, flow.bytesOut])).to.deep.equal([
        [true, '192.168.1.10', 1883, 98213],
        [true, '192.168.1.1', 53, 62],
        [false, '192.168.1.23', 60112, 5230],
      ]);
      expect(snapshot.dns.config.available).to.equal(true);
      expect(snapshot.dns.cache).to.deep.include({ available: false });
      const value = <section>(probe: { available: true; value: section } | { available: false; reason: string }) => {
        if (!probe.available) throw new Error(probe.reason);
        return probe.value;
      };
      expect(value(snapshot.system).hostname).to.equal('garden-pi');
      expect(value(snapshot.processes).tasks.total).to.equal(12);
      expect(value(snapshot.memory).totalKiB).to.equal(3885416);
      expect(value(snapshot.usb)).to.have.length(4);
      expect(value(snapshot.pci)).to.have.length(2);
      expect(value(snapshot.kernelLog).source).to.equal('/dev/kmsg');
      expect(value(snapshot.arp).map((entry) => entry.kind)).to.deep.equal(['dynamic', 'static', 'incomplete']);
      expect(value(snapshot.sensors)).to.deep.equal([
        { name: 'cpu-thermal', value: 48.312, unit: '°C', source: 'thermal_zone0' },
      ]);
      expect(value(snapshot.activity).intervalSeconds).to.equal(null);
      expect(value(snapshot.networkBehaviour).intervalSeconds).to.equal(86400.52);
      expect(value(snapshot.sharedLibraries).map((entry) => entry.pid)).to.deep.equal([812, 1]);
    });

    it('reports rates over the interval from the second snapshot, and telemetry with its own interval', async function () {
      const tree = copyTree('pi4');
      try {
        const options = fixtureOptions('pi4', { paths: tree.paths });
        const collector = createCollector(options);
        const firstTelemetry = telemetryBodySchema.parse(await collector.telemetry());
        expect(firstTelemetry).to.deep.include({
          cpuPercent: null,
          memoryUsedPercent: 12.17,
          load1: 0.42,
          processCount: 187,
        });
        expect(firstTelemetry.sensors).to.deep.equal([
          { name: 'cpu-thermal', value: 48.312, unit: '°C', source: 'thermal_zone0' },
        ]);
        expect(firstTelemetry.network.intervalSeconds).to.equal(86400.52);
        await collector.snapshot();
        tree.overlay('pi4-next');
        options.clock.ms += 5000;
        const snapshot = snapshotBodySchema.parse(await collector.snapshot());
        expect(snapshot.activity).to.deep.include({ available: true });
        if (!snapshot.activity.available || !snapshot.processes.available || !snapshot.disks.available)
          throw new Error('unavailable');
        expect(snapshot.activity.value).to.deep.include({ intervalSeconds: 5, contextSwitchesPerSec: 5000 });
        expect(snapshot.processes.value.list[0]).to.include({ pid: 812, cpuPercent: 10 });
        expect(snapshot.disks.value[0]).to.include({ name: 'mmcblk0', awaitMs: 2 });
        expect(snapshot.networkBehaviour).to.deep.include({ available: true });
        const telemetry = telemetryBodySchema.parse(await collector.telemetry());
        expect(telemetry.cpuPercent).to.equal(22.5);
        expect(telemetry.network).to.deep.include({
          intervalSeconds: 5,
          packetsInPerSec: 500,
          newConnectionsPerSec: 3,
        });
      } finally {
        tree.dispose();
      }
    });

    it('reports a missing file as unavailable with the reason, the rest unaffected', async function () {
      const tree = copyTree('pi4');
      try {
        rmSync(join(tree.paths.proc, 'net', 'arp'));
        rmSync(join(tree.paths.sys, 'bus', 'pci'), { recursive: true });
        const snapshot = snapshotBodySchema.parse(
          await createCollector(fixtureOptions('pi4', { paths: tree.paths })).snapshot(),
        );
        expect(snapshot.arp).to.deep.equal({ available: false, reason: `${tree.paths.proc}/net/arp does not exist` });
        expect(snapshot.pci).to.deep.equal({
          available: false,
          reason: `${tree.paths.sys}/bus/pci/devices does not exist`,
        });
        expect(snapshot.usb.available && snapshot.memory.available && snapshot.network.available).to.equal(true);
      } finally {
        tree.dispose();
      }
    });

    it('times out stuck probes (external commands that never return) without stalling the snapshot', async function () {
      const options = fixtureOptions('linux-vm', { probeTimeoutMs: 500 });
      options.host = { ...options.host, runCommand: never };
      const started = Date.now();
      const snapshot = snapshotBodySchema.parse(await createCollector(options).snapshot());
      expect(Date.now() - started).to.be.below(3000);
      expect(snapshot.kernelLog).to.deep.equal({ available: false, reason: 'kernelLog probe timed out after 500 ms' });
      expect(snapshot.dns.cache).to.deep.equal({ available: false, reason: 'dns.cache probe timed out after 500 ms' });
      expect(
        snapshot.memory.available && snapshot.icmp.available && snapshot.arp.available && snapshot.ipc.available,
      ).to.equal(true);
    });

    it('gives the same static document and DeviceID on every call', async function () {
      const collector = createCollector(fixtureOptions('pi4'));
      const [first, second] = [await collector.staticDocument(), await collector.staticDocument()];
      expect(parseStaticDocument(first)).to.deep.equal(first);
      expect(second).to.deep.equal(first);
      expect(computeDeviceId(second.identity)).to.equal(computeDeviceId(first.identity));
    });
  });

  describe('against this machine', function () {
    it('produces a schema-valid snapshot with processes, interfaces and memory', async function () {
      const collector = createCollector(realOptions());
      const first = snapshotBodySchema.parse(await collector.snapshot());
      if (!first.processes.available || !first.network.available || !first.memory.available) {
        throw new Error(`missing sections: ${JSON.stringify([first.processes, first.network, first.memory])}`);
      }
      expect(first.processes.value.list.length).to.be.greaterThan(0);
      expect(first.processes.value.list.some((row) => row.pid === process.pid)).to.equal(true);
      expect(first.network.value.interfaces.map((entry) => entry.name)).to.include('lo');
      expect(first.memory.value.totalKiB).to.be.greaterThan(0);
      expect(first.system.available && first.activity.available && first.networkBehaviour.available).to.equal(true);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const second = snapshotBodySchema.parse(await collector.snapshot());
      if (!second.activity.available || !second.processes.available)
        throw new Error('unavailable on the second snapshot');
      expect(second.activity.value.intervalSeconds).to.be.greaterThan(0);
      expect(second.activity.value.cpu.idle).to.be.a('number');
      const self = second.processes.value.list.find((row) => row.pid === process.pid);
      expect(self?.cpuPercent).to.be.a('number');
      expect(self?.cpuTimeSeconds).to.be.greaterThan(0);
    });

    it('produces schema-valid telemetry, the second with a CPU percentage', async function () {
      const collector = createCollector(realOptions());
      const first = telemetryBodySchema.parse(await collector.telemetry());
      expect(first.memoryUsedPercent).to.be.within(0, 100);
      expect(first.processCount).to.be.greaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const second = telemetryBodySchema.parse(await collector.telemetry());
      expect(second.cpuPercent).to.be.within(0, 100);
      expect(second.network.intervalSeconds).to.be.below(first.network.intervalSeconds);
    });

    it('builds a valid static document once the config supplies what this machine cannot read', async function () {
      const document = await createCollector(realOptions()).staticDocument({
        identity: {
          serialNumber: 'test-serial',
          manufacturer: 'Test Maker',
          hardwareModel: 'Test Model',
          hardwareRevision: '1',
        },
      });
      expect(parseStaticDocument(document)).to.deep.equal(document);
      expect(document.identity.macAddress).to.match(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(document.identity.memoryBytes).to.be.greaterThan(0);
    });
  });
});
