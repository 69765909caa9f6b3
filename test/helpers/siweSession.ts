import type { Wallet } from 'ethers';

/** A signed-in session: its token and the header that carries it. */
export type TestSession = { token: string; headers: { authorization: string } };

/**
 * Signs `wallet` in to the API at `api` (base `…/api/v1`) the way a client does: a nonce, the EIP-4361 message the
 * API builds for it, the wallet's EIP-191 signature, `POST /auth/sign-in`. Throws naming the status and body when
 * sign-in is refused (an unregistered or revoked account, a bad signature).
 *
 * @example
 * const { headers } = await signInSession(h.api, h.wallet(CAST.alice))
 * await fetch(`${h.api}/twins/${id}/telemetry`, { headers })
 */
export async function signInSession(api: string, wallet: Wallet): Promise<TestSession> {
  const post = async (path: string, body?: unknown) => {
    const response = await fetch(`${api}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text.slice(0, 300)}`);
    return JSON.parse(text) as Record<string, string>;
  };
  const { nonce } = await post('/auth/nonce');
  const { message } = await post('/auth/message', { address: wallet.address, nonce });
  const { token } = await post('/auth/sign-in', { message, signature: await wallet.signMessage(message!) });
  return { token: token!, headers: { authorization: `Bearer ${token}` } };
}
