import { statfsSync } from 'node:fs';
import { expect } from 'chai';
import { createDiskProbe, diskRates, isPartition, parseDiskstats } from '../../../agent/src/collect/disks';
import {
  parseMounts,
  readFilesystems,
  realMounts,
  unescapeMountField,
  usage,
} from '../../../agent/src/collect/filesystems';
import { parseMeminfo, readMemory } from '../../../agent/src/collect/memory';
import { counterDelta } from '../../../agent/src/collect/read';
import { memorySchema } from '../../../twin-core/src/messages/snapshot';
import { copyTree, fixture, fixtureOptions, fixturePaths } from './helpers';

describe('agent collect: memory, disks and filesystems', function () {
  describe('memory', function () {
    it('reads the Pi meminfo as free and sar -r do, swap included', async function () {
      const memory = await readMemory(fixturePaths('pi4'));
      expect(memorySchema.parse(memory)).to.deep.equal(memory);
      expect(memory).to.deep.equal({
        totalKiB: 3885416,
        freeKiB: 2811236,
        availableKiB: 3412708,
        usedKiB: 472708,
        buffersKiB: 68212,
        cachedKiB: 654060,
        activeKiB: 431880,
        inactiveKiB: 438612,
        dirtyKiB: 124,
        committedKiB: 812344,
        commitPercent: 20.37,
        usedPercent: 12.17,
        swapTotalKiB: 102396,
        swapFreeKiB: 92156,
        swapUsedKiB: 10240,
        swapCachedKiB: 0,
      });
    });

    it('reads the meminfo captured on this machine (no swap)', function () {
      expect(parseMeminfo(fixture('linux-vm', 'proc/meminfo'))).to.deep.include({
        totalKiB: 24682416,
        availableKiB: 24141724,
        usedKiB: 540692,
        cachedKiB: 614172,
        commitPercent: 0.76,
        usedPercent: 2.19,
        swapTotalKiB: 0,
        swapUsedKiB: 0,
      });
    });

    it('estimates available memory on kernels without MemAvailable and refuses a file without MemTotal', function () {
      expect(parseMeminfo('MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n')).to.include({
        availableKiB: 400,
        usedKiB: 600,
      });
      expect(() => parseMeminfo('MemFree: 100 kB\n')).to.throw('no MemTotal');
    });

    it('is unavailable with the path when meminfo is missing', async function () {
      const paths = { ...fixturePaths('pi4'), proc: '/nonexistent/proc' };
      const error = await readMemory(paths).then(
        () => expect.fail('expected a failure'),
        (thrown: Error) => thrown,
      );
      expect(error.message).to.equal('/nonexistent/proc/meminfo does not exist');
    });
  });

  describe('disks', function () {
    it('parses /proc/diskstats captured on this machine', function () {
      const vda = parseDiskstats(fixture('linux-vm', 'proc/diskstats')).find((disk) => disk.name === 'vda');
      expect(vda).to.deep.equal({
        name: 'vda',
        readsCompleted: 80107,
        sectorsRead: 3393746,
        readMs: 44021,
        writesCompleted: 18553,
        sectorsWritten: 5232808,
        writeMs: 27869,
        inFlight: 0,
        ioMs: 9860,
        weightedIoMs: 74221,
      });
    });

    it('tells partitions from whole disks', function () {
      expect(['sda1', 'vda2', 'mmcblk0p2', 'nvme0n1p1'].map(isPartition)).to.deep.equal([true, true, true, true]);
      expect(['sda', 'vda', 'mmcblk0', 'nvme0n1', 'zram0', 'dm-0'].map(isPartition)).to.deep.equal([
        false,
        false,
        false,
        false,
        false,
        false,
      ]);
    });

    it('computes iostat rates and await (I/O latency) between two samples', function () {
      const before = parseDiskstats(fixture('pi4', 'proc/diskstats')).find((disk) => disk.name === 'mmcblk0')!;
      const after = parseDiskstats(fixture('pi4-next', 'proc/diskstats')).find((disk) => disk.name === 'mmcblk0')!;
      expect(diskRates(before, after, 5)).to.deep.equal({
        tps: 100,
        readKBps: 200,
        writeKBps: 800,
        awaitMs: 2,
        averageQueueLength: 0.24,
        utilPercent: 10,
      });
      expect(diskRates(undefined, after, 5).awaitMs).to.equal(null);
      expect(diskRates(after, after, 5)).to.include({ tps: 0, awaitMs: 0, utilPercent: 0 });
    });

    it('survives a 32-bit counter wrap and treats a larger drop as a reset', function () {
      expect(counterDelta(4294967290, 5)).to.equal(11);
      expect(counterDelta(2 ** 40, 5)).to.equal(null);
      expect(counterDelta(7, 7)).to.equal(0);
    });

    it('lists devices that did I/O; rates null first, then over the interval', async function () {
      const tree = copyTree('pi4');
      try {
        const options = fixtureOptions('pi4', { paths: tree.paths });
        const probe = createDiskProbe(options);
        const first = await probe();
        expect(first.map((disk) => disk.name)).to.deep.equal(['mmcblk0', 'mmcblk0p1', 'mmcblk0p2']);
        expect(first[0]).to.include({ readsCompleted: 41234, tps: null, awaitMs: null, utilPercent: null });
        tree.overlay('pi4-next');
        options.clock.ms += 5000;
        const second = await probe();
        expect(second[0]).to.include({ name: 'mmcblk0', inFlight: 1, tps: 100, awaitMs: 2, utilPercent: 10 });
        expect(second[1]).to.include({ name: 'mmcblk0p1', tps: 0, awaitMs: 0 });
      } finally {
        tree.dispose();
      }
    });
  });

  describe('filesystems', function () {
    it('undoes the octal escapes of /proc/mounts', function () {
      expect(unescapeMountField('/media/pi/USB\\040STICK')).to.equal('/media/pi/USB STICK');
      expect(unescapeMountField('a\\011b\\134c')).to.equal('a\tb\\c');
    });

    it('keeps real filesystems and drops pseudo ones (Pi tree)', function () {
      const mounts = realMounts(parseMounts(fixture('pi4', 'proc/mounts')));
      expect(mounts.map((mount) => [mount.mountPoint, mount.device, mount.type])).to.deep.equal([
        ['/', '/dev/mmcblk0p2', 'ext4'],
        ['/boot/firmware', '/dev/mmcblk0p1', 'vfat'],
        ['/media/pi/USB STICK', '/dev/sda1', 'vfat'],
      ]);
    });

    it('keeps only the root filesystem of this machine, once', function () {
      const mounts = realMounts(parseMounts(fixture('linux-vm', 'proc/mounts')));
      expect(mounts.map((mount) => mount.mountPoint)).to.deep.equal(['/']);
    });

    it("computes df's figures from statfs", function () {
      expect(usage({ bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 })).to.deep.equal({
        sizeBytes: 4096000,
        usedBytes: 2867200,
        availableBytes: 1024000,
        usedPercent: 73.68,
      });
      expect(usage({ bsize: 4096, blocks: 0, bfree: 0, bavail: 0 }).usedPercent).to.equal(0);
    });

    it('measures the mounts that exist with statfs and leaves out the others', async function () {
      const filesystems = await readFilesystems(fixturePaths('pi4'));
      expect(filesystems.map((filesystem) => filesystem.mountPoint)).to.deep.equal(['/']);
      const stats = statfsSync('/');
      expect(filesystems[0]).to.include({
        device: '/dev/mmcblk0p2',
        type: 'ext4',
        sizeBytes: stats.blocks * stats.bsize,
      });
      expect(filesystems[0]!.usedPercent).to.be.within(0, 100);
    });
  });
});
