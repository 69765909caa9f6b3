import { assertNodeVersion } from '../../twin-core/src/runtime/assertNodeVersion';
import { BaseError } from '../../twin-core/src/errors/BaseError';
import { join } from 'node:path';
import { loadStoreConfig, startStore } from '../../store/src';
import { loadSecurityConfig } from './config';
import { runSecurity, type SecurityLog } from './runSecurity';

const USAGE = `Usage: npm run security -- [--config FILE]

Runs the security entity's service until SIGINT/SIGTERM: baselines and detectors over every device's telemetry and
snapshots, alerts with evidence on IPFS (its own node on the private network: IPFS_SWARM_KEY_FILE, IPFS_PEERS,
IPFS_LISTEN; or Kubo: IPFS_API_URL), and the suspend/reactivate policy on chain.
Configuration: a JSON file (--config or SECURITY_CONFIG) and the environment (SECURITY_* keys, RPC_URL, MQTT_URL,
IPFS_*); SECURITY_SECURITY_KEY is required. Its state (baselines, open alerts, watched twins) is kept in PostgreSQL:
DATABASE_URL, or an embedded server under <SECURITY_DATA_DIR>/postgres (STORE_* keys, store/README.md).
See security/src/config.ts, security/README.md, blobs/README.md.
`;

/** One JSON object per line on stderr; never given secrets. */
const log: SecurityLog = (level, message, fields = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);

async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const at = argv.indexOf('--config');
  try {
    const config = loadSecurityConfig({ file: at >= 0 ? argv[at + 1] : process.env.SECURITY_CONFIG });
    const store = await startStore(
      loadStoreConfig({ environment: { STORE_EMBEDDED_DATA_DIR: join(config.dataDir, 'postgres'), ...process.env } }),
    );
    try {
      const security = await runSecurity({ config, log, state: { store } });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await security.stop();
      log('info', 'security service stopped', security.stats());
    } finally {
      await store.close();
    }
    return 0;
  } catch (error) {
    process.stderr.write(`security: ${error instanceof BaseError ? error.message : (error as Error).message}\n`);
    return error instanceof BaseError ? 2 : 1;
  }
}

assertNodeVersion(22, 'The security service');
main(process.argv.slice(2)).then((code) => process.exit(code));
