import { task } from 'hardhat/config';

/** Set while `hardhat coverage` runs, for this process and every process it starts (scripts/ensureBuilt.js). */
export const COVERAGE_RUNNING_VARIABLE = 'TWIN_COVERAGE_RUNNING';

// solidity-coverage compiles instrumented contracts into artifacts/ and typechain-types/, on purpose: nothing may
// rebuild them while it runs, neither a task in its process nor a command a test starts.
task('coverage').setAction(async (args, _hre, runSuper) => {
  process.env[COVERAGE_RUNNING_VARIABLE] = '1';
  try {
    return await runSuper(args);
  } finally {
    delete process.env[COVERAGE_RUNNING_VARIABLE];
  }
});
