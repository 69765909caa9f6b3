import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { loadOracleConfig } from './config';
import { runOracle, type OracleLog } from './runOracle';
import { reportOverIpc } from './run/reportOverIpc';

const USAGE = `Usage: npm run oracle -- [--config FILE]

Runs the oracle until SIGINT/SIGTERM. Configuration: a JSON file (--config or ORACLE_CONFIG) and the environment
(ORACLE_* keys, RPC_URL, MQTT_URL, IPFS_*); ORACLE_ORACLE_KEY is required. See oracle/src/config.ts.
Started with an IPC channel (a supervisor such as the benchmarks), it also reports its counters, RSS and CPU every
500 ms and stops on { type: 'stop' } (oracle/src/run/reportOverIpc.ts).
`;

/** One JSON object per line on stderr; never given secrets. */
const log: OracleLog = (level, message, fields = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const at = argv.indexOf('--config');
  const file = at >= 0 ? argv[at + 1] : process.env.ORACLE_CONFIG;
  // A supervisor that goes away while the oracle still starts (its first chain sync can take minutes).
  const orphaned = () => process.exit(0);
  if (process.connected) process.once('disconnect', orphaned);
  try {
    const config = loadOracleConfig({ file });
    const oracle = await runOracle(config, log);
    process.off('disconnect', orphaned);
    log('info', 'oracle running', { rpc: config.rpcUrl, broker: config.mqttUrl, dataDir: config.dataDir });
    let stopRequested = () => undefined as void;
    const stopping = new Promise<void>((resolve) => (stopRequested = resolve));
    process.once('SIGINT', stopRequested);
    process.once('SIGTERM', stopRequested);
    const reporter = reportOverIpc({ stats: () => oracle.stats(), stop: () => stopRequested() });
    await stopping;
    await oracle.stop();
    log('info', 'oracle stopped', oracle.stats());
    await reporter?.stopped(oracle.stats());
    return 0;
  } catch (error) {
    process.stderr.write(`oracle: ${error instanceof BaseError ? error.message : (error as Error).message}\n`);
    return error instanceof BaseError ? 2 : 1;
  }
}

assertNodeVersion(22, 'The oracle');
main(process.argv.slice(2)).then((code) => process.exit(code));
