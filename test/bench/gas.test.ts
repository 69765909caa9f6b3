import { expect } from 'chai';
import { ethers } from 'hardhat';
import { parseGasBenchArguments } from '../../bench/gas/cli';
import { formatGasTable } from '../../bench/gas/formatGasTable';
import { ANCHORING_BATCH_SIZES, runGasBench, type GasBenchResult } from '../../bench/gas/runGasBench';
import { GAS_TARGETS } from '../../bench/gas/targets';

/** Every action the benchmark measures, with the target issue 7 sets for it. */
const EXPECTED_ACTIONS: [string, number | undefined][] = [
  ['register', undefined],
  ['approve', undefined],
  ['registerBrand', undefined],
  ['approveBrand', undefined],
  ["mint (manufacturer's first twin)", GAS_TARGETS.mint],
  ['mint (unlisted)', GAS_TARGETS.mint],
  ['mint (listed)', GAS_TARGETS.mint],
  ['list', undefined],
  ['delist', undefined],
  ['buy', GAS_TARGETS.buy],
  ['deposit', undefined],
  ['buyWithBalance', GAS_TARGETS.buy],
  ['transfer (safeTransferFrom)', undefined],
  ['withdraw', undefined],
  ['recordUpdate', GAS_TARGETS.recordUpdate],
  ['setState (suspend)', GAS_TARGETS.setState],
  ['approveDeviceSigner', undefined],
  ['setDeviceSigner (approved, Suspended)', undefined],
  ['requestReview', undefined],
  ['setState (reactivate)', GAS_TARGETS.setState],
  ['setDeviceSigner', undefined],
  ['reportLost', undefined],
  ['reportFound', undefined],
  ['deactivate', undefined],
  ['dispute', undefined],
  ['anchor (one batch)', GAS_TARGETS.anchorBatch],
];

function expectPositiveInteger(value: unknown, what: string) {
  expect(Number.isInteger(value), `${what} is an integer (${String(value)})`).to.equal(true);
  expect(value as number, what).to.be.greaterThan(0);
}

// A benchmark: the figures are checked for shape and sense, never against the targets.
describe('gas benchmark (bench/gas)', function () {
  let result: GasBenchResult;
  let blockBefore: number;

  before(async function () {
    blockBefore = await ethers.provider.getBlockNumber();
    result = await runGasBench({ quick: true });
  });

  it('measures every user action from its receipt, with its target where issue 7 sets one', function () {
    expect(result.actions.map((action) => action.name)).to.deep.equal(EXPECTED_ACTIONS.map(([name]) => name));
    for (const [index, action] of result.actions.entries()) {
      expectPositiveInteger(action.gasUsed, `${action.name} gas`);
      expect(action.gasUsed, `${action.name} costs at least a transaction`).to.be.at.least(21_000);
      const target = EXPECTED_ACTIONS[index]![1];
      if (target === undefined) {
        expect(action).to.not.have.any.keys('target', 'met');
      } else {
        expect(action.target).to.equal(target);
        expect(action.met).to.equal(action.gasUsed <= target);
      }
    }
  });

  it('measures batched anchoring at every batch size, per batch and per snapshot', function () {
    expect(result.anchoring.map((figure) => figure.batchSize)).to.deep.equal([...ANCHORING_BATCH_SIZES]);
    for (const figure of result.anchoring) {
      expectPositiveInteger(figure.gasPerBatch, `gas per batch of ${figure.batchSize}`);
      expectPositiveInteger(figure.gasPerSnapshot, `gas per snapshot at ${figure.batchSize}`);
      expect(figure.gasPerSnapshot).to.equal(Math.ceil(figure.gasPerBatch / figure.batchSize));
    }
    const at1024 = result.anchoring.find((figure) => figure.batchSize === 1024)!;
    expect(at1024.target).to.equal(GAS_TARGETS.anchorPerSnapshotAt1024);
    expect(at1024.met).to.equal(at1024.gasPerSnapshot <= GAS_TARGETS.anchorPerSnapshotAt1024);
    expect(result.anchoring.filter((figure) => figure.target !== undefined)).to.have.length(1);
  });

  it('measures the naive baseline in the same run and the ratio to batching at 1,024', function () {
    expectPositiveInteger(result.naive.gasPerSnapshot, 'naive gas per snapshot');
    expectPositiveInteger(result.naive.anchors, 'naive anchors');
    expectPositiveInteger(result.naive.totalGas, 'naive total gas');
    expect(result.ratioAt1024).to.be.a('number').and.greaterThan(1);
    expect(result.ratioTarget).to.equal(GAS_TARGETS.ratioAt1024);
    expect(result.ratioMet).to.equal(result.ratioAt1024 >= GAS_TARGETS.ratioAt1024);
  });

  it('leaves the chain as it found it', async function () {
    expect(await ethers.provider.getBlockNumber()).to.equal(blockBefore);
  });

  it('prints every figure in its tables', function () {
    const text = formatGasTable(result);
    for (const action of result.actions) expect(text).to.include(action.name);
    expect(text).to.include('1,024');
    expect(text).to.include(`${result.ratioAt1024}x`);
  });
});

describe('gas benchmark CLI arguments', function () {
  it('defaults to a full run written to bench/results/gas.json', function () {
    expect(parseGasBenchArguments([])).to.deep.equal({ quick: false, out: 'bench/results/gas.json' });
    expect(parseGasBenchArguments(['--quick', '--out', '/tmp/gas.json'])).to.deep.equal({
      quick: true,
      out: '/tmp/gas.json',
    });
  });

  it('refuses an unknown option and --out without a path', function () {
    expect(() => parseGasBenchArguments(['--fast'])).to.throw(/unknown option --fast/);
    expect(() => parseGasBenchArguments(['--out'])).to.throw(/--out needs a path/);
  });
});
