import { HDNodeWallet } from 'ethers';
import type { HardhatNetworkHDAccountsConfig, HardhatRuntimeEnvironment } from 'hardhat/types';

/**
 * The private key of the local chain's account `index`: Hardhat's well-known development mnemonic, the keys of
 * `npm start`'s demo cast (never a real key).
 *
 * @example
 * const deviceKey = developmentKey(hre, 6) // the demo device signer's key
 */
export function developmentKey(hre: HardhatRuntimeEnvironment, index: number): string {
  const accounts = hre.config.networks.hardhat.accounts as HardhatNetworkHDAccountsConfig;
  return HDNodeWallet.fromPhrase(accounts.mnemonic, accounts.passphrase, `${accounts.path}/${index}`).privateKey;
}
