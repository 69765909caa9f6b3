/**
 * The `rebuild` command (issue 15 item 4): the shared index rebuilt from chain events and IPFS manifests, for
 * disaster recovery. See oracle/README.md, "Rebuilding the index".
 */
export { REBUILD_CONFIG_ENV, loadRebuildConfig, rebuildConfigSchema, type RebuildConfig } from './config';
export { FetchTimeoutError, RebuildError } from './errors';
export { rebuildIndex, type RebuildIndexParameters, type RebuildSummary } from './rebuildIndex';
export {
  rebuildBatch,
  type AnchoredBatchEvent,
  type RebuildBatchParameters,
  type RebuildBatchResult,
  type RebuildProblem,
} from './rebuildBatch';
export { runRebuild, type RunRebuildOptions } from './runRebuild';
