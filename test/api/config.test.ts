import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadApiConfig } from '../../api/src/config';
import { thrownBy } from '../helpers/thrownBy';

const ROOT = join(__dirname, '..', '..');

describe('API configuration and CLI', function () {
  it('has documented defaults: 127.0.0.1:8080, the local chain and broker, no relayer', function () {
    const config = loadApiConfig({ environment: {} });
    expect(config).to.include({ host: '127.0.0.1', port: 8080, rpcUrl: 'http://127.0.0.1:8545' });
    expect(config.mqttUrl).to.equal('mqtt://127.0.0.1:1883');
    expect(config.relayerKey).to.equal(undefined);
    expect(config.corsOrigins).to.deep.equal([]);
  });

  it('reads API_* and the shared RPC_URL / MQTT_URL / IPFS_API_URL, CORS origins comma-separated', function () {
    const config = loadApiConfig({
      environment: {
        API_PORT: '9090',
        RPC_URL: 'http://10.0.0.2:8545',
        IPFS_API_URL: 'http://10.0.0.3:5001',
        API_CORS_ORIGINS: 'https://a.example, https://b.example',
      },
    });
    expect(config.port).to.equal(9090);
    expect(config.rpcUrl).to.equal('http://10.0.0.2:8545');
    expect(config.ipfsApiUrl).to.equal('http://10.0.0.3:5001');
    expect(config.corsOrigins).to.deep.equal(['https://a.example', 'https://b.example']);
  });

  it('fails fast naming each bad field and its value, secrets redacted', function () {
    const error = thrownBy(() =>
      loadApiConfig({
        environment: { API_PORT: 'eighty', API_JWT_SECRET: 'short-secret-value', API_RELAYER_KEY: '0xdeadbeef' },
      }),
    );
    expect(error.message).to.include('API_PORT').and.include('"eighty"');
    expect(error.message).to.include('API_JWT_SECRET: must be at least 32 characters');
    expect(error.message).to.include('API_RELAYER_KEY');
    expect(error.message).to.not.include('short-secret-value');
    expect(error.message).to.not.include('0xdeadbeef');
  });

  describe('when API_RELAYER_LOW_BALANCE_ETH is not a plain decimal /health can convert to wei', function () {
    it('refuses it at start naming the field, and takes plain decimals', function () {
      for (const value of ['1e-7', '0.00000001', '1e21', '-1', 'lots']) {
        const error = thrownBy(() => loadApiConfig({ environment: { API_RELAYER_LOW_BALANCE_ETH: value } }));
        expect(error.message, value).to.include('API_RELAYER_LOW_BALANCE_ETH');
      }
      for (const [value, expected] of [
        ['0', 0],
        ['0.000001', 0.000001],
        ['2.5', 2.5],
      ] as const) {
        expect(loadApiConfig({ environment: { API_RELAYER_LOW_BALANCE_ETH: value } }).relayerLowBalanceEth).to.equal(
          expected,
        );
      }
    });
  });

  it('npm run api refuses to start alone with neither Kubo nor the private IPFS network, saying why (exit 2)', async function () {
    this.timeout(60_000);
    const environment: NodeJS.ProcessEnv = { ...process.env, API_PORT: '0' };
    for (const name of ['IPFS_API_URL', 'IPFS_SWARM_KEY_FILE', 'IPFS_SWARM_KEY', 'API_IPFS_SWARM_KEY_FILE']) {
      delete environment[name];
    }
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn('npx', ['ts-node', '-T', 'api/src/cli.ts'], { cwd: ROOT, env: environment });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(code).to.equal(2);
    expect(stderr).to.include(
      'A standalone API reads blobs from other processes: set IPFS_SWARM_KEY_FILE or IPFS_API_URL.',
    );
    expect(stderr).to.include('--with-oracle');
  });
});
