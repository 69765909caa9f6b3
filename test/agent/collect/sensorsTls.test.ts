import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import {
  readPlugin,
  readSensorResult,
  readSensors,
  readThermalZones,
  thermalReading,
} from '../../../agent/src/collect/sensors';
import { formatDistinguishedName, probeTlsServer, readTlsServers } from '../../../agent/src/collect/tls';
import { tlsServerSchema } from '../../../twin-core/src/messages/snapshot';
import { FIXTURES, fixtureOptions, fixturePaths } from './helpers';

/** Listens on an ephemeral loopback port and resolves the port. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('agent collect: sensors and TLS', function () {
  describe('sensors', function () {
    let directory: string;
    beforeEach(function () {
      directory = mkdtempSync(join(tmpdir(), 'collect-sensors-'));
    });
    afterEach(function () {
      rmSync(directory, { recursive: true, force: true });
    });

    it('reads thermal zones in °C (sysfs gives milli-degrees)', async function () {
      expect(await readThermalZones(fixturePaths('pi4'))).to.deep.equal([
        { name: 'cpu-thermal', value: 48.312, unit: '°C', source: 'thermal_zone0' },
      ]);
      expect(thermalReading('thermal_zone3', null, '-5250')).to.deep.equal({
        name: 'thermal_zone3',
        value: -5.25,
        unit: '°C',
        source: 'thermal_zone3',
      });
      expect(thermalReading('thermal_zone3', 'x', 'n/a')).to.equal(null);
      expect(await readThermalZones(fixturePaths('linux-vm'))).to.deep.equal([]);
    });

    it('reads a file plug-in: number × scale + offset', async function () {
      const file = join(directory, 'in_humidityrelative_raw');
      writeFileSync(file, '1234\n');
      const reading = await readPlugin({ name: 'soil-moisture', unit: '%', file, scale: 0.05, offset: -1.5 });
      expect(reading).to.include({ name: 'soil-moisture', unit: '%', source: 'plugin:soil-moisture' });
      expect(reading.value).to.be.closeTo(60.2, 1e-9);
    });

    it('reads a module plug-in through its exported read()', async function () {
      const module = join(directory, 'anemometer.js');
      writeFileSync(module, 'let calls = 0;\nexports.read = async () => { calls += 1; return 7.5 * calls; };\n');
      expect(await readPlugin({ name: 'wind', unit: 'm/s', module })).to.deep.equal({
        name: 'wind',
        value: 7.5,
        unit: 'm/s',
        source: 'plugin:wind',
      });
      const defaultExport = join(directory, 'rotation.js');
      writeFileSync(defaultExport, 'module.exports = { default: { read: () => 1480 } };\n');
      expect((await readPlugin({ name: 'rotation', unit: 'rpm', module: defaultExport })).value).to.equal(1480);
    });

    it('leaves out a broken or slow plug-in and keeps the other readings', async function () {
      const bad = join(directory, 'bad');
      writeFileSync(bad, 'not a number\n');
      const slow = join(directory, 'slow.js');
      writeFileSync(slow, 'exports.read = () => new Promise(() => {});\n');
      const started = Date.now();
      const result = await readSensorResult(
        fixtureOptions('pi4', {
          probeTimeoutMs: 250,
          sensorPlugins: [
            { name: 'bad', unit: '', file: bad, scale: 1, offset: 0 },
            { name: 'slow', unit: 'rpm', module: slow },
            { name: 'missing', unit: '', file: join(directory, 'nope'), scale: 1, offset: 0 },
          ],
        }),
      );
      expect(Date.now() - started).to.be.below(2000);
      expect(result.readings.map((reading) => reading.name)).to.deep.equal(['cpu-thermal']);
      expect(result.failures).to.deep.equal({
        bad: `${bad} holds no number: "not a number"`,
        slow: 'sensor plug-in slow timed out after 200 ms',
        missing: `${join(directory, 'nope')} does not exist`,
      });
    });

    it('is unavailable with the reasons when every configured sensor failed', async function () {
      const options = fixtureOptions('linux-vm', {
        sensorPlugins: [{ name: 'gone', unit: '', file: join(directory, 'gone'), scale: 1, offset: 0 }],
      });
      const error = await readSensors(options).then(
        () => expect.fail('expected a failure'),
        (thrown: Error) => thrown,
      );
      expect(error.message).to.equal(`no sensor could be read: gone: ${join(directory, 'gone')} does not exist`);
      expect(await readSensors(fixtureOptions('linux-vm'))).to.deep.equal([]);
    });
  });

  describe('TLS', function () {
    const key = readFileSync(join(FIXTURES, 'tls', 'server.key'));
    const cert = readFileSync(join(FIXTURES, 'tls', 'server.crt'));
    const servers: Server[] = [];
    afterEach(function () {
      for (const server of servers.splice(0)) server.close();
    });

    it('formats certificate names on one line', function () {
      expect(formatDistinguishedName({ C: 'GB', O: ['A', 'B'], CN: 'x' })).to.equal('C=GB, O=A, O=B, CN=x');
      expect(formatDistinguishedName(undefined)).to.equal('');
    });

    it('reports protocol, cipher and the certificate of a server, and that it is not trusted', async function () {
      const server = createTlsServer({ key, cert }, (socket) => socket.end());
      servers.push(server);
      const port = await listen(server);
      const report = await probeTlsServer({ host: '127.0.0.1', port, servername: 'twin-test.local' }, 2000);
      expect(tlsServerSchema.parse(report)).to.deep.equal(report);
      const x509 = new X509Certificate(cert);
      expect(report).to.deep.include({
        host: '127.0.0.1',
        port,
        peerAddress: '127.0.0.1',
        protocol: 'TLSv1.3',
        authorized: false,
      });
      expect(report.cipher?.name).to.match(/^TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)$/);
      expect(report.cipher?.version).to.equal('TLSv1.3');
      expect(report.certificate).to.deep.equal({
        subject: 'O=Twin Registry Tests, CN=twin-test.local',
        issuer: 'O=Twin Registry Tests, CN=twin-test.local',
        validFrom: x509.validFrom,
        validTo: x509.validTo,
        serialNumber: x509.serialNumber,
        fingerprint256: x509.fingerprint256,
        publicKeyBits: 256,
      });
      expect(report.error).to.equal('certificate not trusted: DEPTH_ZERO_SELF_SIGNED_CERT');
    });

    it('reports a refused connection and a silent server in the entry, not as a failed probe', async function () {
      const silent = createTcpServer(() => undefined);
      servers.push(silent);
      const silentPort = await listen(silent);
      const closed = createTcpServer();
      const closedPort = await listen(closed);
      await new Promise((resolve) => closed.close(resolve));
      const reports = await readTlsServers(
        fixtureOptions('pi4', {
          probeTimeoutMs: 250,
          tlsServers: [
            { host: '127.0.0.1', port: closedPort },
            { host: '127.0.0.1', port: silentPort },
          ],
        }),
      );
      expect(reports.map((report) => report.port)).to.deep.equal([closedPort, silentPort]);
      expect(reports[0]).to.deep.include({ protocol: null, cipher: null, certificate: null, authorized: false });
      expect(reports[0]!.error).to.match(/ECONNREFUSED/);
      expect(reports[1]!.error).to.equal('TLS handshake timed out after 200 ms');
    });
  });
});
