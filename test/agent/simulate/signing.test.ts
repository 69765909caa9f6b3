import { expect } from 'chai';
import { ethers } from 'ethers';
import type { SimulatedMessage, Simulation } from '../../../agent/src/simulate/createSimulation';
import { signSimulated, signSimulatedStatic } from '../../../agent/src/simulate/sign';
import { DEVICE_MESSAGE_SCHEMAS } from '../../../twin-core/src/messages/envelope';
import { hashDeviceMessage, recoverMessageSigner } from '../../../twin-core/src/signing/messageSignature';
import { simulate, START_MS } from './helpers';

describe('Simulator: signed messages', function () {
  let simulation: Simulation;
  let messages: SimulatedMessage[];
  before(() => ({ simulation, messages } = simulate({ devices: 4, scenario: 'connection-flood' }, 45, 15)));

  it('signSimulated builds { v: 1, kind, deviceId, seq, ts, body } signed by the device key, verifiable with ethers', function () {
    const kinds = new Set<string>();
    const seq = [10, 20, 30, 40];
    for (const message of messages) {
      const device = simulation.devices[message.deviceIndex]!;
      const signed = signSimulated(device, message, seq[message.deviceIndex]!++);
      kinds.add(signed.kind);
      expect(Object.keys(signed).sort()).to.deep.equal(['body', 'deviceId', 'kind', 'seq', 'sig', 'ts', 'v']);
      expect(signed.v).to.equal(1);
      expect(signed.kind).to.equal(message.kind);
      expect(signed.deviceId).to.equal(device.deviceId);
      expect(signed.ts).to.equal(new Date(message.atMs).toISOString());
      expect(signed.body).to.equal(message.body);
      DEVICE_MESSAGE_SCHEMAS[signed.kind].parse(signed);
      expect(ethers.verifyMessage(ethers.getBytes(hashDeviceMessage(signed)), signed.sig)).to.equal(device.address);
      expect(recoverMessageSigner(signed)).to.equal(device.address);
    }
    expect(kinds).to.deep.equal(new Set(['telemetry', 'snapshot']));
  });

  it('the signature covers the whole envelope: a changed body, seq or ts no longer verifies', function () {
    const message = messages.find((candidate) => candidate.kind === 'telemetry')!;
    const device = simulation.devices[message.deviceIndex]!;
    const signed = signSimulated(device, message, 5, '2026-01-01T00:00:09.000Z');
    expect(signed.ts).to.equal('2026-01-01T00:00:09.000Z');
    const body = structuredClone(signed.body) as typeof signed.body & { cpuPercent: number };
    body.cpuPercent += 1;
    const tamperedMessages = [
      { ...signed, body },
      { ...signed, seq: 6 },
      { ...signed, ts: '2026-01-01T00:00:10.000Z' },
    ] as Array<typeof signed>;
    for (const tampered of tamperedMessages) {
      expect(ethers.verifyMessage(ethers.getBytes(hashDeviceMessage(tampered)), tampered.sig)).not.to.equal(
        device.address,
      );
    }
  });

  it('signSimulatedStatic signs the static document on the static topic', function () {
    const device = simulation.devices[2]!;
    const signed = signSimulatedStatic(device, 0, new Date(START_MS).toISOString());
    DEVICE_MESSAGE_SCHEMAS.static.parse(signed);
    expect(signed.body).to.deep.equal(device.staticDocument);
    expect(ethers.verifyMessage(ethers.getBytes(hashDeviceMessage(signed)), signed.sig)).to.equal(device.address);
    // The simulated key is an ordinary secp256k1 key: ethers derives the same address from it.
    expect(new ethers.Wallet(device.privateKey).address).to.equal(device.address);
  });
});
