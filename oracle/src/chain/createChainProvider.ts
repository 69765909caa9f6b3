import { FetchRequest, JsonRpcProvider } from 'ethers';

/** Parameters of {@link createChainProvider}. */
export type CreateChainProviderParameters = {
  /** The node's JSON-RPC endpoint (http or https). */
  rpcUrl: string;
  /** The deployment's chain: never asked of the node. */
  chainId: number;
  /** How long one request (one JSON-RPC batch) may stay unanswered before it fails, ms. */
  timeoutMs: number;
  /** How often ethers polls for new blocks when something subscribes, ms (default 500). */
  pollingIntervalMs?: number;
};

/**
 * The oracle's JSON-RPC provider: every request bounded by `timeoutMs`, so that a node that never answers one call
 * fails it instead of holding its caller for ethers' default of five minutes, and the caller's retry sends it again.
 * ganache 7 is such a node: an `eth_estimateGas` made while it mines a block can stay unanswered for good, and the
 * anchorer, which signs one transaction at a time, would wait on it with every batch behind it.
 *
 * @example
 * const provider = createChainProvider({ rpcUrl: config.rpcUrl, chainId: deployment.chainId, timeoutMs: config.rpcTimeoutMs })
 */
export function createChainProvider(parameters: CreateChainProviderParameters): JsonRpcProvider {
  const connection = new FetchRequest(parameters.rpcUrl);
  connection.timeout = parameters.timeoutMs;
  return new JsonRpcProvider(connection, parameters.chainId, {
    staticNetwork: true,
    pollingInterval: parameters.pollingIntervalMs ?? 500,
  });
}
