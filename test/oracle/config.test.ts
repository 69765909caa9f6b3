import { expect } from 'chai';
import { ConfigError } from '../../twin-core/src/config/errors';
import { loadOracleConfig } from '../../oracle/src/config';

const KEY = `0x${'11'.repeat(32)}`;

describe('Oracle configuration', function () {
  it('reads the environment with documented defaults', function () {
    const config = loadOracleConfig({
      environment: { ORACLE_ORACLE_KEY: KEY, RPC_URL: 'http://127.0.0.1:9545', ORACLE_BATCH_SIZE: '16' },
    });
    expect(config).to.include({
      rpcUrl: 'http://127.0.0.1:9545',
      batchSize: 16,
      batchAgeMs: 5_000,
      mqttShareGroup: 'oracle',
      confirmations: 1,
    });
    expect(config.ipfsApiUrl).to.equal(undefined);
  });

  it('on a broker with logins, refuses a guessable share group (ORACLE_MQTT_SHARE_GROUP named) and takes a secret one', function () {
    const environment = { ORACLE_ORACLE_KEY: KEY, ORACLE_MQTT_PASSWORD: 'from-broker-config' };
    for (const group of [undefined, 'oracle', 'fifteen-chars-x']) {
      const attempt = () =>
        loadOracleConfig({ environment: { ...environment, ...(group ? { ORACLE_MQTT_SHARE_GROUP: group } : {}) } });
      expect(attempt, group ?? 'the default').to.throw(ConfigError, /mqttShareGroup \(ORACLE_MQTT_SHARE_GROUP\)/);
    }
    const secret = '3f9c0a7d5e1b2c4d6f8a9b0c1d2e3f40';
    expect(
      loadOracleConfig({ environment: { ...environment, ORACLE_MQTT_SHARE_GROUP: secret } }).mqttShareGroup,
    ).to.equal(secret);
    // Unshared, or without logins (an anonymous development broker), the default stays.
    expect(loadOracleConfig({ environment: { ...environment, ORACLE_MQTT_SHARED: 'false' } }).mqttShareGroup).to.equal(
      'oracle',
    );
    expect(loadOracleConfig({ environment: { ORACLE_ORACLE_KEY: KEY } }).mqttShareGroup).to.equal('oracle');
  });

  it('names each bad value, and never prints the key', function () {
    let error: unknown;
    try {
      loadOracleConfig({
        environment: { ORACLE_ORACLE_KEY: '0x1234', ORACLE_BATCH_AGE_MS: 'soon', MQTT_URL: 'http://x' },
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).to.contain('ORACLE_ORACLE_KEY');
    expect(message).to.contain('<redacted>');
    expect(message).not.to.contain('0x1234');
    expect(message).to.contain('ORACLE_BATCH_AGE_MS');
    expect(message).to.contain('"soon"');
    expect(message).to.contain('MQTT_URL');
  });

  it('bounds the journal on disk and the processing queue, by default and as configured', function () {
    const config = loadOracleConfig({ environment: { ORACLE_ORACLE_KEY: KEY } });
    expect(config).to.include({
      journalSegmentBytes: 64 * 1024 * 1024,
      journalMaxBytes: 1024 * 1024 * 1024,
      ingestQueueBytes: 64 * 1024 * 1024,
    });
    const small = loadOracleConfig({
      environment: {
        ORACLE_ORACLE_KEY: KEY,
        ORACLE_JOURNAL_SEGMENT_BYTES: '1048576',
        ORACLE_JOURNAL_MAX_BYTES: '8388608',
      },
    });
    expect(small).to.include({ journalSegmentBytes: 1_048_576, journalMaxBytes: 8_388_608 });
  });

  it('refuses a journal limit without room for two segments or four of the largest messages, naming it', function () {
    const environment = { ORACLE_ORACLE_KEY: KEY, ORACLE_JOURNAL_SEGMENT_BYTES: '1048576' };
    expect(() => loadOracleConfig({ environment: { ...environment, ORACLE_JOURNAL_MAX_BYTES: '2000000' } })).to.throw(
      ConfigError,
      'journalMaxBytes (ORACLE_JOURNAL_MAX_BYTES): must be at least twice journalSegmentBytes and four times maxPayloadBytes, 4194304 (got 2000000)',
    );
  });

  it('runs the store upkeep hourly by default, as configured, and refuses an interval out of range by name', function () {
    const defaults = loadOracleConfig({ environment: { ORACLE_ORACLE_KEY: KEY } });
    expect(defaults.maintenanceIntervalMs).to.equal(3_600_000);
    expect(defaults.telemetryHistory, 'readings kept by age, no bound per device').to.equal(undefined);
    expect(
      loadOracleConfig({ environment: { ORACLE_ORACLE_KEY: KEY, ORACLE_MAINTENANCE_INTERVAL_MS: '60000' } })
        .maintenanceIntervalMs,
    ).to.equal(60_000);
    for (const bad of ['10', '86400001', 'hourly']) {
      expect(
        () => loadOracleConfig({ environment: { ORACLE_ORACLE_KEY: KEY, ORACLE_MAINTENANCE_INTERVAL_MS: bad } }),
        bad,
      ).to.throw(ConfigError, 'ORACLE_MAINTENANCE_INTERVAL_MS');
    }
    // The peer-batch import went with the SQLite index: its key is no longer read.
    expect(
      loadOracleConfig({ environment: { ORACLE_ORACLE_KEY: KEY, ORACLE_PEER_BATCH_INTERVAL_MS: 'x' } }),
    ).to.not.have.property('peerBatchIntervalMs');
  });

  it('requires the oracle key', function () {
    expect(() => loadOracleConfig({ environment: {} })).to.throw(ConfigError, 'oracleKey');
  });
});
