import { z } from 'zod';
import { messageOf } from './errors';
import { parseListenAddress, parsePeerAddress } from './network/addresses';
import { parseSwarmKey, readSwarmKeyFile } from './network/swarmKey';

/** A list of multiaddrs: a JSON array, or a comma-separated string (`none` for an empty list). */
function multiaddrList(parse: (text: string) => unknown) {
  return z
    .union([
      z.array(z.string()),
      z.string().transform((value) =>
        value.trim() === 'none'
          ? []
          : value
              .split(',')
              .map((item) => item.trim())
              .filter((item) => item !== ''),
      ),
    ])
    .superRefine((list, context) => {
      for (const item of list) {
        try {
          parse(item);
        } catch (error) {
          context.addIssue({ code: 'custom', message: messageOf(error) });
        }
      }
    });
}

/**
 * The blob store's settings, the same in the oracle's, the API's and the security service's config (each spreads
 * this shape into its own schema and {@link IPFS_CONFIG_ENV} into its variables). Either Kubo (`ipfsApiUrl`), or the
 * embedded Helia node, offline unless a swarm key puts it on a private IPFS network of instances.
 *
 * @example
 * const schema = z.object({ dataDir: z.string(), ...ipfsConfigShape }).superRefine(checkIpfsConfig)
 */
export const ipfsConfigShape = {
  /** Kubo RPC API URL (`IPFS_API_URL`); when set, blobs go to that node, not to an embedded one. */
  ipfsApiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /**
   * The private network's pre-shared key, as a file (`IPFS_SWARM_KEY_FILE`) in Kubo's `swarm.key` format
   * (`npm run ipfs-key -- FILE` writes one). Refused when its group or others may read it. With a key, the embedded
   * node joins the network of instances holding the same key; without, it is offline.
   */
  ipfsSwarmKeyFile: z
    .string()
    .min(1)
    .superRefine((path, context) => {
      try {
        readSwarmKeyFile(path);
      } catch (error) {
        context.addIssue({ code: 'custom', message: messageOf(error) });
      }
    })
    .optional(),
  /** The same key in a variable (`IPFS_SWARM_KEY`): 64 hex digits, or the whole file. Never logged. */
  ipfsSwarmKey: z
    .string()
    .superRefine((text, context) => {
      try {
        parseSwarmKey(text);
      } catch (error) {
        context.addIssue({ code: 'custom', message: messageOf(error) });
      }
    })
    .optional(),
  /**
   * Where the node accepts connections from the other instances (`IPFS_LISTEN`): TCP multiaddrs, comma-separated
   * (default `/ip4/127.0.0.1/tcp/4001`; `/ip4/0.0.0.0/tcp/4001` to serve other machines; `none` to dial out only).
   */
  ipfsListen: multiaddrList(parseListenAddress).optional(),
  /**
   * The other instances' nodes (`IPFS_PEERS`), comma-separated: `/ip4|ip6|dns4|dns6|dns/<host>/tcp/<port>/p2p/<peer
   * ID>` (the peer ID is what `npm run ipfs-id` prints and each node logs at start). The node dials these and
   * nothing else; its own entry is skipped, so every instance can be given the same list.
   */
  ipfsPeers: multiaddrList(parsePeerAddress).optional(),
  /** How long a read waits for a block this node lacks from the peers, ms (default 10,000). */
  ipfsFetchTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(10_000),
  /**
   * What the node does with a blob it fetched from a peer (`IPFS_KEEP_FETCHED`): `pin` (default: a replica that
   * survives the other node's loss), `keep` (unpinned, a cache), or `drop` (read, verified, not stored).
   */
  ipfsKeepFetched: z.enum(['pin', 'keep', 'drop']).default('pin'),
};

/**
 * The blob store's validated settings (the keys of {@link ipfsConfigShape}).
 *
 * @example
 * const ipfs: IpfsConfig = ipfsConfigOf(loadApiConfig())
 */
export type IpfsConfig = z.output<z.ZodObject<typeof ipfsConfigShape>>;

/**
 * The shared environment variables of {@link ipfsConfigShape}. Spread it before a process's own prefixed variables:
 * `API_IPFS_LISTEN` then wins over `IPFS_LISTEN` (two processes on one machine need two ports).
 *
 * @example
 * const env = { ...IPFS_CONFIG_ENV, ...prefixedVariables, RPC_URL: 'rpcUrl' }
 */
export const IPFS_CONFIG_ENV: Record<string, keyof IpfsConfig> = {
  IPFS_API_URL: 'ipfsApiUrl',
  IPFS_SWARM_KEY_FILE: 'ipfsSwarmKeyFile',
  IPFS_SWARM_KEY: 'ipfsSwarmKey',
  IPFS_LISTEN: 'ipfsListen',
  IPFS_PEERS: 'ipfsPeers',
  IPFS_FETCH_TIMEOUT_MS: 'ipfsFetchTimeoutMs',
  IPFS_KEEP_FETCHED: 'ipfsKeepFetched',
};

/**
 * Config keys whose values never appear in an error or a log line.
 *
 * @example
 * loadConfig({ schema, secrets: ['oracleKey', ...IPFS_CONFIG_SECRETS] })
 */
export const IPFS_CONFIG_SECRETS = ['ipfsSwarmKey'];

/**
 * The checks across the keys of {@link ipfsConfigShape}, for the `superRefine` of a process's config schema: one
 * swarm key at most, none with Kubo, and no listen address or peer without a key.
 *
 * @example
 * z.object({ ...shape, ...ipfsConfigShape }).superRefine(checkIpfsConfig)
 */
export function checkIpfsConfig(config: Partial<IpfsConfig>, context: z.RefinementCtx): void {
  const keyed = config.ipfsSwarmKeyFile !== undefined || config.ipfsSwarmKey !== undefined;
  const issue = (path: keyof IpfsConfig, message: string) =>
    context.addIssue({ code: 'custom', path: [path], message });
  if (config.ipfsSwarmKeyFile !== undefined && config.ipfsSwarmKey !== undefined) {
    issue('ipfsSwarmKey', 'give the swarm key once: IPFS_SWARM_KEY_FILE or IPFS_SWARM_KEY, not both');
  }
  if (keyed && config.ipfsApiUrl !== undefined) {
    issue(
      config.ipfsSwarmKeyFile !== undefined ? 'ipfsSwarmKeyFile' : 'ipfsSwarmKey',
      'a swarm key is for the embedded node; with IPFS_API_URL, Kubo holds the blobs (configure its own swarm)',
    );
  }
  if (!keyed) {
    if (config.ipfsPeers !== undefined && config.ipfsPeers.length > 0) {
      issue('ipfsPeers', 'peers need a private network: set IPFS_SWARM_KEY_FILE (or IPFS_SWARM_KEY)');
    }
    if (config.ipfsListen !== undefined && config.ipfsListen.length > 0) {
      issue('ipfsListen', 'listening needs a private network: set IPFS_SWARM_KEY_FILE (or IPFS_SWARM_KEY)');
    }
  }
}

/**
 * The keys of {@link ipfsConfigShape} from a process's config, for `createBlobStore`.
 *
 * @example
 * const store = await createBlobStore({ ...ipfsConfigOf(config), dataDir: config.dataDir, log })
 */
export function ipfsConfigOf(config: IpfsConfig): IpfsConfig {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(ipfsConfigShape)) {
    const value = (config as Record<string, unknown>)[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked as IpfsConfig;
}

/**
 * Whether the settings reach blobs other processes added: through Kubo, or over the private network. A process that
 * runs alone (the API or the security service without an oracle in it) needs one of the two.
 *
 * @example
 * if (!sharesBlobs(config)) throw new Error('set IPFS_API_URL or IPFS_SWARM_KEY_FILE')
 */
export function sharesBlobs(config: Partial<IpfsConfig>): boolean {
  return config.ipfsApiUrl !== undefined || config.ipfsSwarmKeyFile !== undefined || config.ipfsSwarmKey !== undefined;
}
