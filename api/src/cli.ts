import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { loadOracleConfig, runOracle } from '../../oracle/src';
import { loadApiConfig } from './config';
import { runApi, type ApiLog, type RunningApi } from './runApi';

const USAGE = `Usage: npm run api -- [--config FILE] [--with-oracle [--oracle-config FILE]]

Runs the API and the dashboard until SIGINT/SIGTERM.
  alone            reads the index the oracle writes (DATABASE_URL, PostgreSQL) and blobs through its own IPFS node
                   on the private network (IPFS_SWARM_KEY_FILE, IPFS_PEERS; under API_DATA_DIR) or Kubo (IPFS_API_URL)
  --with-oracle    runs an oracle in this process and shares its index and IPFS store (embedded Helia or Kubo):
                   one "node" of the system; ORACLE_* configures the oracle (ORACLE_ORACLE_KEY is required)
Configuration: a JSON file (--config or API_CONFIG) and the environment (API_* keys, RPC_URL, MQTT_URL,
IPFS_*); see api/src/config.ts, api/README.md and blobs/README.md.
`;

/** One JSON object per line on stderr; never given secrets. */
const log: ApiLog = (level, message, fields = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);

function option(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    const config = loadApiConfig({ file: option(argv, '--config') ?? process.env.API_CONFIG });
    let stopOracle: (() => Promise<void>) | undefined;
    let api: RunningApi;
    if (argv.includes('--with-oracle')) {
      const oracleConfig = loadOracleConfig({ file: option(argv, '--oracle-config') ?? process.env.ORACLE_CONFIG });
      const oracle = await runOracle(oracleConfig, (level, message, fields) =>
        log(level, `oracle: ${message}`, fields),
      );
      stopOracle = () => oracle.stop();
      api = await runApi({
        config,
        log,
        shared: { index: oracle.index, store: oracle.store, oracleStats: () => oracle.stats() },
      }).catch(async (error: unknown) => {
        await oracle.stop();
        throw error;
      });
    } else {
      api = await runApi({ config, log });
    }
    log('info', 'api running', { url: api.url, dashboard: `${api.url}/` });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await api.stop();
    await stopOracle?.();
    log('info', 'api stopped');
    return 0;
  } catch (error) {
    process.stderr.write(`api: ${error instanceof BaseError ? error.message : (error as Error).message}\n`);
    return error instanceof BaseError ? 2 : 1;
  }
}

assertNodeVersion(22, 'The API');
main(process.argv.slice(2)).then((code) => process.exit(code));
