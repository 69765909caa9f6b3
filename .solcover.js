// solidity-coverage: measure the registry's contracts, not the test-only doubles. It instruments the in-process
// Hardhat network, so its tests run in one process (the suite's parallel workers, hardhat.config.ts, are off).
module.exports = {
  skipFiles: ['test/'],
  mocha: { parallel: false },
};
