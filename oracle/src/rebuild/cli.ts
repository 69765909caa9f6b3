import { assertNodeVersion } from '../../../twin-core/src/runtime/assertNodeVersion';
import { BaseError } from '../../../twin-core/src/errors/BaseError';
import { ConfigError } from '../../../twin-core/src/config/errors';
import type { OracleLog } from '../run/types';
import { loadRebuildConfig } from './config';
import { RebuildError } from './errors';
import { runRebuild } from './runRebuild';

const USAGE = `Usage: npm run rebuild -- [--config FILE] [--resume]

Rebuilds the shared index from the chain and IPFS (disaster recovery): every registry event from the deployment
block (twins, entities, states, updates, notifications), then every anchored batch from its IPFS manifest, each
snapshot fetched and checked against its leaf and the device key the chain vouches for. The target is the store's
database (DATABASE_URL, or the embedded server under <dataDir>/postgres); it must hold no index, unless --resume
(go on into it: what it holds is kept, batches it holds whole are skipped). The oracle's config (--config or
ORACLE_CONFIG, RPC_URL, ORACLE_DEPLOYMENT_FILE, ORACLE_CONFIRMATIONS, ORACLE_DATA_DIR, IPFS_*) and REBUILD_FETCH_TIMEOUT_MS,
REBUILD_FETCH_CONCURRENCY. See oracle/README.md, "Rebuilding the index".

Exit code: 0 everything on chain rebuilt, 3 something could not be (named in the log and the summary), 2 refused
(a bad config, a database holding an index without --resume, an oracle running on it), 1 another failure.
`;

/** One JSON object per line on stderr; never given secrets. */
const log: OracleLog = (level, message, fields = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const unknown = argv.filter((arg, at) => !['--config', '--resume'].includes(arg) && argv[at - 1] !== '--config');
  if (unknown.length > 0) {
    process.stderr.write(`rebuild: unknown argument ${unknown[0]}\n\n${USAGE}`);
    return 2;
  }
  const at = argv.indexOf('--config');
  const file = at >= 0 ? argv[at + 1] : process.env.ORACLE_CONFIG;
  try {
    const summary = await runRebuild(loadRebuildConfig({ file }), log, { resume: argv.includes('--resume') });
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return summary.complete ? 0 : 3;
  } catch (error) {
    process.stderr.write(`rebuild: ${error instanceof BaseError ? error.message : (error as Error).message}\n`);
    return error instanceof RebuildError || error instanceof ConfigError ? 2 : 1;
  }
}

assertNodeVersion(22, 'The rebuild');
main(process.argv.slice(2)).then((code) => process.exit(code));
