import { expect } from 'chai';
import { createSimulation } from '../../../agent/src/simulate/createSimulation';
import { createVirtualDevice, deriveSimulatedKey } from '../../../agent/src/simulate/device';
import { computeDeviceId, formatDeviceId } from '../../../twin-core/src/identity/deviceId';
import { privateKeyToAddress } from '../../../twin-core/src/signing/deviceKey';
import { options, runFor, START_MS } from './helpers';

const json = (value: unknown) => JSON.stringify(value);

describe('Simulator: determinism', function () {
  it('the same seed and step times give byte-identical bodies', function () {
    const first = runFor(
      createSimulation(options({ devices: 15, scenario: 'mixed', episodes: { deviceFraction: 0.4 } })),
      400,
      5,
    );
    const second = runFor(
      createSimulation(options({ devices: 15, scenario: 'mixed', episodes: { deviceFraction: 0.4 } })),
      400,
      5,
    );
    expect(first.length).to.be.above(6_000);
    expect(first.some((message) => message.label.anomalous)).to.equal(true);
    expect(json(second)).to.equal(json(first));
  });

  it('the bodies do not depend on how the clock is stepped', function () {
    const fine = runFor(createSimulation(options({ devices: 6, scenario: 'beaconing' })), 300, 0.25);
    const coarse = runFor(createSimulation(options({ devices: 6, scenario: 'beaconing' })), 300, 60);
    const once = createSimulation(options({ devices: 6, scenario: 'beaconing' })).step(START_MS + 300_000);
    expect(json(coarse)).to.equal(json(fine));
    expect(json(once)).to.equal(json(fine));
  });

  it('a different seed gives different devices and data', function () {
    const a = runFor(createSimulation(options({ devices: 4, seed: 1 })), 60, 10);
    const b = runFor(createSimulation(options({ devices: 4, seed: 2 })), 60, 10);
    expect(a.length).to.equal(b.length);
    for (let index = 0; index < a.length; index++) expect(json(a[index]!.body)).not.to.equal(json(b[index]!.body));
    const deviceA = createVirtualDevice(1, 0);
    const deviceB = createVirtualDevice(2, 0);
    expect(deviceA.deviceId).not.to.equal(deviceB.deviceId);
    expect(deviceA.privateKey).not.to.equal(deviceB.privateKey);
    expect(deviceA.identity.macAddress).not.to.equal(deviceB.identity.macAddress);
  });

  it('never reads the wall clock or Math.random while stepping', function () {
    const simulation = createSimulation(options({ devices: 5, scenario: 'connection-flood' }));
    const { now } = Date;
    const { random } = Math;
    Date.now = () => {
      throw new Error('Date.now() called');
    };
    Math.random = () => {
      throw new Error('Math.random() called');
    };
    try {
      expect(simulation.step(START_MS + 400_000).length).to.be.above(2_000);
    } finally {
      Date.now = now;
      Math.random = random;
    }
  });

  it('refuses a step back in time and bad options', function () {
    const simulation = createSimulation(options({ devices: 1 }));
    simulation.step(START_MS + 5_000);
    expect(() => simulation.step(START_MS + 4_000)).to.throw(RangeError, 'went back');
    expect(simulation.step(START_MS + 5_000)).to.deep.equal([]);
    expect(() => createSimulation(options({ devices: 0 }))).to.throw(RangeError, 'devices');
    expect(() => createSimulation(options({ ratePerSecond: 0 }))).to.throw(RangeError, 'ratePerSecond');
    expect(() => createSimulation(options({ snapshotIntervalSeconds: Number.NaN }))).to.throw(
      RangeError,
      'snapshotIntervalSeconds',
    );
  });

  it('emits telemetry at the rate and snapshots at the interval, staggered across devices', function () {
    const simulation = createSimulation(options({ devices: 50, ratePerSecond: 2, snapshotIntervalSeconds: 10 }));
    const messages = runFor(simulation, 100, 1);
    for (let device = 0; device < 50; device++) {
      const own = messages.filter((message) => message.deviceIndex === device);
      const telemetry = own.filter((message) => message.kind === 'telemetry').map((message) => message.atMs);
      const snapshots = own.filter((message) => message.kind === 'snapshot').map((message) => message.atMs);
      expect(telemetry.length).to.be.within(200, 201);
      expect(snapshots.length).to.be.within(10, 11);
      const gaps = (times: number[]) => times.slice(1).map((time, index) => time - times[index]!);
      expect([Math.min(...gaps(telemetry)), Math.max(...gaps(telemetry))]).to.satisfy(
        ([low, high]: number[]) => low! >= 499 && high! <= 501,
      );
      expect([Math.min(...gaps(snapshots)), Math.max(...gaps(snapshots))]).to.satisfy(
        ([low, high]: number[]) => low! >= 9_999 && high! <= 10_001,
      );
    }
    // Staggered: the first snapshots of the 50 devices spread over the interval, not all at the start.
    const firstSnapshots = new Set(
      messages
        .filter((message) => message.kind === 'snapshot' && message.atMs < START_MS + 10_000)
        .map((message) => Math.floor((message.atMs - START_MS) / 1000)),
    );
    expect(firstSnapshots.size).to.equal(10);
    // In time order across devices.
    expect(messages.findIndex((message, index) => index > 0 && message.atMs < messages[index - 1]!.atMs)).to.equal(-1);
  });

  it('virtual devices: the same seed and index give the same identity, key, DeviceID and address', function () {
    const device = createVirtualDevice('lab', 17);
    expect(json(createVirtualDevice('lab', 17))).to.equal(json(device));
    expect(device.privateKey).to.equal(deriveSimulatedKey('lab', 17));
    expect(device.address).to.equal(privateKeyToAddress(device.privateKey));
    expect(device.deviceId).to.equal(formatDeviceId(computeDeviceId(device.staticDocument.identity)));
    expect(device.deviceId).to.match(/^0x[0-9a-f]{64}$/);
    // Locally administered, unicast MAC.
    const firstOctet = Number.parseInt(device.identity.macAddress.slice(0, 2), 16);
    expect(firstOctet & 0b11).to.equal(0b10);
    expect(() => createVirtualDevice('lab', -1)).to.throw(RangeError);
  });

  it('virtual devices are distinct and drawn from several boards, OS images and roles', function () {
    const devices = Array.from({ length: 300 }, (_, index) => createVirtualDevice(9, index));
    for (const key of ['deviceId', 'address', 'privateKey', 'hostname'] as const) {
      expect(new Set(devices.map((device) => device[key])).size, key).to.equal(300);
    }
    expect(new Set(devices.map((device) => device.identity.macAddress)).size).to.equal(300);
    expect(new Set(devices.map((device) => device.identity.hardwareModel)).size).to.be.at.least(5);
    expect(new Set(devices.map((device) => device.identity.osVersion)).size).to.be.at.least(3);
    expect(new Set(devices.map((device) => device.profile.role.name))).to.deep.equal(
      new Set(['weather', 'soil', 'environment', 'gateway']),
    );
    const sensorNames = new Set(devices.flatMap((device) => device.profile.role.sensors.map((sensor) => sensor.name)));
    expect(sensorNames).to.include('wind_speed').and.to.include('soil_moisture');
  });
});
