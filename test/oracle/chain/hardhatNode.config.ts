import type { HardhatUserConfig } from 'hardhat/types';

/**
 * The configuration of the Hardhat node the chain mirror tests spawn: a bare chain with the default accounts.
 * Contract size is unlimited because under solidity-coverage the artifacts the tests deploy are instrumented, and
 * larger than the 24 KiB limit.
 */
const config: HardhatUserConfig = {
  paths: { root: '../../..' },
  networks: { hardhat: { chainId: 31337, allowUnlimitedContractSize: true } },
};

export default config;
