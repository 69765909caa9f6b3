import { SiweMessage } from 'siwe';
import { ApiError } from '../errors';

/** The longest message accepted, in bytes (4 KiB). */
export const maxSiweMessageBytes = 4096;

/** The fields of a parsed EIP-4361 message. */
export type ParsedSiweMessage = {
  scheme: string | undefined;
  domain: string;
  /** EIP-55 checksummed (the grammar rejects any other spelling). */
  address: `0x${string}`;
  statement: string | undefined;
  uri: string;
  version: '1';
  chainId: number;
  nonce: string;
  issuedAt: string;
  expirationTime: string | undefined;
  notBefore: string | undefined;
  requestId: string | undefined;
  resources: string[] | undefined;
};

/**
 * Parses EIP-4361 message text with the `siwe` package's ABNF parser (parsing only: it never verifies, so it never
 * touches a provider). Throws 400 `siwe-message-invalid` when the text is not a well-formed version 1 message.
 *
 * @example
 * const { address, nonce, chainId } = parseSiweMessage(message)
 */
export function parseSiweMessage(message: string): ParsedSiweMessage {
  if (typeof message !== 'string' || Buffer.byteLength(message, 'utf8') > maxSiweMessageBytes) {
    throw invalid(`not a string of at most ${maxSiweMessageBytes} bytes`);
  }
  let parsed: SiweMessage;
  try {
    parsed = new SiweMessage(message);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 200) : 'unparsable';
    throw invalid(reason, error);
  }
  if (parsed.version !== '1' || !parsed.issuedAt) throw invalid('version must be 1 and Issued At present');
  return {
    scheme: parsed.scheme,
    domain: parsed.domain,
    address: parsed.address as `0x${string}`,
    statement: parsed.statement,
    uri: parsed.uri,
    version: '1',
    chainId: parsed.chainId,
    nonce: parsed.nonce,
    issuedAt: parsed.issuedAt,
    expirationTime: parsed.expirationTime,
    notBefore: parsed.notBefore,
    requestId: parsed.requestId,
    resources: parsed.resources,
  };
}

function invalid(reason: string, cause?: unknown): ApiError {
  return new ApiError('Invalid sign-in message.', {
    status: 400,
    code: 'siwe-message-invalid',
    details: { reason },
    cause,
  });
}
