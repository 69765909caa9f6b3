/** Parameters of {@link formatSiweMessage}: the fields of an EIP-4361 message. */
export type FormatSiweMessageParameters = {
  /** Optional URI scheme shown before the domain (`https` when absent). */
  scheme?: string | undefined;
  /** `host[:port]` asking for the sign-in. */
  domain: string;
  /** EIP-55 checksummed address signing in. */
  address: string;
  /** One human-readable line (no newline). */
  statement?: string | undefined;
  /** The URI the sign-in is for. */
  uri: string;
  /** EIP-155 chain id. */
  chainId: number;
  /** At least 8 alphanumeric characters. */
  nonce: string;
  /** ISO 8601. */
  issuedAt: string;
  /** ISO 8601. */
  expirationTime?: string | undefined;
  /** ISO 8601. */
  notBefore?: string | undefined;
  requestId?: string | undefined;
  resources?: readonly string[] | undefined;
};

/**
 * Formats the EIP-4361 (Sign-In with Ethereum) message text a wallet signs with `personal_sign`. It does not
 * validate: parse the result with `parseSiweMessage` to check it.
 *
 * @example
 * const message = formatSiweMessage({
 *   domain: 'api.example.com',
 *   address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
 *   uri: 'https://api.example.com',
 *   chainId: 31337,
 *   nonce: 'a3f9c2d1e8b74c60',
 *   issuedAt: '2030-01-01T00:00:00.000Z',
 * })
 */
export function formatSiweMessage(parameters: FormatSiweMessageParameters): string {
  const { scheme, domain, address, statement, uri, chainId, nonce, issuedAt } = parameters;
  const origin = scheme ? `${scheme}://${domain}` : domain;
  const lines = [`${origin} wants you to sign in with your Ethereum account:`, address, ''];
  if (statement !== undefined) lines.push(statement);
  lines.push('', `URI: ${uri}`, 'Version: 1', `Chain ID: ${chainId}`, `Nonce: ${nonce}`, `Issued At: ${issuedAt}`);
  if (parameters.expirationTime !== undefined) lines.push(`Expiration Time: ${parameters.expirationTime}`);
  if (parameters.notBefore !== undefined) lines.push(`Not Before: ${parameters.notBefore}`);
  if (parameters.requestId !== undefined) lines.push(`Request ID: ${parameters.requestId}`);
  if (parameters.resources !== undefined) lines.push('Resources:', ...parameters.resources.map((r) => `- ${r}`));
  return lines.join('\n');
}
