/**
 * The oracle's public entry point: what the API, the security service and `npm start` use of it (running it, its
 * config, the message checks they share, the twin directory and the process-wide helpers). Nothing outside the
 * oracle imports its other modules.
 *
 * @example
 * import { loadOracleConfig, runOracle } from '../../oracle/src'
 * const oracle = await runOracle(loadOracleConfig(), log, { index })
 */
export { ORACLE_CONFIG_ENV, loadOracleConfig, oracleConfigSchema, type OracleConfig } from './config';
export { runOracle, type OracleLog, type OracleStats, type RunningOracle, type RunOracleOptions } from './runOracle';
export {
  createTwinDirectory,
  type CreateTwinDirectoryParameters,
  type OracleTwinDirectory,
} from './ingest/twinDirectory';
export { createChainTwinDirectory, type CreateChainTwinDirectoryParameters } from './ingest/chainTwins';
export { dryRunMessage, messageTopic, type DryRunMessageParameters, type DryRunResult } from './ingest/dryRunMessage';
export { REJECTION_REASONS, REJECTION_TRIGGERS, type Rejection, type RejectionReason } from './ingest/rejections';
export {
  validateMessage,
  type MessageVerdict,
  type SequenceLedger,
  type TwinDirectory,
  type TwinRecord,
} from './ingest/validateMessage';
export { useLinearGetUrl } from './chain/useLinearGetUrl';
export { useFastCrypto } from './crypto/useFastCrypto';
export {
  FetchTimeoutError,
  REBUILD_CONFIG_ENV,
  RebuildError,
  loadRebuildConfig,
  rebuildConfigSchema,
  rebuildIndex,
  runRebuild,
  type RebuildConfig,
  type RebuildIndexParameters,
  type RebuildProblem,
  type RebuildSummary,
  type RunRebuildOptions,
} from './rebuild';
