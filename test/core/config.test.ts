import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { z } from 'zod';
import { loadChainConfig } from '../../twin-core/src/config/chainConfig';
import { ConfigError } from '../../twin-core/src/config/errors';
import { loadConfig } from '../../twin-core/src/config/loadConfig';

const KEY_1 = `0x${'11'.repeat(32)}`;
const KEY_2 = `0x${'ab'.repeat(32)}`;
const SECRET = 'correct-horse-battery-staple';

/** A small service config, as a process would declare it. */
const schema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.coerce.number().int().min(1).max(65535).default(8080),
  password: z.string().min(32, 'must be at least 32 characters').optional(),
});
const env = { SERVICE_HOST: 'host', SERVICE_PORT: 'port', SERVICE_PASSWORD: 'password' };

/** Runs `action` and returns the ConfigError it threw; fails the test otherwise. */
function configErrorOf(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  expect.fail('expected a ConfigError');
}

describe('Configuration', function () {
  let directory: string;

  beforeEach(function () {
    directory = mkdtempSync(join(tmpdir(), 'twin-config-'));
  });

  afterEach(function () {
    rmSync(directory, { recursive: true, force: true });
  });

  /** Writes `text` to a file in the temporary directory and returns its path. */
  function configFile(text: string, name = 'config.json'): string {
    const file = join(directory, name);
    writeFileSync(file, text);
    return file;
  }

  describe('when loading with a schema', function () {
    describe('when both a file and the environment give values', function () {
      it('lets the environment override the file, key by key', function () {
        const file = configFile(JSON.stringify({ host: 'file-host', port: 1000 }));
        const config = loadConfig({ schema, env, environment: { SERVICE_PORT: '2000' }, file });
        expect(config).to.deep.equal({ host: 'file-host', port: 2000 });
      });

      it('ignores an empty environment variable and keeps the file value', function () {
        const file = configFile(JSON.stringify({ port: 1000 }));
        expect(loadConfig({ schema, env, environment: { SERVICE_PORT: '' }, file }).port).to.equal(1000);
      });

      it('reads only the environment variables it was given', function () {
        const config = loadConfig({
          schema,
          env: { SERVICE_PORT: 'port' },
          environment: { SERVICE_HOST: 'ignored', SERVICE_PORT: '9' },
        });
        expect(config).to.deep.equal({ host: '127.0.0.1', port: 9 });
      });
    });

    describe('when nothing is given', function () {
      it('applies the schema defaults', function () {
        expect(loadConfig({ schema, env, environment: {} })).to.deep.equal({ host: '127.0.0.1', port: 8080 });
      });
    });

    describe('when an environment value is bad', function () {
      it('names the environment variable and shows the value', function () {
        const error = configErrorOf(() =>
          loadConfig({ schema, env, environment: { SERVICE_PORT: '70000' }, source: 'test service' }),
        );
        expect(error.message).to.include('Invalid configuration in test service.');
        expect(error.issues).to.have.lengthOf(1);
        expect(error.issues[0]).to.match(/^SERVICE_PORT: .+ \(got "70000"\)$/);
        expect(error.message).to.include(error.issues[0]);
      });

      it('names every bad field at once, from the environment and the file', function () {
        const file = configFile(JSON.stringify({ host: '' }));
        const error = configErrorOf(() => loadConfig({ schema, env, environment: { SERVICE_PORT: 'abc' }, file }));
        expect(error.issues).to.have.lengthOf(2);
        expect(error.message).to.match(/^SERVICE_PORT: .*\(got "abc"\)$/m);
        expect(error.message).to.include(`host (in ${file}): `).and.to.include('(got "")');
      });
    });

    describe('when a file value is bad', function () {
      it('names the key and the file and shows the value', function () {
        const file = configFile(JSON.stringify({ port: 'eighty' }));
        const error = configErrorOf(() => loadConfig({ schema, env, environment: {}, file }));
        expect(error.issues).to.have.lengthOf(1);
        expect(error.issues[0]!.startsWith(`port (in ${file}): `)).to.equal(true);
        expect(error.issues[0]!.endsWith(' (got "eighty")')).to.equal(true);
        expect(error.message).to.include(`port (in ${file})`).and.to.include('(got "eighty")');
      });
    });

    describe('when a secret is bad', function () {
      it('shows <redacted> instead of the value from the environment', function () {
        const error = configErrorOf(() =>
          loadConfig({ schema, env, environment: { SERVICE_PASSWORD: SECRET }, secrets: ['password'] }),
        );
        expect(error.message).to.include('SERVICE_PASSWORD: must be at least 32 characters (got <redacted>)');
        expect(error.message).not.to.include(SECRET);
        expect(error.issues.join('\n')).not.to.include(SECRET);
        expect(JSON.stringify(error)).not.to.include(SECRET);
      });

      it('shows <redacted> instead of the value from the file', function () {
        const file = configFile(JSON.stringify({ password: SECRET }));
        const error = configErrorOf(() => loadConfig({ schema, env, environment: {}, file, secrets: ['password'] }));
        expect(error.message).to.include(`password (in ${file}): must be at least 32 characters (got <redacted>)`);
        expect(error.message).not.to.include(SECRET);
      });

      it('shows the value when the field is not declared secret (the control case)', function () {
        const error = configErrorOf(() => loadConfig({ schema, env, environment: { SERVICE_PASSWORD: SECRET } }));
        expect(error.message).to.include(`(got "${SECRET}")`);
      });
    });

    describe('when the file is missing', function () {
      it('is fine with fileOptional', function () {
        const config = loadConfig({
          schema,
          env,
          environment: { SERVICE_HOST: 'env-host' },
          file: join(directory, 'none.json'),
          fileOptional: true,
        });
        expect(config).to.deep.equal({ host: 'env-host', port: 8080 });
      });

      it('throws a ConfigError naming the file without fileOptional', function () {
        const file = join(directory, 'none.json');
        const error = configErrorOf(() => loadConfig({ schema, env, environment: {}, file }));
        expect(error.issues).to.have.lengthOf(1);
        expect(error.issues[0])
          .to.match(/^file: cannot read /)
          .and.to.include(file)
          .and.to.include('ENOENT');
      });

      it('still throws with fileOptional when the path cannot be read for another reason', function () {
        const error = configErrorOf(() =>
          loadConfig({ schema, env, environment: {}, file: directory, fileOptional: true }),
        );
        expect(error.issues[0]).to.match(/^file: cannot read /);
      });
    });

    describe('when the file is not a JSON object', function () {
      it('throws a ConfigError for invalid JSON', function () {
        const file = configFile('{ "port": 80,');
        const error = configErrorOf(() => loadConfig({ schema, env, environment: {}, file, fileOptional: true }));
        expect(error.issues[0])
          .to.match(/^file: .* is not valid JSON/)
          .and.to.include(file);
      });

      for (const text of ['[1, 2]', 'null', '"text"', '42']) {
        it(`throws a ConfigError for ${text}`, function () {
          const error = configErrorOf(() => loadConfig({ schema, env, environment: {}, file: configFile(text) }));
          expect(error.issues[0]).to.match(/must hold a JSON object$/);
        });
      }
    });
  });

  describe('when loading the chain configuration', function () {
    describe('when the environment is empty', function () {
      it('has no RPC URL, no keys and no chain ID; localhost is 127.0.0.1:8545', function () {
        expect(loadChainConfig({})).to.deep.equal({ localRpcUrl: 'http://127.0.0.1:8545', privateKeys: [] });
      });
    });

    describe('when LOCAL_RPC_URL is set', function () {
      it('points the localhost network there (npm start -- --port 18545)', function () {
        expect(loadChainConfig({ LOCAL_RPC_URL: 'http://127.0.0.1:18545' }).localRpcUrl).to.equal(
          'http://127.0.0.1:18545',
        );
      });

      it('names LOCAL_RPC_URL when it is not a URL', function () {
        const error = configErrorOf(() => loadChainConfig({ LOCAL_RPC_URL: '127.0.0.1:18545' }));
        expect(error.message).to.match(
          /^LOCAL_RPC_URL: must be an http\(s\) or ws\(s\) URL \(got "127.0.0.1:18545"\)$/m,
        );
      });
    });

    describe('when RPC_URL and two comma-separated PRIVATE_KEY values are set', function () {
      it('parses the keys into an array, trimmed, in order', function () {
        const config = loadChainConfig({
          RPC_URL: 'https://rpc.example.org/v1',
          PRIVATE_KEY: ` ${KEY_1} , ${KEY_2},`,
          CHAIN_ID: '11155111',
        });
        expect(config.rpcUrl).to.equal('https://rpc.example.org/v1');
        expect(config.privateKeys).to.deep.equal([KEY_1, KEY_2]);
        expect(config.chainId).to.equal(11155111);
      });

      for (const url of ['http://127.0.0.1:8545', 'wss://rpc.example.org', 'ws://localhost:8546']) {
        it(`accepts the RPC URL ${url}`, function () {
          expect(loadChainConfig({ RPC_URL: url }).rpcUrl).to.equal(url);
        });
      }
    });

    describe('when a private key is bad', function () {
      const badKey = `0x${'cd'.repeat(31)}`;

      it('throws a ConfigError naming PRIVATE_KEY without printing any key', function () {
        const error = configErrorOf(() => loadChainConfig({ PRIVATE_KEY: `${KEY_1},${badKey}` }));
        expect(error.message).to.include('PRIVATE_KEY');
        expect(error.message).to.include('<redacted>');
        expect(error.message).not.to.include(badKey);
        expect(error.message).not.to.include(badKey.slice(2));
        expect(error.message).not.to.include(KEY_1.slice(2));
        expect(error.issues.every((issue) => issue.startsWith('PRIVATE_KEY'))).to.equal(true);
      });

      it('throws for a single key without the 0x prefix', function () {
        const error = configErrorOf(() => loadChainConfig({ PRIVATE_KEY: KEY_2.slice(2) }));
        expect(error.message).to.include('PRIVATE_KEY').and.to.include('must be 0x followed by 64 hex digits');
        expect(error.message).not.to.include(KEY_2.slice(2));
      });
    });

    describe('when RPC_URL is not http(s) or ws(s)', function () {
      it('throws a ConfigError naming RPC_URL and showing the URL, but not the keys', function () {
        const error = configErrorOf(() => loadChainConfig({ RPC_URL: 'ftp://rpc.example.org', PRIVATE_KEY: KEY_1 }));
        expect(error.issues).to.have.lengthOf(1);
        expect(error.issues[0]).to.equal('RPC_URL: must be an http(s) or ws(s) URL (got "ftp://rpc.example.org")');
        expect(error.message).not.to.include(KEY_1.slice(2));
      });

      it('throws a ConfigError naming RPC_URL for text that is not a URL', function () {
        const error = configErrorOf(() => loadChainConfig({ RPC_URL: 'not a url' }));
        expect(error.message).to.match(/^RPC_URL: /m);
      });
    });

    describe('when CHAIN_ID is not a positive integer', function () {
      it('throws a ConfigError naming CHAIN_ID and showing the value', function () {
        const error = configErrorOf(() => loadChainConfig({ CHAIN_ID: '-5' }));
        expect(error.message).to.match(/^CHAIN_ID: .*\(got "-5"\)$/m);
      });
    });
  });
});
