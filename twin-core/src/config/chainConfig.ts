import { z } from 'zod';
import { loadConfig } from './loadConfig';

const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'must be 0x followed by 64 hex digits');

const rpcUrl = z.url({ protocol: /^(https?|wss?)$/, error: 'must be an http(s) or ws(s) URL' });

/**
 * How a process reaches an EVM chain. Every field is optional: without `rpcUrl` only the in-process Hardhat network
 * and `localhost` exist.
 */
export const chainConfigSchema = z.object({
  /**
   * JSON-RPC endpoint of the `localhost` network (env `LOCAL_RPC_URL`, default `http://127.0.0.1:8545`): the chain of
   * `npm start`, `npm run chain` or any local node; set it when that runs on another port (`npm start -- --port`).
   */
  localRpcUrl: rpcUrl.default('http://127.0.0.1:8545'),
  /** JSON-RPC endpoint of an external chain (env `RPC_URL`), http(s) or ws(s). */
  rpcUrl: rpcUrl.optional(),
  /** Signing keys, comma-separated in env `PRIVATE_KEY`; the first is the default signer. Never logged. */
  privateKeys: z
    .union([z.string(), z.array(z.string())])
    .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((key) => key.trim()).filter(Boolean))
    .pipe(z.array(privateKey))
    .default([]),
  /** Chain ID the endpoint must report (env `CHAIN_ID`); checked by Hardhat when given. */
  chainId: z.coerce.number().int().positive().optional(),
});

/** The external-chain configuration, after validation. */
export type ChainConfig = z.output<typeof chainConfigSchema>;

/** Environment variable for each {@link ChainConfig} key. */
export const chainConfigEnv = {
  LOCAL_RPC_URL: 'localRpcUrl',
  RPC_URL: 'rpcUrl',
  PRIVATE_KEY: 'privateKeys',
  CHAIN_ID: 'chainId',
} as const;

/**
 * Reads the chain configuration from the environment.
 *
 * @example
 * const { rpcUrl, privateKeys } = loadChainConfig() // RPC_URL=https://… PRIVATE_KEY=0x…
 */
export function loadChainConfig(environment: NodeJS.ProcessEnv = process.env): ChainConfig {
  return loadConfig({
    schema: chainConfigSchema,
    env: chainConfigEnv,
    environment,
    secrets: ['privateKeys'],
    source: 'chain configuration (environment)',
  });
}
