import { join } from 'node:path';
import { loadStoreConfig } from './config';
import type { EmbeddedServer } from './server/startEmbeddedServer';
import type { Store } from './pool/types';
import { startStore } from './startStore';

/** Parameters of {@link startStoreFromEnvironment}. */
export type StartStoreFromEnvironmentParameters = {
  /** The component's data directory: the embedded server's default is `<dataDir>/postgres`. */
  dataDir: string;
  /** Default `process.env`: `DATABASE_URL`, `STORE_*` (an explicit `STORE_EMBEDDED_DATA_DIR` wins over `dataDir`). */
  environment?: NodeJS.ProcessEnv;
};

/**
 * Starts the store a component uses when it is not given one: the external server of `DATABASE_URL`, or the
 * embedded server under `<dataDir>/postgres` (unless `STORE_EMBEDDED_DATA_DIR` says where), with the other `STORE_*`
 * settings of the environment. What `runOracle`, `runApi` and `startServices` share.
 *
 * @example
 * const index = await startStoreFromEnvironment({ dataDir: config.dataDir })
 * // … at stop
 * await index.close()
 */
export async function startStoreFromEnvironment(
  parameters: StartStoreFromEnvironmentParameters,
): Promise<Store & { server: EmbeddedServer | undefined }> {
  const environment = parameters.environment ?? process.env;
  return startStore(
    loadStoreConfig({
      environment: { STORE_EMBEDDED_DATA_DIR: join(parameters.dataDir, 'postgres'), ...environment },
    }),
  );
}
