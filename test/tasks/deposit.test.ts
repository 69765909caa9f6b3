import { expect } from 'chai';
import hre from 'hardhat';
import type { HardhatEthersSigner } from '@nomicfoundation/hardhat-ethers/signers';
import type { Deployment } from '../../twin-core/src/deployment/deployment';
import type { TwinRegistry } from '../../typechain-types';
import { attest } from '../fixtures';
import { example, expectTaskError, useTaskEnvironment } from './taskHelpers';

const { ethers } = hre;

describe('Hardhat tasks: deposit and buy --from-balance', function () {
  const { logged } = useTaskEnvironment();
  const garden = example('pi4-garden');
  let twins: TwinRegistry;
  let manufacturer: HardhatEthersSigner;
  let alice: HardhatEthersSigner;

  before(async function () {
    const signers = await ethers.getSigners();
    [, , manufacturer, alice] = signers as HardhatEthersSigner[];
    const deployment = (await hre.run('deploy', {})) as Deployment;
    twins = await ethers.getContractAt('TwinRegistry', deployment.contracts.TwinRegistry);
    for (const [from, role] of [
      ['2', 'manufacturer'],
      ['3', 'owner'],
    ] as const) {
      const { account } = (await hre.run('register', { role, name: `entity ${from}`, from })) as { account: string };
      await hre.run('approve', { account });
    }
    await hre.run('register-brand', { brand: garden.document.identity.manufacturer, from: '2' });
    await hre.run('approve-brand', { account: manufacturer.address, brand: garden.document.identity.manufacturer });
    const attestation = await attest(twins, manufacturer, BigInt(garden.deviceId));
    await hre.run('mint', { static: garden.file, signer: signers[6]!.address, attestation, price: '1', from: '2' });
  });

  it('deposit: refuses a zero or malformed --amount', async function () {
    await expectTaskError(hre.run('deposit', { amount: '0', from: '3' }), '--amount must be above zero.');
    await expectTaskError(hre.run('deposit', { amount: 'lots', from: '3' }), '--amount must be an amount in ether');
  });

  it('deposit: credits the --from account’s balance', async function () {
    const result = (await hre.run('deposit', { amount: '0.4', from: '3' })) as { amount: bigint; balance: bigint };
    expect(result.amount).to.equal(ethers.parseEther('0.4'));
    expect(result.balance).to.equal(ethers.parseEther('0.4'));
    expect(await twins.proceedsOf(alice.address)).to.equal(ethers.parseEther('0.4'));
    expect(logged().at(-1)).to.include(`Deposited 0.4 ETH for ${alice.address}; balance 0.4 ETH`);
  });

  it('buy --from-balance: refuses a balance below the price, then buys once it covers it', async function () {
    await expectTaskError(
      hre.run('buy', { device: garden.deviceId, fromBalance: true, from: '3' }),
      `Balance of ${alice.address} is 0.4 ETH, below the price 1.0 ETH`,
    );
    await hre.run('deposit', { amount: '0.6', from: '3' });
    const before = await ethers.provider.getBalance(alice.address);
    const result = (await hre.run('buy', { device: garden.deviceId, fromBalance: true, from: '3' })) as {
      price: bigint;
      hash: string;
    };
    expect(result.price).to.equal(ethers.parseEther('1'));
    expect(await twins.ownerOf(garden.deviceId)).to.equal(alice.address);
    expect(await twins.proceedsOf(alice.address)).to.equal(0n);
    expect(await twins.proceedsOf(manufacturer.address)).to.equal(ethers.parseEther('1'));
    const receipt = (await ethers.provider.getTransactionReceipt(result.hash))!;
    const after = await ethers.provider.getBalance(alice.address);
    expect(before - after).to.equal(receipt.gasUsed * receipt.gasPrice);
    expect(logged().at(-1)).to.include('for 1.0 ETH from its balance');
  });
});
