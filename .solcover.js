// solidity-coverage: measure the registry's contracts, not the test-only doubles.
module.exports = {
  skipFiles: ['test/'],
};
