import type { HardhatUserConfig } from 'hardhat/types';

/** Hardhat's default development mnemonic: the node's accounts, and the keys the benchmark signs with. */
export const BENCH_MNEMONIC = 'test test test test test test test test test test test junk';

/**
 * The configuration of the Hardhat node the benchmark spawns: a bare chain (no plugins, no tasks, so it starts
 * fast) with the default accounts. Mining is set over JSON-RPC: automatic during setup, then a block every 2 s.
 */
const config: HardhatUserConfig = {
  paths: { root: '../..' },
  networks: {
    hardhat: {
      chainId: 31337,
      accounts: { mnemonic: BENCH_MNEMONIC, count: 10 },
      allowUnlimitedContractSize: true,
    },
  },
};

export default config;
