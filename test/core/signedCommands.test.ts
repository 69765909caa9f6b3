import { expect } from 'chai';
import { ethers } from 'ethers';
import { canonicalJson } from '../../twin-core/src/encoding/canonicalJson';
import type { UnsignedCommand } from '../../twin-core/src/messages/command';
import { commandArgumentIssues } from '../../twin-core/src/messages/command';
import { generatePrivateKey } from '../../twin-core/src/signing/deviceKey';
import { reportedFromStatus, stateDelta } from '../../twin-core/src/messages/stateRules';
import {
  commandTypedData,
  hashCommand,
  recoverCommandSigner,
  signCommand,
} from '../../twin-core/src/signing/commandSignature';

describe('Signed commands (EIP-712)', function () {
  const domain = { chainId: 31337, registry: '0x5FbDB2315678afecb367f032d93F642f64180aa3' };
  const command: UnsignedCommand = {
    v: 1,
    kind: 'command',
    deviceId: `0x${'ab'.repeat(32)}`,
    command: 'light',
    args: { brightness: 75, action: 'turn_on' },
    nonce: '18446744073709551615',
    expiry: 1_900_000_000,
  };

  it("hashes and signs exactly as ethers' signTypedData (what a wallet signs)", async function () {
    const wallet = new ethers.Wallet(generatePrivateKey());
    const { domain: typedDomain, types, message } = commandTypedData(command, domain);
    expect(message.arguments).to.equal(canonicalJson(command.args));
    expect(hashCommand(command, domain)).to.equal(
      ethers.TypedDataEncoder.hash(typedDomain, { Command: [...types.Command] }, message),
    );
    const fromWallet = await wallet.signTypedData(typedDomain, { Command: [...types.Command] }, message);
    expect(signCommand(command, wallet.privateKey as `0x${string}`, domain).sig).to.equal(fromWallet);
    expect(recoverCommandSigner({ ...command, sig: fromWallet as `0x${string}` }, domain)).to.equal(wallet.address);
  });

  it('recovers another address when anything signed changes, and none from a malformed or high-s signature', function () {
    const key = generatePrivateKey();
    const signed = signCommand(command, key, domain);
    const owner = recoverCommandSigner(signed, domain);
    expect(recoverCommandSigner({ ...signed, args: { action: 'turn_on', brightness: 76 } }, domain)).to.not.equal(
      owner,
    );
    expect(recoverCommandSigner({ ...signed, expiry: signed.expiry + 1 }, domain)).to.not.equal(owner);
    expect(recoverCommandSigner(signed, { ...domain, chainId: 1 })).to.not.equal(owner);
    expect(recoverCommandSigner({ ...signed, sig: `0x${'00'.repeat(65)}` }, domain)).to.equal(undefined);
    const s = BigInt(`0x${signed.sig.slice(66, 130)}`);
    const highS = (ethers.N - s).toString(16).padStart(64, '0');
    const flipped = signed.sig.slice(130) === '1b' ? '1c' : '1b';
    expect(
      recoverCommandSigner({ ...signed, sig: `${signed.sig.slice(0, 66)}${highS}${flipped}` as `0x${string}` }, domain),
    ).to.equal(undefined);
  });

  it("validates arguments against the device's capabilities, naming the bad field", function () {
    const capabilities = {
      commands: ['ping' as const, 'set-intervals' as const],
      actuators: [{ name: 'light', type: 'light' as const, driver: 'memory', state: { on: false, level: 0 } }],
    };
    expect(commandArgumentIssues('light', { action: 'turn_on', brightness: 75 }, capabilities)).to.deep.equal([]);
    expect(commandArgumentIssues('light', { action: 'turn_on', brightness: 101 }, capabilities)[0]).to.match(
      /^args\.brightness/,
    );
    expect(commandArgumentIssues('fan', { action: 'turn_on' }, capabilities)[0]).to.match(/no actuator "fan"/);
    expect(commandArgumentIssues('set-intervals', { telemetrySeconds: 0.1 }, capabilities)[0]).to.match(
      /^args\.telemetrySeconds/,
    );
    expect(commandArgumentIssues('collect-snapshot', {}, capabilities)[0]).to.match(/does not declare/);
    expect(commandArgumentIssues('ping', { extra: 1 }, undefined)[0]).to.match(/extra/);
  });

  it('checks desired configuration (probes, sensor sampling) against what the device declares, and diffs it with the status', function () {
    const capabilities = {
      commands: ['apply-state' as const, 'set-intervals' as const],
      actuators: [],
      probes: ['usb' as const, 'processes' as const],
      sensorSampling: true,
    };
    const check = (desired: object, declared: object = capabilities) =>
      commandArgumentIssues('apply-state', { desired, version: 1 }, declared as typeof capabilities);
    expect(check({ probes: { usb: false }, intervals: { sensorSeconds: 60 } })).to.deep.equal([]);
    expect(check({ probes: { pci: false } })[0]).to.match(
      /^args\.desired\.probes\.pci: the device cannot switch this probe \(it can: usb, processes\)/,
    );
    expect(check({ probes: { gopher: false } })[0]).to.match(/^args\.desired\.probes: .*gopher/);
    expect(check({ intervals: { sensorSeconds: 0.1 } })[0]).to.match(/^args\.desired\.intervals\.sensorSeconds/);
    expect(check({ intervals: { sensorSeconds: 60 } }, { ...capabilities, sensorSampling: undefined })[0]).to.match(
      /^args\.desired\.intervals\.sensorSeconds: the device does not declare sensor sampling/,
    );
    const status = {
      state: 'online' as const,
      agentVersion: '0.1.0',
      willSeq: 1,
      intervals: { snapshotSeconds: 30, telemetrySeconds: 1, sensorSeconds: 60 },
      probes: { usb: true, processes: false },
    };
    const desired = { intervals: { sensorSeconds: 60 }, probes: { usb: false, processes: false } };
    expect(stateDelta(desired, reportedFromStatus(status))).to.deep.equal({ probes: { usb: false } });
    expect(
      stateDelta(desired, reportedFromStatus({ ...status, probes: { usb: false, processes: false } })),
    ).to.deep.equal({});
  });
});
