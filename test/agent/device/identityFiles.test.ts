import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ethers } from 'ethers';
import { loadOrCreateDeviceKey } from '../../../agent/src/identity/keyStore';
import { SequenceStore } from '../../../agent/src/identity/sequenceStore';
import { AgentError } from '../../../agent/src/errors';
import { privateKeyToAddress } from '../../../twin-core/src/signing/deviceKey';

describe('Device key and sequence files', function () {
  let directory: string;
  beforeEach(() => (directory = mkdtempSync(join(tmpdir(), 'agent-files-'))));
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  describe('loadOrCreateDeviceKey', function () {
    it('creates a key on first run with mode 0600, then loads the same key', function () {
      const file = join(directory, 'nested', 'device.key');
      const created = loadOrCreateDeviceKey({ file });
      expect(created.created).to.equal(true);
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      const loaded = loadOrCreateDeviceKey({ file });
      expect(loaded).to.deep.equal({ key: created.key, created: false });
      expect(privateKeyToAddress(loaded.key)).to.equal(new ethers.Wallet(loaded.key).address);
    });

    it('tightens a key file others can read to 0600', function () {
      const file = join(directory, 'device.key');
      loadOrCreateDeviceKey({ file });
      chmodSync(file, 0o644);
      loadOrCreateDeviceKey({ file });
      expect(statSync(file).mode & 0o777).to.equal(0o600);
    });

    it('refuses a malformed key file and leaves it in place', function () {
      const file = join(directory, 'device.key');
      writeFileSync(file, 'not a key\n', { mode: 0o600 });
      expect(() => loadOrCreateDeviceKey({ file })).to.throw(AgentError, 'does not hold a private key');
      expect(readFileSync(file, 'utf8')).to.equal('not a key\n');
    });

    it('prefers a key from the environment and writes nothing', function () {
      const key = ethers.Wallet.createRandom().privateKey;
      const file = join(directory, 'device.key');
      expect(loadOrCreateDeviceKey({ file, fromEnvironment: key })).to.deep.equal({ key, created: false });
      expect(() => statSync(file)).to.throw();
      expect(() => loadOrCreateDeviceKey({ file, fromEnvironment: '0x1234' })).to.throw(
        AgentError,
        'TWIN_AGENT_DEVICE_KEY',
      );
    });
  });

  describe('SequenceStore', function () {
    it('is strictly increasing across restarts, even after a crash mid-block', function () {
      const file = join(directory, 'sequence');
      const first = new SequenceStore(file, 10);
      const seen = [first.next(), first.next(), first.next()];
      // "crash": no shutdown hook; a new store must never repeat a number
      const second = new SequenceStore(file, 10);
      const next = second.next();
      expect(next).to.be.greaterThan(seen[2]!);
      for (let i = 0; i < 25; i++) seen.push(second.next());
      for (let i = 1; i < seen.length; i++) expect(seen[i]).to.be.greaterThan(seen[i - 1]!);
      expect(Number(readFileSync(file, 'utf8'))).to.be.greaterThan(seen[seen.length - 1]!);
    });

    it('refuses a corrupt sequence file', function () {
      const file = join(directory, 'sequence');
      writeFileSync(file, 'banana');
      expect(() => new SequenceStore(file)).to.throw(AgentError, 'corrupt');
    });
  });
});
