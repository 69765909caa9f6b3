import { isError } from 'ethers';
import { ApiError } from '../errors';
import { relayErrorsInterface } from './registryInterface';

/** A revert, decoded by the registry's ABIs when its selector is known. */
export type DecodedRevert = {
  /** The custom error's name (`TwinRegistryNotTwinOwner`, `Error`, `Panic`…); null when unknown or empty. */
  error: string | null;
  /** Its arguments, integers as decimal strings. */
  args: unknown[];
  /** The raw revert data. */
  data: string;
};

/** The revert data an error carries, looking through the errors it wraps (ethers and Hardhat nest it). */
function revertData(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current = error as Record<string, any> | undefined;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const data = typeof current.data === 'string' ? current.data : current.data?.data;
    if (typeof data === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(data)) return data;
    current = current.cause ?? current.error ?? current.info?.error ?? current.parent;
  }
  return undefined;
}

/** JSON-safe: bigints as decimal strings, ethers Results as arrays. */
function toJson(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return Array.from(value, toJson);
  return value;
}

/**
 * The revert an RPC error reports, decoded; undefined when the error is not a revert (a network failure…).
 *
 * @example
 * const revert = decodeRevert(error) // { error: 'TwinRegistryNotTwinOwner', args: ['1', '0x…'], data: '0x…' }
 */
export function decodeRevert(error: unknown): DecodedRevert | undefined {
  const data = revertData(error);
  if (data === undefined) {
    return isError(error, 'CALL_EXCEPTION') ? { error: null, args: [], data: '0x' } : undefined;
  }
  let parsed: ReturnType<typeof relayErrorsInterface.parseError> = null;
  try {
    parsed = relayErrorsInterface.parseError(data);
  } catch {
    // a known selector with malformed arguments: reported as unknown
  }
  if (parsed === null) return { error: null, args: [], data };
  return { error: parsed.name, args: toJson(parsed.args) as unknown[], data };
}

/**
 * The ApiError for a failed chain call: 422 `relay-reverted` with the decoded revert as details when the call
 * reverted, else 502 `chain-unavailable`.
 *
 * @example
 * try { await provider.call(call) } catch (error) { throw relayCallError(error, 'The request') }
 */
export function relayCallError(error: unknown, subject: string): ApiError {
  if (error instanceof ApiError) return error;
  const revert = decodeRevert(error);
  if (revert === undefined) return chainUnavailable(error);
  const name = revert.error === null ? 'an unknown error' : `${revert.error}(${revert.args.join(', ')})`;
  return new ApiError(`${subject} reverts with ${name}.`, {
    status: 422,
    code: 'relay-reverted',
    details: { error: revert.error, args: revert.args },
    cause: error,
  });
}

/**
 * The ApiError for a chain node that failed to answer: 502 `chain-unavailable` (an ApiError passes unchanged).
 *
 * @example
 * const nonce = await forwarder.nonces(from).catch((error) => { throw chainUnavailable(error) })
 */
export function chainUnavailable(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError('The chain node failed to answer.', {
    status: 502,
    code: 'chain-unavailable',
    details: {
      reason: String((error as Error)?.message ?? error)
        .split('\n')[0]!
        .slice(0, 300),
    },
    cause: error,
  });
}
