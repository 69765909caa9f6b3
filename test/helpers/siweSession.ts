import type { Wallet } from 'ethers';
import { signInToApi, type ApiSession } from '../../twin-core/src/auth/signInToApi';

/** A signed-in session: its token and the header that carries it. */
export type TestSession = ApiSession;

/**
 * Signs `wallet` in to the API at `api` (base `…/api/v1`) the way a client does (`signInToApi`: a nonce, the EIP-4361
 * message the API builds for it, the wallet's EIP-191 signature, `POST /auth/sign-in`). Throws naming the status and
 * body when sign-in is refused (an unregistered or revoked account, a bad signature).
 *
 * @example
 * const { headers } = await signInSession(h.api, h.wallet(CAST.alice))
 * await fetch(`${h.api}/twins/${id}/telemetry`, { headers })
 */
export function signInSession(api: string, wallet: Wallet): Promise<TestSession> {
  return signInToApi(api, wallet);
}
