import hre from 'hardhat';

/**
 * Skips the current `describe` under solidity-coverage, saying why: the tests that run the system as child processes
 * (`npm start`, `npm run bench`, a fresh clone) measure processes, not contract coverage, and the children would
 * deploy the instrumented artifacts, which exceed the contract size limit. Call it first in a `before` hook.
 *
 * @example
 * before(function () { skipUnderCoverage(this, 'npm start end to end') })
 */
export function skipUnderCoverage(context: Mocha.Context, what: string): void {
  if (!(hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING) return;
  console.log(`    skipped: ${what} does not run under solidity-coverage (instrumented artifacts, child processes)`);
  context.skip();
}
