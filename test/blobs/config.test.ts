import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadApiConfig } from '../../api/src/config';
import {
  createBlobStore,
  generateSwarmKey,
  HeliaBlobStore,
  ipfsConfigOf,
  parseSwarmKey,
  readSwarmKeyFile,
  sharesBlobs,
} from '../../blobs/src';
import { loadOracleConfig } from '../../oracle/src/config';
import { loadSecurityConfig } from '../../security/src/config';
import { freePort } from '../helpers/brokers';
import { thrownBy } from '../helpers/thrownBy';

const ROOT = join(__dirname, '..', '..');
const KEY = `0x${'11'.repeat(32)}`;
const PEER_ID = '12D3KooWH5SYQjrhgHB8VmdrA5weKcs2agSX3NosqkULpG3YjRyA';
const HEX = 'ab'.repeat(32);

describe('blobs: IPFS settings (shared by the oracle, the API and the security service)', function () {
  let directory: string;
  let keyFile: string;
  before(function () {
    directory = mkdtempSync(join(tmpdir(), 'blobs-config-'));
    keyFile = join(directory, 'swarm.key');
    writeFileSync(keyFile, generateSwarmKey(), { mode: 0o600 });
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  const loaders = {
    oracle: (environment: NodeJS.ProcessEnv) =>
      loadOracleConfig({ environment: { ORACLE_ORACLE_KEY: KEY, ...environment } }),
    api: (environment: NodeJS.ProcessEnv) => loadApiConfig({ environment }),
    security: (environment: NodeJS.ProcessEnv) =>
      loadSecurityConfig({ environment: { SECURITY_SECURITY_KEY: KEY, ...environment } }),
  };

  it('defaults to an offline node: no key, no peers, 10 s fetch timeout, fetched blobs pinned', function () {
    for (const load of Object.values(loaders)) {
      const config = load({});
      expect(ipfsConfigOf(config)).to.deep.equal({ ipfsFetchTimeoutMs: 10_000, ipfsKeepFetched: 'pin' });
      expect(sharesBlobs(config)).to.equal(false);
    }
    expect(loadApiConfig({ environment: {} }).dataDir).to.equal(join('.data', 'api'));
  });

  it('reads the same IPFS_* variables in all three, the prefixed form winning (two processes on one machine)', function () {
    const environment = {
      IPFS_SWARM_KEY_FILE: keyFile,
      IPFS_LISTEN: '/ip4/0.0.0.0/tcp/4001, /ip6/::/tcp/4001',
      IPFS_PEERS: `/dns4/oracle-1.internal/tcp/4001/p2p/${PEER_ID},/ip4/10.0.0.2/tcp/4002/p2p/${PEER_ID}`,
      IPFS_FETCH_TIMEOUT_MS: '2500',
      IPFS_KEEP_FETCHED: 'drop',
      API_IPFS_LISTEN: 'none',
    };
    for (const [name, load] of Object.entries(loaders)) {
      const config = load(environment);
      expect(config.ipfsSwarmKeyFile).to.equal(keyFile);
      expect(config.ipfsPeers).to.have.length(2);
      expect(config.ipfsFetchTimeoutMs).to.equal(2500);
      expect(config.ipfsKeepFetched).to.equal('drop');
      expect(config.ipfsListen).to.deep.equal(name === 'api' ? [] : ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001']);
      expect(sharesBlobs(config)).to.equal(true);
    }
  });

  it('fails fast naming each bad variable and value', function () {
    const error = thrownBy(() =>
      loaders.api({
        IPFS_SWARM_KEY_FILE: keyFile,
        IPFS_LISTEN: '/ip4/127.0.0.1/udp/4001/quic-v1',
        IPFS_PEERS: `/ip4/10.0.0.2/tcp/4001,/ip4/10.0.0.3/tcp/4001/p2p/not-a-peer-id,/ip4/10.0.0.999/tcp/4001/p2p/${PEER_ID}`,
        IPFS_KEEP_FETCHED: 'forever',
        IPFS_FETCH_TIMEOUT_MS: '5',
      }),
    );
    expect(error.message).to.include('IPFS_LISTEN: Listen address "/ip4/127.0.0.1/udp/4001/quic-v1" is not /ip4');
    expect(error.message)
      .to.include('IPFS_PEERS: Peer address "/ip4/10.0.0.2/tcp/4001" is not')
      .and.include('peer ID is required');
    expect(error.message).to.include('"not-a-peer-id" is not a peer ID');
    expect(error.message).to.include('"10.0.0.999" is not an IPv4 address');
    expect(error.message).to.include('IPFS_KEEP_FETCHED').and.include('"forever"');
    expect(error.message).to.include('IPFS_FETCH_TIMEOUT_MS').and.include('"5"');
  });

  it('refuses a swarm key its group or others may read, a missing file, and a malformed key, never printing the key', function () {
    const open = join(directory, 'open.key');
    const secret = generateSwarmKey();
    writeFileSync(open, secret, { mode: 0o644 });
    chmodSync(open, 0o644);
    const readable = thrownBy(() => loaders.oracle({ IPFS_SWARM_KEY_FILE: open }));
    expect(readable.message)
      .to.include('IPFS_SWARM_KEY_FILE')
      .and.include('readable by its group or others (mode 0644)');
    expect(readable.message).to.include(`chmod 600 ${open}`);
    expect(readable.message).to.not.include(secret.split('\n')[2]!);
    const missing = thrownBy(() => loaders.oracle({ IPFS_SWARM_KEY_FILE: join(directory, 'none.key') }));
    expect(missing.message).to.include('Cannot read the swarm key file').and.include('ENOENT');
    const malformed = `${HEX.slice(0, 60)}zz`;
    const bad = thrownBy(() => loaders.security({ IPFS_SWARM_KEY: malformed }));
    expect(bad.message).to.include('IPFS_SWARM_KEY: Invalid swarm key: the key must be 64 hex digits');
    expect(bad.message).to.include('<redacted>').and.not.include(malformed);
  });

  it('refuses contradictions: peers or listening without a key, a key with Kubo, two keys', function () {
    const peers = thrownBy(() => loaders.oracle({ IPFS_PEERS: `/ip4/10.0.0.2/tcp/4001/p2p/${PEER_ID}` }));
    expect(peers.message).to.include('IPFS_PEERS: peers need a private network: set IPFS_SWARM_KEY_FILE');
    const listen = thrownBy(() => loaders.api({ IPFS_LISTEN: '/ip4/0.0.0.0/tcp/4001' }));
    expect(listen.message).to.include('IPFS_LISTEN: listening needs a private network');
    const kubo = thrownBy(() => loaders.api({ IPFS_SWARM_KEY_FILE: keyFile, IPFS_API_URL: 'http://127.0.0.1:5001' }));
    expect(kubo.message).to.include('IPFS_SWARM_KEY_FILE: a swarm key is for the embedded node');
    const both = thrownBy(() => loaders.security({ IPFS_SWARM_KEY_FILE: keyFile, IPFS_SWARM_KEY: HEX }));
    expect(both.message).to.include('IPFS_SWARM_KEY: give the swarm key once').and.not.include(HEX);
  });

  it('reads a swarm key as Kubo writes it or as 64 hex digits, the same key either way', function () {
    const file = readFileSync(keyFile, 'utf8');
    const hex = file.trim().split('\n')[2]!;
    expect(Buffer.from(parseSwarmKey(hex)).equals(Buffer.from(parseSwarmKey(file)))).to.equal(true);
    expect(Buffer.from(readSwarmKeyFile(keyFile)).equals(Buffer.from(parseSwarmKey(hex.toUpperCase())))).to.equal(true);
    expect(thrownBy(() => parseSwarmKey(`/key/swarm/psk/1.0.0/\n/base64/\n${hex}`)).message).to.include('/base16/');
    expect(file).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/);
  });

  it('opens a networked store from these settings, and names the bad listen address when it cannot bind', async function () {
    const port = await freePort();
    const config = loaders.api({ IPFS_SWARM_KEY: HEX, IPFS_LISTEN: `/ip4/127.0.0.1/tcp/${port}` });
    const store = (await createBlobStore({
      ...ipfsConfigOf(config),
      dataDir: join(directory, 'one'),
    })) as HeliaBlobStore;
    try {
      const status = store.networkStatus()!;
      expect(status.listening).to.deep.equal([`/ip4/127.0.0.1/tcp/${port}/p2p/${status.peerId}`]);
      expect(store.describe()).to.include(`peer ${status.peerId}`).and.include('0 of 0 configured peers');
      const error = await createBlobStore({ ...ipfsConfigOf(config), dataDir: join(directory, 'two') }).then(
        () => new Error('opened twice on one port'),
        (failure: Error) => failure,
      );
      expect(error.message).to.include(`Cannot start the IPFS node on /ip4/127.0.0.1/tcp/${port}`);
      expect(error.message).to.include('its own IPFS_LISTEN port');
    } finally {
      await store.close();
    }
  });

  it('npm run ipfs-key writes a key file (mode 0600) and never overwrites one; npm run ipfs-id prints a stable peer ID', function () {
    this.timeout(60_000);
    const file = join(directory, 'new.key');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'blobs/src/cli.ts', ...args], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const written = run('key', file);
    expect(written.status, written.stderr).to.equal(0);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(() => readSwarmKeyFile(file)).to.not.throw();
    const again = run('key', file);
    expect(again.status).to.equal(2);
    expect(again.stderr).to.include('the file exists');
    const first = run('id', join(directory, 'node'));
    const second = run('id', join(directory, 'node'));
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout.trim()).to.match(/^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/);
    expect(second.stdout).to.equal(first.stdout);
  });
});
