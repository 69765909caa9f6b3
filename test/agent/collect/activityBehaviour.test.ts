import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  activityReport,
  createActivityProbe,
  parseVmstat,
  readActivitySample,
} from '../../../agent/src/collect/activity';
import {
  behaviourSample,
  createBehaviourProbe,
  networkBehaviour,
  UNOBSERVABLE,
} from '../../../agent/src/collect/behaviour';
import { parseNetDev } from '../../../agent/src/collect/netdev';
import { busyPercent, cpuShares, parseProcStatFile } from '../../../agent/src/collect/procStat';
import { networkBehaviourSchema } from '../../../twin-core/src/messages/behaviour';
import { activitySchema } from '../../../twin-core/src/messages/snapshot';
import { copyTree, fixture, fixtureOptions } from './helpers';

/** Two samples of a probe 5 s apart: the Pi tree, then the Pi tree with the pi4-next files laid over it. */
async function twoSamples<value>(
  read: (options: ReturnType<typeof fixtureOptions>) => Promise<value>,
): Promise<[value, value]> {
  const tree = copyTree('pi4');
  try {
    const options = fixtureOptions('pi4', { paths: tree.paths });
    const first = await read(options);
    tree.overlay('pi4-next');
    options.clock.ms += 5000;
    return [first, await read(options)];
  } finally {
    tree.dispose();
  }
}

describe('agent collect: system activity and network behaviour', function () {
  describe('parsers', function () {
    it('parses /proc/stat captured on this machine', function () {
      const stat = parseProcStatFile(fixture('linux-vm', 'proc/stat'));
      expect(stat.cpuCount).to.equal(2);
      expect(stat.bootTime).to.equal(1795251708);
      expect(stat.contextSwitches).to.be.a('number').greaterThan(0);
      expect(Object.values(stat.cpu).every((ticks) => Number.isInteger(ticks) && ticks >= 0)).to.equal(true);
    });

    it('parses the Pi /proc/stat exactly', function () {
      expect(parseProcStatFile(fixture('pi4', 'proc/stat'))).to.deep.equal({
        cpu: { user: 412300, nice: 1520, system: 98760, idle: 33700000, iowait: 4210, irq: 0, softirq: 2130, steal: 0 },
        cpuCount: 4,
        contextSwitches: 98765432,
        interrupts: 52211043,
        processesCreated: 45210,
        running: 2,
        blocked: 1,
        bootTime: 1793434337,
      });
    });

    it('parses /proc/vmstat and /proc/net/dev captured on this machine', function () {
      const vmstat = parseVmstat(fixture('linux-vm', 'proc/vmstat'));
      expect(vmstat.has('pgpgin') && vmstat.has('pgfault') && vmstat.has('pswpout')).to.equal(true);
      expect(parseNetDev(fixture('linux-vm', 'proc/net/dev'))).to.deep.equal([
        {
          name: 'lo',
          rxBytes: 24025180,
          rxPackets: 41351,
          rxErrors: 0,
          rxDropped: 0,
          txBytes: 24025180,
          txPackets: 41351,
          txErrors: 0,
          txDropped: 0,
        },
        {
          name: 'ifb0',
          rxBytes: 0,
          rxPackets: 0,
          rxErrors: 0,
          rxDropped: 0,
          txBytes: 0,
          txPackets: 0,
          txErrors: 0,
          txDropped: 0,
        },
        {
          name: 'ifb1',
          rxBytes: 0,
          rxPackets: 0,
          rxErrors: 0,
          rxDropped: 0,
          txBytes: 0,
          txPackets: 0,
          txErrors: 0,
          txDropped: 0,
        },
        {
          name: 'eth0',
          rxBytes: 647232980,
          rxPackets: 19040,
          rxErrors: 0,
          rxDropped: 0,
          txBytes: 2185486,
          txPackets: 13372,
          txErrors: 0,
          txDropped: 0,
        },
      ]);
    });

    it('splits CPU time into sar -u shares and a busy percentage', function () {
      const before = parseProcStatFile(fixture('pi4', 'proc/stat')).cpu;
      const after = parseProcStatFile(fixture('pi4-next', 'proc/stat')).cpu;
      expect(cpuShares(before, after)).to.deep.equal({
        user: 15,
        nice: 0,
        system: 5,
        iowait: 2.5,
        irq: 0,
        softirq: 2.5,
        steal: 0,
        idle: 75,
      });
      expect(busyPercent(before, after)).to.equal(22.5);
      expect(busyPercent(undefined, after)).to.equal(null);
      expect(cpuShares(after, after).idle).to.equal(null);
    });
  });

  describe('activity (sar)', function () {
    it('reports sar figures over 5 s of the Pi', async function () {
      const [first, second] = await twoSamples(readActivitySample);
      const report = activityReport(first, second);
      expect(activitySchema.parse(report)).to.deep.equal(report);
      expect(report).to.deep.equal({
        intervalSeconds: 5,
        cpu: { user: 15, nice: 0, system: 5, iowait: 2.5, irq: 0, softirq: 2.5, steal: 0, idle: 75 },
        contextSwitchesPerSec: 5000,
        interruptsPerSec: 2000,
        processesCreatedPerSec: 10,
        runQueue: 2,
        processListSize: 187,
        blocked: 0,
        loadAverage: [0.42, 0.31, 0.25],
        paging: { pageInKBPerSec: 40, pageOutKBPerSec: 200, faultsPerSec: 10000, majorFaultsPerSec: 1 },
        swapping: { swapInPagesPerSec: 0, swapOutPagesPerSec: 2 },
        io: { tps: 100, readTps: 20, writeTps: 80, blocksReadPerSec: 400, blocksWrittenPerSec: 1600 },
        network: [
          { interface: 'lo', rxPacketsPerSec: 20, txPacketsPerSec: 20, rxKBPerSec: 1.95, txKBPerSec: 1.95 },
          { interface: 'eth0', rxPacketsPerSec: 500, txPacketsPerSec: 200, rxKBPerSec: 100, txKBPerSec: 20 },
          { interface: 'wlan0', rxPacketsPerSec: 0, txPacketsPerSec: 0, rxKBPerSec: 0, txKBPerSec: 0 },
        ],
        power: [],
      });
    });

    it('reports no rates on the first collection, only the instantaneous figures', async function () {
      const report = await createActivityProbe(fixtureOptions('pi4'))();
      expect(activitySchema.parse(report)).to.deep.equal(report);
      expect(report.intervalSeconds).to.equal(null);
      expect(Object.values(report.cpu).every((share) => share === null)).to.equal(true);
      expect(report).to.deep.include({ contextSwitchesPerSec: null, runQueue: 2, processListSize: 187, blocked: 1 });
      expect(report.io.tps).to.equal(null);
      expect(report.network.map((row) => row.rxPacketsPerSec)).to.deep.equal([null, null, null]);
    });

    it('reports batteries from /sys/class/power_supply', async function () {
      const tree = copyTree('pi4');
      try {
        const battery = join(tree.paths.sys, 'class', 'power_supply', 'BAT0');
        mkdirSync(battery, { recursive: true });
        writeFileSync(join(battery, 'type'), 'Battery\n');
        writeFileSync(join(battery, 'status'), 'Discharging\n');
        writeFileSync(join(battery, 'capacity'), '87\n');
        mkdirSync(join(tree.paths.sys, 'class', 'power_supply', 'AC'));
        writeFileSync(join(tree.paths.sys, 'class', 'power_supply', 'AC', 'type'), 'Mains\n');
        const report = await createActivityProbe(fixtureOptions('pi4', { paths: tree.paths }))();
        expect(report.power).to.deep.equal([
          { name: 'AC', type: 'Mains', status: null, capacityPercent: null },
          { name: 'BAT0', type: 'Battery', status: 'Discharging', capacityPercent: 87 },
        ]);
      } finally {
        tree.dispose();
      }
    });
  });

  describe('network behaviour', function () {
    it('reads the counters of a sample captured on this machine', function () {
      const sample = behaviourSample(
        1000,
        fixture('linux-vm', 'proc/net/snmp'),
        fixture('linux-vm', 'proc/net/dev'),
        fixture('linux-vm', 'proc/uptime'),
      );
      expect(sample).to.deep.equal({
        at: 1000,
        uptimeSeconds: 2774.77,
        tcpSegments: 114818,
        udpDatagrams: 258,
        icmpMessages: 3,
        opens: 3996,
        attemptFails: 16,
        resets: 229,
        retransmits: 18,
        established: 4,
        packetsIn: 19040,
        packetsOut: 13372,
        bytesIn: 647232980,
        bytesOut: 2185486,
      });
    });

    it('computes rates, protocol mix and TCP failures over 5 s of the Pi', async function () {
      const [first, second] = await twoSamples(async (options) => {
        const read = (file: string) => readFileSync(join(options.paths.proc, file), 'utf8');
        return behaviourSample(options.now(), read('net/snmp'), read('net/dev'), read('uptime'));
      });
      const behaviour = networkBehaviour(first, second);
      expect(networkBehaviourSchema.parse(behaviour)).to.deep.equal(behaviour);
      expect(behaviour).to.deep.include({
        intervalSeconds: 5,
        packetsInPerSec: 500,
        packetsOutPerSec: 200,
        bytesInPerSec: 102400,
        bytesOutPerSec: 20480,
        protocolMix: { tcp: 0.75, udp: 0.245, icmp: 0.005 },
        newConnectionsPerSec: 3,
        failedConnectionsPerSec: 1,
        resetsPerSec: 1,
        retransmitsPerSec: 3,
        establishedConnections: 4,
        dnsQueriesPerSec: null,
        latencyMs: null,
        payloadSizeEntropyBits: null,
      });
      expect(Object.keys(behaviour.unavailable ?? {}).sort()).to.deep.equal([
        'dnsQueriesPerSec',
        'interArrivalCv',
        'jitterMs',
        'latencyMs',
        'meanInterArrivalMs',
        'meanPayloadBytes',
        'meanSessionSeconds',
        'payloadSizeEntropyBits',
        'tlsHandshakesPerSec',
      ]);
      expect(behaviour.unavailable).to.deep.equal(UNOBSERVABLE);
    });

    it('measures the first interval from boot, then from the previous call', async function () {
      let probe: (() => Promise<unknown>) | undefined;
      const [first, second] = await twoSamples((options) => {
        probe ??= createBehaviourProbe(options);
        return probe();
      });
      const since = networkBehaviourSchema.parse(first);
      expect(since.intervalSeconds).to.equal(86400.52);
      expect(since.packetsInPerSec).to.equal(Math.round((901234 / 86400.52) * 1000) / 1000);
      expect(since.newConnectionsPerSec).to.equal(Math.round(((3120 + 845) / 86400.52) * 1000) / 1000);
      expect(networkBehaviourSchema.parse(second)).to.deep.include({ intervalSeconds: 5, packetsInPerSec: 500 });
    });

    it('reports an idle interval as zero rates and an all-zero protocol mix', function () {
      const sample = behaviourSample(
        0,
        fixture('pi4', 'proc/net/snmp'),
        fixture('pi4', 'proc/net/dev'),
        fixture('pi4', 'proc/uptime'),
      );
      const idle = networkBehaviour(sample, { ...sample, at: 1000 });
      expect(idle).to.deep.include({
        intervalSeconds: 1,
        packetsInPerSec: 0,
        protocolMix: { tcp: 0, udp: 0, icmp: 0 },
        establishedConnections: 3,
      });
    });
  });
});
