import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEFAULT_SYSTEM_PATHS } from '../../../agent/src/collect/context';
import { createCollector } from '../../../agent/src/collect/createCollector';
import { deviceTreeVendor, readBoardInfo } from '../../../agent/src/collect/cpuinfo';
import {
  appSpecificMachineId,
  parseMachineId,
  readMachineId,
  TWIN_AGENT_APP_ID,
} from '../../../agent/src/collect/machineId';
import { MissingStaticFieldError, UNREPORTED } from '../../../agent/src/collect/staticDocument';
import { computeDeviceId } from '../../../twin-core/src/identity/deviceId';
import { parseStaticDocument } from '../../../twin-core/src/static/staticDocument';
import { copyTree, fixtureOptions, fixturePaths } from './helpers';

const GIB = 1024 ** 3;

/** Collector options for an x86 fixture tree (the helper's defaults describe the Pi). */
function x86Options(tree: string, paths = fixturePaths(tree)) {
  return fixtureOptions(tree, {
    paths,
    host: { machine: () => 'x86_64', networkInterfaces: () => ({}), runCommand: () => Promise.reject(new Error('no')) },
  });
}

/** The static document of a tree, with the notes it gave about unreported identity fields. */
async function collect(options: ReturnType<typeof x86Options>, identity = {}) {
  const notes: string[] = [];
  const document = await createCollector(options).staticDocument({ identity }, (note) => notes.push(note));
  expect(parseStaticDocument(document), 'a valid static document').to.deep.equal(document);
  return { document, notes };
}

describe('agent collect: the identity of any Linux machine', function () {
  describe('machine IDs', function () {
    it("derives systemd's app-specific ID (its own test vector: systemd-id128 -a f03d… show 51df…)", function () {
      expect(appSpecificMachineId('51df0b4bc3b04c9780e299b98ca373b8', 'f03daaeb1c334b43a732172944bf772e')).to.equal(
        '1dee5954e75c4d6fb96cc6c04ca18a86',
      );
    });

    it("uses the agent's own application ID, never the machine ID itself", function () {
      const derived = appSpecificMachineId('b08dfa6083e7567a1921a715000001fb');
      expect(derived).to.match(/^[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$/); // a version 4 UUID
      expect(derived).to.not.equal('b08dfa6083e7567a1921a715000001fb');
      expect(TWIN_AGENT_APP_ID).to.match(/^[0-9a-f]{32}$/);
    });

    it('accepts 32 hex digits only: not empty, all zeros or "uninitialized"', function () {
      expect(parseMachineId('B08DFA6083E7567A1921A715000001FB\n')).to.equal('b08dfa6083e7567a1921a715000001fb');
      for (const bad of [
        null,
        '',
        'uninitialized',
        '0'.repeat(32),
        'b08dfa6083e7567a1921a715000001f',
        'x'.repeat(32),
      ]) {
        expect(parseMachineId(bad), String(bad)).to.equal(null);
      }
    });

    it("reads etc/machine-id, and none in a container's tree", async function () {
      expect(await readMachineId(fixturePaths('x86-server'))).to.equal('b08dfa6083e7567a1921a715000001fb');
      expect(await readMachineId(fixturePaths('container'))).to.equal(null);
    });

    it("takes a board's vendor from its device tree's first compatible entry", function () {
      expect(deviceTreeVendor('pine64,rockpro64-v2.1\0pine64,rockpro64\0rockchip,rk3399\0')).to.equal('pine64');
      expect(deviceTreeVendor('no-comma')).to.equal(null);
      expect(deviceTreeVendor(null)).to.equal(null);
    });
  });

  describe('a plain x86 server (DMI, machine-id, a physical NIC beside docker0)', function () {
    it('takes serial, maker, model and revision from DMI, the MAC from the physical interface', async function () {
      const { document, notes } = await collect(x86Options('x86-server'));
      expect(document.identity).to.deep.equal({
        macAddress: 'b0:26:28:4e:1a:90',
        serialNumber: '7XK2MQ2',
        manufacturer: 'Dell Inc.',
        hardwareModel: 'PowerEdge R640',
        // product_version says "Not Specified": the board's version is the next source.
        hardwareRevision: 'A05',
        memoryBytes: 63 * GIB,
        osName: 'Ubuntu',
        osVersion: '24.04.1 LTS (Noble Numbat)',
      });
      expect(document.hardware).to.deep.equal({
        architecture: 'x86_64',
        cpuModel: 'Intel(R) Xeon(R) Silver 4214 CPU @ 2.20GHz',
        cpuCores: 2,
      });
      expect(document.os).to.include({ hostname: 'db-01', family: 'debian', release: '6.8.0-45-generic' });
      expect(notes).to.deep.equal([]);
    });

    it('says where each field came from', async function () {
      const board = await readBoardInfo(fixturePaths('x86-server'));
      expect(board.serialNumber?.source).to.match(/sys\/class\/dmi\/id\/product_serial$/);
      expect(board.hardwareRevision?.source).to.match(/sys\/class\/dmi\/id\/board_version$/);
      expect(board.memoryBytes?.source).to.match(/proc\/meminfo$/);
    });

    it('without the root-only DMI serials (an agent not run as root), the serial comes from the machine-id', async function () {
      const tree = copyTree('x86-server');
      try {
        for (const file of ['product_serial', 'board_serial']) rmSync(join(tree.paths.sys, 'class', 'dmi', 'id', file));
        const { document } = await collect(x86Options('x86-server', tree.paths));
        expect(document.identity.serialNumber).to.equal(appSpecificMachineId('b08dfa6083e7567a1921a715000001fb'));
        expect(document.identity.manufacturer).to.equal('Dell Inc.');
      } finally {
        tree.dispose();
      }
    });

    it('lets the config override every identity field, the MAC included', async function () {
      const identity = {
        macAddress: '02-00-00-00-00-07',
        serialNumber: 'ASSET-0042',
        manufacturer: 'Acme',
        hardwareModel: 'Gateway 3',
        hardwareRevision: 'B',
        memoryBytes: 64 * GIB,
        osName: 'Acme Linux',
        osVersion: '3',
      };
      const { document } = await collect(x86Options('x86-server'), identity);
      expect(document.identity).to.deep.equal({ ...identity, macAddress: '02:00:00:00:00:07' });
    });
  });

  describe('a virtual machine whose DMI has no serial (QEMU/KVM)', function () {
    it('is identified by its MAC and the app-specific ID of its machine-id, DMI giving maker and model', async function () {
      const { document, notes } = await collect(x86Options('vm-qemu'));
      expect(document.identity).to.deep.equal({
        macAddress: '52:54:00:12:34:56',
        serialNumber: appSpecificMachineId('51df0b4bc3b04c9780e299b98ca373b8'),
        manufacturer: 'QEMU',
        hardwareModel: 'Standard PC (Q35 + ICH9, 2009)',
        hardwareRevision: 'pc-q35-8.2',
        memoryBytes: 4 * GIB,
        osName: 'Debian GNU/Linux',
        osVersion: '12 (bookworm)',
      });
      expect(notes).to.deep.equal([]);
    });

    it('gives the same DeviceID on every collection', async function () {
      const first = await collect(x86Options('vm-qemu'));
      const options = x86Options('vm-qemu');
      options.clock.ms += 3_600_000;
      const second = await collect(options);
      expect(second.document.collectedAt).to.not.equal(first.document.collectedAt);
      expect(computeDeviceId(second.document.identity)).to.equal(computeDeviceId(first.document.identity));
    });
  });

  describe('a machine without DMI or device tree (the captured Firecracker VM)', function () {
    it('records maker, model and revision as unknown, with a note naming each config key', async function () {
      const tree = copyTree('linux-vm');
      try {
        // This machine's machine-id and NIC, which the capture left out.
        for (const [file, text] of [
          ['etc/machine-id', '3d1219c7c4c5404aaa1f6d2a48adfda4\n'],
          ['sys/class/net/eth0/address', '02:fc:00:00:00:01\n'],
          ['sys/class/net/eth0/device/uevent', 'DRIVER=virtio_net\n'],
        ] as const) {
          mkdirSync(join(tree.root, file, '..'), { recursive: true });
          writeFileSync(join(tree.root, file), text);
        }
        const { document, notes } = await collect(x86Options('linux-vm', tree.paths));
        expect(document.identity).to.deep.include({
          macAddress: '02:fc:00:00:00:01',
          serialNumber: appSpecificMachineId('3d1219c7c4c5404aaa1f6d2a48adfda4'),
          manufacturer: UNREPORTED,
          hardwareModel: UNREPORTED,
          hardwareRevision: UNREPORTED,
        });
        expect(notes).to.have.length(3);
        for (const [index, field] of ['manufacturer', 'hardwareModel', 'hardwareRevision'].entries()) {
          expect(notes[index]).to.include(`identity.${field}: this machine does not report it`);
          expect(notes[index]).to.include(`set identity.${field} in the agent config`);
        }
      } finally {
        tree.dispose();
      }
    });
  });

  describe('a container without machine-id (no DMI, a veth eth0)', function () {
    it('cannot invent a serial: it names identity.serialNumber and the machine-id it looked for', async function () {
      const error = await createCollector(x86Options('container'))
        .staticDocument()
        .then(
          () => expect.fail('expected a MissingStaticFieldError'),
          (thrown: unknown) => thrown as MissingStaticFieldError,
        );
      expect(error).to.be.instanceOf(MissingStaticFieldError);
      expect(error.fields).to.deep.equal(['identity.serialNumber']);
      expect(error.message).to.match(
        /identity\.serialNumber: not found .*etc\/machine-id; set identity\.serialNumber in the agent config/,
      );
    });

    it('is identified once the config names its serial', async function () {
      const { document, notes } = await collect(x86Options('container'), { serialNumber: 'edge-gw-17' });
      expect(document.identity).to.deep.equal({
        macAddress: '02:42:ac:11:00:02',
        serialNumber: 'edge-gw-17',
        manufacturer: UNREPORTED,
        hardwareModel: UNREPORTED,
        hardwareRevision: UNREPORTED,
        memoryBytes: 8 * GIB,
        osName: 'Alpine Linux',
        osVersion: '3.20.3',
      });
      expect(notes).to.have.length(3);
    });
  });

  describe('this machine', function () {
    it('builds a valid static document from the real /proc, /sys and /etc', async function () {
      const nics = existsSync('/sys/class/net') ? readdirSync('/sys/class/net').filter((name) => name !== 'lo') : [];
      if (nics.length === 0) {
        console.log('    skipped: this machine has no network interface but lo (no MAC to identify it by)');
        this.skip();
      }
      const options = { ...fixtureOptions('pi4'), paths: DEFAULT_SYSTEM_PATHS, host: undefined };
      const board = await readBoardInfo(DEFAULT_SYSTEM_PATHS);
      if (board.serialNumber === null) {
        console.log('    skipped: this machine has no serial source (no DMI serial readable, no /etc/machine-id)');
        this.skip();
      }
      const notes: string[] = [];
      const document = await createCollector(options).staticDocument({}, (note) => notes.push(note));
      expect(parseStaticDocument(document)).to.deep.equal(document);
      expect(document.identity.serialNumber).to.equal(board.serialNumber!.value);
      expect(computeDeviceId(document.identity)).to.be.a('bigint');
      // Whatever it does not report is named, never left out silently.
      const unknown = Object.entries(document.identity).filter(([, value]) => value === UNREPORTED);
      expect(notes).to.have.length(unknown.length);
    });
  });
});
