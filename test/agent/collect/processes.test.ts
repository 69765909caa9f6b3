import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  countTasks,
  cpuPercent,
  createProcessProbe,
  formatCommand,
  parsePasswd,
  parseProcStat,
  parseProcStatus,
  topPriority,
} from '../../../agent/src/collect/processes';
import { processesSchema } from '../../../twin-core/src/messages/snapshot';
import { copyTree, fixture, fixtureOptions } from './helpers';

describe('agent collect: process table', function () {
  describe('parsers', function () {
    it('parses /proc/<pid>/stat captured on this machine', function () {
      expect(parseProcStat(fixture('linux-vm', 'proc/21140/stat'))).to.deep.equal({
        pid: 21140,
        comm: 'MainThread',
        state: 'R',
        ppid: 21139,
        cpuTicks: 4,
        priority: 20,
        nice: 0,
        threads: 7,
        startTicks: 277432,
        vsizeBytes: 1440886784,
      });
    });

    it('counts fields from the last parenthesis, so a name with ") " does not shift them', function () {
      const stat = parseProcStat(
        '1130 ((sd-pam)) S 1129 1129 1129 0 -1 4194560 1000 0 10 0 7 3 0 0 20 0 1 0 1500 36405248 640',
      );
      expect(stat).to.include({ pid: 1130, comm: '(sd-pam)', state: 'S', ppid: 1129, cpuTicks: 10, startTicks: 1500 });
      expect(parseProcStat('42 (a) b) c) Z 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 99 0 0')).to.include({
        comm: 'a) b) c',
        state: 'Z',
      });
    });

    it('parses /proc/<pid>/status: effective UID, VIRT, RES and SHR in KiB', function () {
      expect(parseProcStatus(fixture('linux-vm', 'proc/21140/status'))).to.deep.equal({
        uid: 0,
        virtKiB: 1407116,
        resKiB: 49520,
        shrKiB: 39468,
      });
      expect(parseProcStatus(fixture('pi4', 'proc/812/status'))).to.deep.equal({
        uid: 1000,
        virtKiB: 312468,
        resKiB: 61232,
        shrKiB: 23132,
      });
      expect(parseProcStatus(fixture('pi4', 'proc/2/status'))).to.deep.equal({
        uid: 0,
        virtKiB: 0,
        resKiB: 0,
        shrKiB: 0,
      });
    });

    it('maps UIDs to names with /etc/passwd', function () {
      const users = parsePasswd(fixture('pi4', 'etc/passwd'));
      expect(users.get(0)).to.equal('root');
      expect(users.get(1000)).to.equal('pi');
      expect(users.get(108)).to.equal('avahi');
      expect(users.has(4242)).to.equal(false);
    });

    it("shows top's PR: rt for the top real-time priority, the kernel priority otherwise", function () {
      expect(topPriority(-100)).to.equal('rt');
      expect(topPriority(-51)).to.equal(-51);
      expect(topPriority(20)).to.equal(20);
      expect(topPriority(39)).to.equal(39);
    });

    it('formats command lines, with [name] for kernel threads', function () {
      expect(formatCommand('/usr/bin/node\0cli.js\0run\0', 'node')).to.equal('/usr/bin/node cli.js run');
      expect(formatCommand('', 'kthreadd')).to.equal('[kthreadd]');
      expect(formatCommand(null, 'gone')).to.equal('[gone]');
    });

    it('computes %CPU of one CPU over the interval, null without a previous sample', function () {
      expect(cpuPercent(5400, 5450, 5)).to.equal(10);
      expect(cpuPercent(100, 500, 2)).to.equal(200);
      expect(cpuPercent(undefined, 5450, 5)).to.equal(null);
      expect(cpuPercent(5400, 5450, null)).to.equal(null);
    });

    it('counts tasks by state', function () {
      expect(countTasks(['R', 'S', 'S', 'D', 'I', 'T', 't', 'Z', 'X'])).to.deep.equal({
        total: 9,
        running: 1,
        sleeping: 2,
        uninterruptible: 1,
        idle: 1,
        stopped: 2,
        zombie: 1,
      });
    });
  });

  describe('createProcessProbe', function () {
    it("reads the Pi's process table with top's columns", async function () {
      const table = await createProcessProbe(fixtureOptions('pi4'))();
      expect(processesSchema.parse(table)).to.deep.equal(table);
      expect(table.tasks).to.deep.equal({
        total: 12,
        running: 1,
        sleeping: 7,
        uninterruptible: 1,
        idle: 1,
        stopped: 1,
        zombie: 1,
      });
      expect(table.threads).to.equal(23);
      expect(table.truncated).to.equal(false);
      expect(table.list.map((row) => row.pid)).to.deep.equal([812, 660, 1, 512, 950, 1130, 2, 15, 45, 120, 200, 901]);
      expect(table.list[0]).to.deep.equal({
        pid: 812,
        ppid: 1,
        user: 'pi',
        priority: 20,
        nice: 0,
        virtKiB: 312468,
        resKiB: 61232,
        shrKiB: 23132,
        state: 'R',
        cpuPercent: null,
        memPercent: 1.58,
        cpuTimeSeconds: 54,
        threads: 11,
        name: 'node',
        command: '/usr/bin/node /opt/twin-agent/dist/agent/src/cli.js run',
      });
      const byPid = new Map(table.list.map((row) => [row.pid, row]));
      expect(byPid.get(660)).to.include({ user: 'root', priority: 30, nice: 10, threads: 2, cpuTimeSeconds: 2.05 });
      expect(byPid.get(15)).to.include({ priority: 'rt', command: '[migration/0]', virtKiB: 0 });
      expect(byPid.get(120)).to.include({ priority: -51 });
      expect(byPid.get(901)).to.include({ state: 'Z', user: 'pi', command: '[python3]' });
      expect(byPid.get(1130)).to.include({ name: '(sd-pam)', ppid: 1129 });
    });

    it('reports %CPU from the second collection on, and none for a reused PID', async function () {
      const tree = copyTree('pi4');
      try {
        const options = fixtureOptions('pi4', { paths: tree.paths });
        const probe = createProcessProbe(options);
        const first = await probe();
        expect(first.list.every((row) => row.cpuPercent === null)).to.equal(true);
        tree.overlay('pi4-next');
        // PID 512 exited and the PID was reused by a process started later.
        const stat = fixture('pi4', 'proc/512/stat').replace(' 1210 ', ' 8600810 ');
        writeFileSync(join(tree.paths.proc, '512', 'stat'), stat);
        options.clock.ms += 5000;
        const second = await probe();
        const byPid = new Map(second.list.map((row) => [row.pid, row]));
        expect(second.list[0]).to.include({ pid: 812, cpuPercent: 10, cpuTimeSeconds: 54.5 });
        expect(second.list[1]).to.include({ pid: 1, cpuPercent: 0.2 });
        expect(byPid.get(660)?.cpuPercent).to.equal(0);
        expect(byPid.get(512)?.cpuPercent).to.equal(null);
      } finally {
        tree.dispose();
      }
    });

    it('cuts the table at processLimit and says so', async function () {
      const table = await createProcessProbe(fixtureOptions('pi4', { processLimit: 3 }))();
      expect(table.list.map((row) => row.pid)).to.deep.equal([812, 660, 1]);
      expect(table.truncated).to.equal(true);
      expect(table.tasks.total).to.equal(12);
    });

    it('fails with the path when /proc cannot be listed', async function () {
      const options = fixtureOptions('pi4');
      options.paths = { ...options.paths, proc: join(options.paths.proc, 'missing') };
      const error = await createProcessProbe(options)().then(
        () => expect.fail('expected a failure'),
        (thrown: Error) => thrown,
      );
      expect(error.message).to.equal(`${options.paths.proc} does not exist`);
    });
  });
});
