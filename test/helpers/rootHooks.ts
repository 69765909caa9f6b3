/**
 * Root hooks for mocha's parallel mode (`hardhat test`, see `mocha` in hardhat.config.ts). A worker process runs many
 * test files and keeps the helper modules loaded between them, so a helper's own root-level `after` would register
 * for its first file only; these hooks run after every file instead. (Run serially, the helpers' own hooks apply.)
 */
import { stopTestServer } from './store';

export const mochaHooks = {
  /** The store harness's server and stores, which the file may have started (see test/helpers/store.ts). */
  async afterAll(): Promise<void> {
    await stopTestServer();
  },
};
