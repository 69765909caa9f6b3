import type { Wallet } from 'ethers';
import type { ApiHarness } from './apiHarness';

/**
 * Signs `wallet` in through the API (nonce, EIP-4361 message, signature) and returns the session token; throws with
 * the API's answer when any step fails.
 *
 * @example
 * const token = await signInToken(h, h.wallet(CAST.alice))
 */
export async function signInToken(h: Pick<ApiHarness, 'request'>, wallet: Wallet): Promise<string> {
  const nonce = await h.request('/auth/nonce', { method: 'POST' });
  const built = await h.request('/auth/message', {
    method: 'POST',
    body: JSON.stringify({ address: wallet.address, nonce: nonce.body.nonce }),
  });
  const signature = await wallet.signMessage(String(built.body.message));
  const signedIn = await h.request('/auth/sign-in', {
    method: 'POST',
    body: JSON.stringify({ message: built.body.message, signature }),
  });
  if (signedIn.status !== 200) throw new Error(`sign-in of ${wallet.address} failed: ${JSON.stringify(signedIn.body)}`);
  return signedIn.body.token as string;
}
