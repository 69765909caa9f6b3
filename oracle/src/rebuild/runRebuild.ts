import { join } from 'node:path';
import { createBlobStore, ipfsConfigOf, type BlobStore } from '../../../blobs/src';
import { startStoreFromEnvironment, type Store } from '../../../store/src';
import { deploymentPath, readDeployment } from '../../../twin-core/src/deployment/deployment';
import { createChainProvider } from '../chain/createChainProvider';
import { useLinearGetUrl } from '../chain/useLinearGetUrl';
import { useFastCrypto } from '../crypto/useFastCrypto';
import type { OracleLog } from '../run/types';
import { awaitPeers } from './awaitPeers';
import type { RebuildConfig } from './config';
import { rebuildIndex, type RebuildSummary } from './rebuildIndex';

/** Options of {@link runRebuild}. */
export type RunRebuildOptions = {
  /** Go on into a database that holds an index (see `rebuildIndex`). */
  resume?: boolean;
  /** The target index; default: the store of the environment (`DATABASE_URL`, or embedded under the data directory). */
  index?: Store;
  /** The blob store; default: the one of the config (Kubo, or an embedded Helia node under `<dataDir>/ipfs`). */
  blobs?: BlobStore;
  /** Default `process.env` (the store's settings). */
  environment?: NodeJS.ProcessEnv;
};

/**
 * Runs the rebuild as `npm run rebuild` does: opens the target store (migrated by the store), the blob store and
 * the chain provider of the config, rebuilds the index into it (`rebuildIndex`) and closes what it opened.
 *
 * @example
 * const summary = await runRebuild(loadRebuildConfig({ file: 'oracle.json' }), log, { resume: true })
 */
export async function runRebuild(
  config: RebuildConfig,
  log: OracleLog = () => undefined,
  options: RunRebuildOptions = {},
): Promise<RebuildSummary> {
  await useFastCrypto();
  useLinearGetUrl();
  const deployment = readDeployment(config.deploymentFile || deploymentPath('localhost'));
  const closing: (() => Promise<void> | void)[] = [];
  try {
    const index =
      options.index ??
      (await startStoreFromEnvironment({ dataDir: config.dataDir, environment: options.environment ?? process.env }));
    if (options.index === undefined) closing.push(() => index.close());
    const blobs =
      options.blobs ?? (await createBlobStore({ ...ipfsConfigOf(config), dataDir: join(config.dataDir, 'ipfs'), log }));
    if (options.blobs === undefined) closing.push(() => blobs.close());
    await awaitPeers(blobs, Math.min(config.fetchTimeoutMs, 15_000), log);
    log('info', 'rebuild: blob store open', { blobs: blobs.describe() });
    const provider = createChainProvider({
      rpcUrl: config.rpcUrl,
      chainId: deployment.chainId,
      timeoutMs: config.rpcTimeoutMs,
    });
    closing.push(() => provider.destroy());
    return await rebuildIndex({
      index,
      blobs,
      provider,
      deployment,
      confirmations: config.confirmations,
      resume: options.resume ?? false,
      fetchTimeoutMs: config.fetchTimeoutMs,
      fetchConcurrency: config.fetchConcurrency,
      log,
    });
  } finally {
    for (const close of closing.reverse()) await Promise.resolve(close()).catch(() => undefined);
  }
}
