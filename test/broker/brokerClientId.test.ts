import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokerClientId } from '../../twin-core/src/broker/brokerClientId';
import { brokerClientIdPrefix, type BrokerPrincipal } from '../../twin-core/src/broker/principal';

const ORACLE: BrokerPrincipal = { kind: 'oracle', id: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' };

describe('brokerClientId (the oracle’s and the agent’s MQTT client ID)', function () {
  let directory: string;
  before(() => (directory = mkdtempSync(join(tmpdir(), 'broker-client-id-'))));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it('is the principal’s prefix and 16 random hex digits, kept in the data directory (mode 0600) across restarts', function () {
    const dataDir = join(directory, 'a');
    const first = brokerClientId(ORACLE, dataDir);
    expect(first).to.match(/^oracle-0x70997970c51812dc3a010c7d01b50e0d17dc79c8-[0-9a-f]{16}$/);
    expect(first.startsWith(brokerClientIdPrefix(ORACLE))).to.equal(true);
    expect(brokerClientId(ORACLE, dataDir)).to.equal(first);
    const file = join(dataDir, 'broker-client-id');
    expect(readFileSync(file, 'utf8').trim()).to.equal(first.slice(-16));
    expect(statSync(file).mode & 0o777).to.equal(0o600);
  });

  it('differs between data directories and, without one, between runs: nobody can guess it', function () {
    const suffixes = new Set<string>();
    for (let n = 0; n < 20; n++) suffixes.add(brokerClientId(ORACLE, join(directory, `d${n}`)).slice(-16));
    for (let n = 0; n < 20; n++) suffixes.add(brokerClientId(ORACLE).slice(-16));
    expect(suffixes.size).to.equal(40);
  });
});
