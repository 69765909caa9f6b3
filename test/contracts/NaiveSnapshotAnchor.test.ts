import { loadFixture } from '@nomicfoundation/hardhat-toolbox/network-helpers';
import { expect } from 'chai';
import { ethers } from 'hardhat';
import { registryFixture } from '../fixtures';

/** The registry with the benchmark's naive per-snapshot anchor deployed beside it. */
async function naiveFixture() {
  const fixture = await registryFixture();
  const naive = await ethers.deployContract('NaiveSnapshotAnchor', [
    await fixture.entities.getAddress(),
    await fixture.forwarder.getAddress(),
  ]);
  return { ...fixture, naive };
}

const DEVICE = BigInt(ethers.id('device'));
const HASH = ethers.id('snapshot 7');

describe('NaiveSnapshotAnchor (benchmark baseline)', function () {
  it('stores each snapshot hash under (DeviceID, sequence) and emits SnapshotAnchored', async function () {
    const { naive, oracle } = await loadFixture(naiveFixture);
    await expect(naive.connect(oracle).anchor(DEVICE, 7n, HASH))
      .to.emit(naive, 'SnapshotAnchored')
      .withArgs(DEVICE, 7n, oracle.address, HASH);
    expect(await naive.snapshotHashOf(DEVICE, 7n)).to.equal(HASH);
    expect(await naive.snapshotHashOf(DEVICE, 8n)).to.equal(ethers.ZeroHash);
  });

  it('reverts for a caller without the oracle role, a zero hash and a snapshot anchored before', async function () {
    const { naive, oracle, admin } = await loadFixture(naiveFixture);
    await expect(naive.connect(admin).anchor(DEVICE, 7n, HASH))
      .to.be.revertedWithCustomError(naive, 'NaiveSnapshotAnchorUnauthorizedOracle')
      .withArgs(admin.address);
    await expect(naive.connect(oracle).anchor(DEVICE, 7n, ethers.ZeroHash))
      .to.be.revertedWithCustomError(naive, 'NaiveSnapshotAnchorEmptySnapshot')
      .withArgs(DEVICE, 7n);
    await naive.connect(oracle).anchor(DEVICE, 7n, HASH);
    await expect(naive.connect(oracle).anchor(DEVICE, 7n, ethers.id('other')))
      .to.be.revertedWithCustomError(naive, 'NaiveSnapshotAnchorDuplicateSnapshot')
      .withArgs(DEVICE, 7n, HASH);
  });
});
