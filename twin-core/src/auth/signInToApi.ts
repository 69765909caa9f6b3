import { BaseError } from '../errors/BaseError';

/** What signs the sign-in message: an account's address and its EIP-191 `personal_sign` (an ethers signer). */
export type SignInSigner = { readonly address: string; signMessage(message: string): Promise<string> };

/** A signed-in API session: its bearer token and the header that carries it. */
export type ApiSession = { token: string; headers: { authorization: string } };

/** The API refused a sign-in step, or did not answer. */
export class ApiSignInError extends BaseError {
  override name = 'ApiSignInError';
  /** The HTTP status of the refusal (undefined: no answer). */
  readonly status: number | undefined;
  constructor(message: string, parameters: { status?: number; details?: string; cause?: unknown } = {}) {
    super(message, { details: parameters.details, cause: parameters.cause });
    this.status = parameters.status;
  }
}

/**
 * Signs `signer` in to the API at `api` (base URL ending in `/api/v1`) the way every client does (EIP-4361): a nonce,
 * the message the API builds for it, the account's EIP-191 signature, `POST /auth/sign-in`. Throws
 * {@link ApiSignInError} naming the step and the API's answer when it is refused (an unregistered or revoked account,
 * a bad signature) or the API does not answer.
 *
 * @example
 * const { headers } = await signInToApi('http://127.0.0.1:8080/api/v1', wallet)
 * await fetch(`${api}/twins/${deviceId}/commands`, { headers })
 */
export async function signInToApi(api: string, signer: SignInSigner): Promise<ApiSession> {
  const base = api.replace(/\/$/, '');
  const post = async (path: string, body?: unknown): Promise<Record<string, unknown>> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiSignInError(`The API at ${base} does not answer.`, {
        details: (error as Error).message,
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new ApiSignInError(`Sign-in refused: POST ${path} answered ${response.status}.`, {
        status: response.status,
        details: text.slice(0, 300),
      });
    }
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ApiSignInError(`Sign-in failed: POST ${path} answered no JSON.`, { details: text.slice(0, 300) });
    }
  };
  const field = (answer: Record<string, unknown>, name: string, path: string): string => {
    const value = answer[name];
    if (typeof value !== 'string' || value === '')
      throw new ApiSignInError(`Sign-in failed: POST ${path} answered without ${name}.`);
    return value;
  };
  const nonce = field(await post('/auth/nonce'), 'nonce', '/auth/nonce');
  const message = field(await post('/auth/message', { address: signer.address, nonce }), 'message', '/auth/message');
  const signature = await signer.signMessage(message);
  const token = field(await post('/auth/sign-in', { message, signature }), 'token', '/auth/sign-in');
  return { token, headers: { authorization: `Bearer ${token}` } };
}
