import { expect } from 'chai';
import { createCollector } from '../../../agent/src/collect/createCollector';
import { nominalMemoryBytes, parseCpuInfo, splitModelRevision } from '../../../agent/src/collect/cpuinfo';
import { osReleaseInfo, parseOsRelease } from '../../../agent/src/collect/osRelease';
import { decodePiRevision } from '../../../agent/src/collect/raspberryPi';
import { MissingStaticFieldError } from '../../../agent/src/collect/staticDocument';
import {
  parseDhcpcdStaticIp,
  parseInterfacesStaticIp,
  selectPrimaryMac,
} from '../../../agent/src/collect/staticNetwork';
import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { parseStaticDocument } from '../../../twin-core/src/static/staticDocument';
import { fixture, fixtureOptions } from './helpers';

describe('agent collect: static document', function () {
  describe('Raspberry Pi revision codes', function () {
    it('decodes c03114 as a Sony UK Raspberry Pi 4 Model B rev 1.4 with 4 GiB', function () {
      expect(decodePiRevision('c03114')).to.deep.equal({
        code: 'c03114',
        type: '4B',
        model: 'Raspberry Pi 4 Model B',
        revision: '1.4',
        manufacturer: 'Sony UK',
        processor: 'BCM2711',
        memoryBytes: 4 * 1024 ** 3,
      });
    });

    it('decodes other new-style codes (8 GiB Pi 4, Pi 5, Zero 2 W, a 3B built by Embest)', function () {
      expect(decodePiRevision('d03115')).to.include({
        model: 'Raspberry Pi 4 Model B',
        revision: '1.5',
        memoryBytes: 8 * 1024 ** 3,
      });
      expect(decodePiRevision('c04170')).to.include({
        type: '5',
        processor: 'BCM2712',
        manufacturer: 'Sony UK',
        memoryBytes: 4 * 1024 ** 3,
      });
      expect(decodePiRevision('902120')).to.include({
        type: 'Zero 2 W',
        manufacturer: 'Sony UK',
        memoryBytes: 512 * 1024 ** 2,
      });
      expect(decodePiRevision('a22082')).to.include({ type: '3B', manufacturer: 'Embest', memoryBytes: 1024 ** 3 });
    });

    it('decodes old-style codes, with or without the warranty prefix', function () {
      expect(decodePiRevision('000e')).to.include({
        type: 'B',
        revision: '2.0',
        manufacturer: 'Sony UK',
        memoryBytes: 512 * 1024 ** 2,
      });
      expect(decodePiRevision('1000000e')).to.include({ code: '000e', type: 'B' });
    });

    it('returns null for codes it does not know instead of guessing', function () {
      expect(decodePiRevision('0001')).to.equal(null);
      expect(decodePiRevision('c031f4')).to.equal(null);
      expect(decodePiRevision('not-hex')).to.equal(null);
    });
  });

  describe('parsers', function () {
    it('reads board and processor lines of a Pi 4 /proc/cpuinfo', function () {
      expect(parseCpuInfo(fixture('pi4', 'proc/cpuinfo'))).to.deep.equal({
        cores: 4,
        cpuModel: 'ARMv7 Processor rev 3 (v7l)',
        hardware: 'BCM2835',
        revision: 'c03114',
        serial: '10000000a1b2c3d4',
        model: 'Raspberry Pi 4 Model B Rev 1.4',
      });
    });

    it('reads an x86 /proc/cpuinfo captured on this machine (no board lines)', function () {
      const info = parseCpuInfo(fixture('linux-vm', 'proc/cpuinfo'));
      expect(info).to.deep.equal({
        cores: 2,
        cpuModel: 'Intel(R) Xeon(R) Processor',
        hardware: null,
        revision: null,
        serial: null,
        model: null,
      });
    });

    it('treats an all-zero serial as none', function () {
      expect(parseCpuInfo('processor\t: 0\nSerial\t\t: 0000000000000000\n').serial).to.equal(null);
    });

    it('splits a device-tree model into model and revision', function () {
      expect(splitModelRevision('Raspberry Pi 4 Model B Rev 1.4')).to.deep.equal({
        model: 'Raspberry Pi 4 Model B',
        revision: '1.4',
      });
      expect(splitModelRevision('Pine64 RockPro64 v2.1')).to.deep.equal({
        model: 'Pine64 RockPro64 v2.1',
        revision: null,
      });
    });

    it('rounds MemTotal up to the nominal memory size', function () {
      expect(nominalMemoryBytes(3885416 * 1024)).to.equal(4 * 1024 ** 3);
      expect(nominalMemoryBytes(24682416 * 1024)).to.equal(24 * 1024 ** 3);
      expect(nominalMemoryBytes(443 * 1024 ** 2)).to.equal(512 * 1024 ** 2);
    });

    it('reads Raspbian os-release', function () {
      const fields = parseOsRelease(fixture('pi4', 'etc/os-release'));
      expect(fields.PRETTY_NAME).to.equal('Raspbian GNU/Linux 12 (bookworm)');
      expect(osReleaseInfo(fields)).to.deep.equal({
        name: 'Raspbian GNU/Linux',
        version: '12 (bookworm)',
        family: 'debian',
      });
    });

    it("reads this machine's Debian os-release and a rolling release without VERSION", function () {
      expect(osReleaseInfo(parseOsRelease(fixture('linux-vm', 'etc/os-release')))).to.deep.equal({
        name: 'Debian GNU/Linux',
        version: '12 (bookworm)',
        family: 'debian',
      });
      expect(osReleaseInfo(parseOsRelease('NAME="Arch Linux"\nBUILD_ID=rolling\nID=arch\n'))).to.deep.equal({
        name: 'Arch Linux',
        version: 'rolling',
        family: 'arch',
      });
    });

    it('prefers eth0, then wlan0, then physical interfaces, never lo or a zero MAC', function () {
      const candidates = [
        { name: 'lo', mac: '00:00:00:00:00:00', physical: false },
        { name: 'docker0', mac: '02:42:ac:11:00:01', physical: false },
        { name: 'wlan0', mac: 'dc:a6:32:0a:1b:2d', physical: true },
        { name: 'eth0', mac: 'dc:a6:32:0a:1b:2c', physical: true },
      ];
      expect(selectPrimaryMac(candidates)?.name).to.equal('eth0');
      expect(selectPrimaryMac(candidates.filter((entry) => entry.name !== 'eth0'))?.name).to.equal('wlan0');
      expect(
        selectPrimaryMac([
          { name: 'docker0', mac: '02:42:ac:11:00:01', physical: false },
          { name: 'enp3s0', mac: '00:1b:21:3a:4f:10', physical: true },
        ])?.name,
      ).to.equal('enp3s0');
      expect(selectPrimaryMac([{ name: 'lo', mac: '00:00:00:00:00:00', physical: false }])).to.equal(null);
    });

    it("takes dhcpcd's static address of the primary interface, ignoring comments", function () {
      const text = fixture('pi4', 'etc/dhcpcd.conf');
      expect(parseDhcpcdStaticIp(text, 'eth0')).to.equal('192.168.1.40');
      expect(parseDhcpcdStaticIp(text, 'wlan0')).to.equal('192.168.4.1');
      expect(parseDhcpcdStaticIp('#interface eth0\n#static ip_address=192.168.0.10/24\n', 'eth0')).to.equal(null);
    });

    it('takes the address of a static stanza of /etc/network/interfaces', function () {
      const text =
        'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n    address 10.0.0.5/24\n    gateway 10.0.0.1\n';
      expect(parseInterfacesStaticIp(text, 'eth0')).to.equal('10.0.0.5');
      expect(parseInterfacesStaticIp('iface eth0 inet dhcp\n', 'eth0')).to.equal(null);
    });
  });

  describe('staticDocument()', function () {
    it('builds a valid document from the Raspberry Pi 4 tree', async function () {
      const document = await createCollector(fixtureOptions('pi4')).staticDocument();
      expect(parseStaticDocument(document)).to.deep.equal(document);
      expect(document).to.deep.equal({
        schemaVersion: 1,
        collectedAt: '2026-11-21T10:00:00.000Z',
        identity: {
          macAddress: 'dc:a6:32:0a:1b:2c',
          serialNumber: '10000000a1b2c3d4',
          manufacturer: 'Raspberry Pi Ltd',
          hardwareModel: 'Raspberry Pi 4 Model B',
          hardwareRevision: '1.4',
          memoryBytes: 4294967296,
          osName: 'Raspbian GNU/Linux',
          osVersion: '12 (bookworm)',
        },
        hardware: {
          architecture: 'armv7l',
          revisionCode: 'c03114',
          cpuModel: 'ARMv7 Processor rev 3 (v7l)',
          cpuCores: 4,
        },
        os: {
          type: 'Linux',
          release: '6.6.51+rpt-rpi-v7l',
          kernelVersion: '#1 SMP Raspbian 1:6.6.51-1+rpt3 (2024-10-08)',
          family: 'debian',
          hostname: 'garden-pi',
        },
        network: { staticIp: '192.168.1.40' },
      });
    });

    it('gives a stable DeviceID: two collections hash to the same ID as the identity written by hand', async function () {
      const first = await createCollector(fixtureOptions('pi4')).staticDocument();
      const options = fixtureOptions('pi4');
      options.clock.ms += 86_400_000;
      const second = await createCollector(options).staticDocument();
      expect(second.collectedAt).to.not.equal(first.collectedAt);
      const byHand = computeDeviceId({
        macAddress: 'DC-A6-32-0A-1B-2C',
        serialNumber: '10000000a1b2c3d4',
        manufacturer: 'Raspberry Pi Ltd',
        hardwareModel: 'Raspberry Pi 4 Model B',
        hardwareRevision: '1.4',
        memoryBytes: 4294967296,
        osName: 'Raspbian GNU/Linux',
        osVersion: '12 (bookworm)',
      });
      expect(computeDeviceId(first.identity)).to.equal(byHand);
      expect(computeDeviceId(second.identity)).to.equal(byHand);
      expect(formatDeviceId(byHand)).to.match(/^0x[0-9a-f]{64}$/);
    });

    it('applies config overrides over what the device reports', async function () {
      const document = await createCollector(fixtureOptions('pi4')).staticDocument({
        identity: { manufacturer: 'Raspberry Pi Ltd' },
        os: { hostname: 'garden-pi-2' },
        network: { staticIp: null },
      });
      expect(document.identity.manufacturer).to.equal('Raspberry Pi Ltd');
      expect(document.identity.serialNumber).to.equal('10000000a1b2c3d4');
      expect(document.os.hostname).to.equal('garden-pi-2');
      expect(document.network.staticIp).to.equal(null);
    });

    it('names each missing identity field and its config key when the device cannot read it', async function () {
      const error = await createCollector(fixtureOptions('linux-vm'))
        .staticDocument()
        .then(
          () => expect.fail('expected a MissingStaticFieldError'),
          (thrown: unknown) => thrown as MissingStaticFieldError,
        );
      expect(error).to.be.instanceOf(MissingStaticFieldError);
      // The capture has no NIC and no machine-id: maker, model and revision are recorded as unknown instead
      // (test/agent/collect/machineIdentity.test.ts), but a MAC and a serial cannot be made up.
      expect(error.fields).to.deep.equal(['identity.macAddress', 'identity.serialNumber']);
      expect(error.message).to.match(
        /identity\.serialNumber: not found in \S+\/proc\/cpuinfo, \S+\/proc\/device-tree\/serial-number.*machine-id; set identity\.serialNumber in the agent config/,
      );
      expect(error.message).to.include('set identity.macAddress in the agent config');
    });

    it('builds the document of a machine without board data once the config supplies it', async function () {
      const document = await createCollector(fixtureOptions('linux-vm')).staticDocument({
        identity: {
          macAddress: '02:fc:00:00:00:01',
          serialNumber: 'VM-0001',
          manufacturer: 'Firecracker',
          hardwareModel: 'microVM',
          hardwareRevision: '1',
        },
      });
      expect(document.identity).to.deep.include({
        osName: 'Debian GNU/Linux',
        osVersion: '12 (bookworm)',
        memoryBytes: 24 * 1024 ** 3,
      });
      expect(document.hardware).to.deep.equal({
        architecture: 'armv7l',
        cpuModel: 'Intel(R) Xeon(R) Processor',
        cpuCores: 2,
      });
      expect(document.network.staticIp).to.equal(null);
    });
  });
});
