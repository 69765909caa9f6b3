import { expect } from 'chai';
import hre from 'hardhat';
import { Interface } from 'ethers';
import {
  MIRRORED_EVENTS,
  mirroredInterface,
  mirroredTopics,
  type MirroredContract,
} from '../../../oracle/src/chain/abi';

describe('oracle chain mirror: event ABI', function () {
  for (const contract of Object.keys(MIRRORED_EVENTS) as MirroredContract[]) {
    it(`every ${contract} event the mirror decodes is in the compiled ABI, same signature and indexing`, async function () {
      const compiled = new Interface((await hre.artifacts.readArtifact(contract)).abi);
      const ours = mirroredInterface(contract);
      let checked = 0;
      ours.forEachEvent((event) => {
        const theirs = compiled.getEvent(event.topicHash);
        expect(theirs, event.format('full')).to.not.equal(null);
        expect(theirs!.format('full')).to.equal(event.format('full'));
        checked += 1;
      });
      expect(checked).to.equal(MIRRORED_EVENTS[contract].length);
    });
  }

  it('mirrors every event the contracts emit about twins, entities, brands or batches (none forgotten)', async function () {
    // What the mirror leaves out on purpose: ERC-721 approvals, money movements, roles and the EIP-712 domain.
    const ignored = new Set([
      'Approval',
      'ApprovalForAll',
      'Deposited',
      'ProceedsWithdrawn',
      'RoleAdminChanged',
      'RoleGranted',
      'RoleRevoked',
      'EIP712DomainChanged',
    ]);
    for (const contract of Object.keys(MIRRORED_EVENTS) as MirroredContract[]) {
      const mirrored = new Set<string>();
      mirroredInterface(contract).forEachEvent((event) => mirrored.add(event.name));
      const compiled = new Interface((await hre.artifacts.readArtifact(contract)).abi);
      compiled.forEachEvent((event) => {
        if (!ignored.has(event.name)) expect(mirrored, `${contract}.${event.name}`).to.include(event.name);
      });
    }
  });

  it('filters on the mirrored events only: not approvals or withdrawals', async function () {
    const topics = mirroredTopics();
    expect(new Set(topics).size).to.equal(Object.values(MIRRORED_EVENTS).flat().length);
    const twins = new Interface((await hre.artifacts.readArtifact('TwinRegistry')).abi);
    expect(topics).to.include(twins.getEvent('TwinStateChanged')!.topicHash);
    for (const name of ['Approval', 'ApprovalForAll', 'ProceedsWithdrawn']) {
      expect(topics, name).to.not.include(twins.getEvent(name)!.topicHash);
    }
  });
});
