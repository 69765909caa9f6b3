import { existsSync } from 'node:fs';
import { HDNodeWallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The test node's accounts: Hardhat's development mnemonic. */
const MNEMONIC = 'test test test test test test test test test test test junk';
export const developmentKey = (index: number) =>
  HDNodeWallet.fromPhrase(MNEMONIC, '', `m/44'/60'/0'/0/${index}`).privateKey;

/**
 * A stand-in for a browser wallet (no MetaMask runs headless here): an EIP-1193 `window.ethereum` holding one key,
 * signing `personal_sign`, `eth_signTypedData_v4` and `eth_sendTransaction` with ethers in the page, and passing
 * every other call to the demo's JSON-RPC forwarder. The dashboard's wallet path runs unchanged against it. Plain
 * JavaScript text: a function would be compiled for Node (its `import()` turned into `require`).
 */
export function standInWallet(privateKey: string): string {
  return `(() => {
    let wallet;
    const load = () => import('/vendor/ethers.js');
    const ready = async () => {
      if (wallet) return wallet;
      const ethers = await load();
      const provider = new ethers.JsonRpcProvider(location.origin + '/api/v1/demo/rpc', undefined, { batchMaxCount: 1 });
      wallet = new ethers.Wallet(${JSON.stringify(privateKey)}, provider);
      return wallet;
    };
    window.ethereum = {
      isStandIn: true,
      async request({ method, params = [] }) {
        const w = await ready();
        const ethers = await load();
        switch (method) {
          case 'eth_requestAccounts':
          case 'eth_accounts':
            return [w.address];
          case 'personal_sign':
            return w.signMessage(ethers.getBytes(params[0]));
          case 'eth_signTypedData_v4': {
            const typed = JSON.parse(params[1]);
            delete typed.types.EIP712Domain;
            return w.signTypedData(typed.domain, typed.types, typed.message);
          }
          case 'eth_sendTransaction': {
            const tx = params[0];
            const sent = await w.sendTransaction({ to: tx.to, data: tx.data, value: tx.value ?? 0 });
            return sent.hash;
          }
          default:
            return w.provider.send(method, params);
        }
      },
      on() {},
      removeListener() {},
    };
  })();`;
}

/**
 * Headless Chromium as the browser tests launch it (playwright-core, Debian's binary), or undefined when there is
 * none (the caller skips, saying why).
 *
 * @example
 * const browser = await launchChromium(); if (!browser) this.skip()
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    console.log(`    skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
    return undefined;
  }
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

/** Signs the page in with the demo account of `address` (signing out first when signed in). */
export async function signInAs(target: Page, address: string): Promise<void> {
  if ((await target.locator('[data-testid=sign-out]').count()) > 0) await signOut(target);
  await target.locator('[data-testid=sign-in]').click();
  await target.locator(`[data-testid=demo-account][data-address="${address}"]`).click();
  await target.locator(`[data-testid=session-who][data-address="${address}"]`).waitFor({ timeout: 20_000 });
}

export async function signOut(target: Page): Promise<void> {
  await target.locator('[data-testid=sign-out]').click();
  await target.locator('[data-testid=sign-in]').waitFor();
}
