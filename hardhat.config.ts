import { assertNodeVersion } from './twin-core/src/runtime/assertNodeVersion';
assertNodeVersion(22, 'The twin registry');

import '@nomicfoundation/hardhat-toolbox';
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from 'hardhat/builtin-tasks/task-names';
import { subtask, type HardhatUserConfig } from 'hardhat/config';
import type { NetworksUserConfig } from 'hardhat/types';
import { join } from 'node:path';
import { loadChainConfig, type ChainConfig } from './twin-core/src/config/chainConfig';
import { taskError } from './tasks/lib/cli';
import { printErrorsWithoutStackTraces } from './tasks/lib/oneLineErrors';
import './tasks';

printErrorsWithoutStackTraces(process.argv, process.env);

/** The one Solidity compiler: the `solc` npm package (soljson.js), so compiling never downloads anything. */
const SOLC_VERSION = '0.8.30';

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }) => {
  const solc = require('solc') as { version(): string };
  const longVersion = solc.version().replace(/\.Emscripten\.clang$/, '');
  if (args.solcVersion !== SOLC_VERSION || !longVersion.startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(
      `Only solc ${SOLC_VERSION} is installed (npm package solc@${longVersion}); asked for ${args.solcVersion}.`,
    );
  }
  return { compilerPath: require.resolve('solc/soljson.js'), isSolcJs: true, version: SOLC_VERSION, longVersion };
});

/**
 * The test files are `*.test.ts` under `test/` (or the files named on the command line). Hardhat would take every
 * `.ts` there, so the helpers and the child processes tests spawn (e.g. `captureChild.ts`) would be run as tests too.
 */
subtask(TASK_TEST_GET_TEST_FILES, async (args: { testFiles: string[] }, _hre, runSuper) => {
  const files = (await runSuper(args)) as string[];
  return args.testFiles.length > 0 ? files : files.filter((file) => /\.test\.[cm]?[jt]s$/.test(file));
});

/** The parallel test workers, from `TEST_JOBS` (default 3); a bad value stops the command with it named. */
function testJobs(): number {
  const value = process.env.TEST_JOBS ?? '3';
  if (!/^[1-9][0-9]?$/.test(value))
    throw taskError(`TEST_JOBS must be a whole number from 1 to 99, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** The chain settings of the environment; a bad value stops the command with the variable named, no stack trace. */
function chainConfig(): ChainConfig {
  try {
    return loadChainConfig();
  } catch (error) {
    throw taskError((error as Error).message);
  }
}

const chain = chainConfig();
const networks: NetworksUserConfig = {
  hardhat: { chainId: 31337 },
  // `npm start` (or any local node); LOCAL_RPC_URL points the tasks at another port or host.
  localhost: { url: chain.localRpcUrl, chainId: 31337 },
};
if (chain.rpcUrl !== undefined) {
  networks.external = {
    url: chain.rpcUrl,
    accounts: chain.privateKeys,
    ...(chain.chainId ? { chainId: chain.chainId } : {}),
  };
}

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'shanghai' },
  },
  networks,
  typechain: { outDir: 'typechain-types', target: 'ethers-v6' },
  gasReporter: {
    enabled: process.env.REPORT_GAS === 'true',
    currency: 'USD',
    noColors: process.env.CI === 'true',
    outputFile: process.env.GAS_REPORT_FILE,
    excludeContracts: ['ReentrantSeller'],
  },
  mocha: {
    timeout: 120_000,
    // Test files run in parallel worker processes (most of a file's time is waiting on brokers, chains, databases and
    // child processes, not CPU): TEST_JOBS workers (default 3), TEST_PARALLEL=false for one process.
    parallel: process.env.TEST_PARALLEL !== 'false',
    jobs: testJobs(),
    // Loaded by each worker; hardhat/register first, so the root hooks' TypeScript loads.
    require: ['hardhat/register', join(__dirname, 'test', 'helpers', 'rootHooks.ts')],
  },
};

export default config;
