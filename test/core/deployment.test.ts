import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  CONTRACT_NAMES,
  deploymentPath,
  DeploymentError,
  readDeployment,
  writeDeployment,
  type Deployment,
} from '../../twin-core/src/deployment/deployment';

/** A valid deployment record. */
function sampleDeployment(): Deployment {
  return {
    network: 'localhost',
    chainId: 31337,
    deploymentBlock: 1,
    deployedAt: '2026-11-01T08:00:00.000Z',
    deployer: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    contracts: {
      TwinForwarder: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      EntityRegistry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
      TwinRegistry: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
      SnapshotAnchor: '0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9',
    },
  };
}

/** Runs `action` and returns the DeploymentError it threw; fails the test otherwise. */
function deploymentErrorOf(action: () => unknown): DeploymentError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(DeploymentError);
    expect((error as Error).name).to.equal('DeploymentError');
    return error as DeploymentError;
  }
  expect.fail('expected a DeploymentError');
}

describe('Deployment file', function () {
  let directory: string;

  beforeEach(function () {
    directory = mkdtempSync(join(tmpdir(), 'twin-deployments-'));
  });

  afterEach(function () {
    rmSync(directory, { recursive: true, force: true });
  });

  describe('when written then read', function () {
    it('round-trips the deployment', function () {
      const file = join(directory, 'localhost.json');
      writeDeployment(file, sampleDeployment());
      expect(readDeployment(file)).to.deep.equal(sampleDeployment());
    });

    it('creates missing directories and leaves no temporary file behind', function () {
      const file = join(directory, 'nested', 'deeper', 'sepolia.json');
      writeDeployment(file, { ...sampleDeployment(), network: 'sepolia', chainId: 11155111 });
      expect(readDeployment(file).chainId).to.equal(11155111);
      expect(readdirSync(join(directory, 'nested', 'deeper'))).to.deep.equal(['sepolia.json']);
    });

    it('writes pretty JSON ending in a newline', function () {
      const file = join(directory, 'localhost.json');
      writeDeployment(file, sampleDeployment());
      const text = readFileSync(file, 'utf8');
      expect(text).to.equal(`${JSON.stringify(sampleDeployment(), null, 2)}\n`);
    });

    it('overwrites an earlier deployment', function () {
      const file = join(directory, 'localhost.json');
      writeDeployment(file, sampleDeployment());
      writeDeployment(file, { ...sampleDeployment(), deploymentBlock: 99 });
      expect(readDeployment(file).deploymentBlock).to.equal(99);
    });

    it('names every contract in CONTRACT_NAMES', function () {
      expect(Object.keys(sampleDeployment().contracts).sort()).to.deep.equal([...CONTRACT_NAMES].sort());
    });
  });

  describe('when writing an invalid deployment', function () {
    it('throws and writes nothing', function () {
      const file = join(directory, 'localhost.json');
      expect(() => writeDeployment(file, { ...sampleDeployment(), deployer: '0x1234' })).to.throw();
      expect(existsSync(file)).to.equal(false);
    });
  });

  describe('when reading', function () {
    describe('when the file is missing', function () {
      it('throws a DeploymentError that names the file and says to deploy first', function () {
        const file = join(directory, 'missing.json');
        const error = deploymentErrorOf(() => readDeployment(file));
        expect(error.shortMessage).to.equal('No deployment found.');
        expect(error.message).to.include(file).and.to.include('npx hardhat deploy');
        expect((error.cause as NodeJS.ErrnoException).code).to.equal('ENOENT');
      });
    });

    describe('when the file is not JSON', function () {
      it('throws a DeploymentError that names the file', function () {
        const file = join(directory, 'broken.json');
        writeFileSync(file, '{"network": "localhost",');
        const error = deploymentErrorOf(() => readDeployment(file));
        expect(error.shortMessage).to.equal('Deployment file is not JSON.');
        expect(error.message).to.include(file);
        expect(error.cause).to.be.instanceOf(SyntaxError);
      });
    });

    describe('when an address is bad', function () {
      it('throws a DeploymentError naming the field', function () {
        const file = join(directory, 'localhost.json');
        const deployment = sampleDeployment();
        writeFileSync(file, JSON.stringify({ ...deployment, contracts: { ...deployment.contracts, TwinRegistry: '0xnot-an-address' } }));
        const error = deploymentErrorOf(() => readDeployment(file));
        expect(error.shortMessage).to.equal(`Invalid deployment file ${file}.`);
        expect(error.message).to.match(/^contracts\.TwinRegistry: must be a 0x-prefixed 20-byte address$/m);
      });

      it('names every bad field at once', function () {
        const file = join(directory, 'localhost.json');
        const { contracts, ...rest } = sampleDeployment();
        const { SnapshotAnchor: _missing, ...fewer } = contracts;
        writeFileSync(file, JSON.stringify({ ...rest, deployer: 'me', chainId: 0, contracts: fewer }));
        const error = deploymentErrorOf(() => readDeployment(file));
        expect(error.metaMessages).to.have.lengthOf(3);
        expect(error.message).to.match(/^deployer: /m).and.to.match(/^chainId: /m).and.to.match(/^contracts\.SnapshotAnchor: /m);
      });
    });
  });

  describe('when locating a network deployment file', function () {
    let saved: string | undefined;

    beforeEach(function () {
      saved = process.env.DEPLOYMENTS_DIR;
    });

    afterEach(function () {
      if (saved === undefined) delete process.env.DEPLOYMENTS_DIR;
      else process.env.DEPLOYMENTS_DIR = saved;
    });

    describe('when DEPLOYMENTS_DIR is set', function () {
      it('puts the file there', function () {
        process.env.DEPLOYMENTS_DIR = directory;
        expect(deploymentPath('sepolia')).to.equal(join(directory, 'sepolia.json'));
      });

      it('yields to an explicit directory', function () {
        process.env.DEPLOYMENTS_DIR = directory;
        expect(deploymentPath('sepolia', '/srv/deployments')).to.equal(join('/srv/deployments', 'sepolia.json'));
      });

      it('is where writeDeployment and readDeployment meet', function () {
        process.env.DEPLOYMENTS_DIR = directory;
        writeDeployment(deploymentPath('localhost'), sampleDeployment());
        expect(existsSync(join(directory, 'localhost.json'))).to.equal(true);
        expect(readDeployment(deploymentPath('localhost'))).to.deep.equal(sampleDeployment());
      });
    });

    describe('when DEPLOYMENTS_DIR is unset or empty', function () {
      it('uses deployments/', function () {
        delete process.env.DEPLOYMENTS_DIR;
        expect(deploymentPath('localhost')).to.equal(join('deployments', 'localhost.json'));
        process.env.DEPLOYMENTS_DIR = '';
        expect(deploymentPath('localhost')).to.equal(join('deployments', 'localhost.json'));
      });
    });
  });
});
