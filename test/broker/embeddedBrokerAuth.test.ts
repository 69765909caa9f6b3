import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { id, JsonRpcProvider } from 'ethers';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { createBrokerDirectory } from '../../broker/src';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../system/embeddedBroker';
import { API_ROLE_NAME, brokerRealm, createBrokerToken, generatePrivateKey, type Hex } from '../../twin-core/src';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import { brokerLogin } from '../helpers/brokerLogin';
import { expectedAcl, observeAcl, type Party } from './aclTable';
import { freePort, waitUntil } from '../helpers/brokers';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { startOracleHarness, type OracleHarness } from '../oracle/oracleHarness';

const API = 8;
const STRANGER = 9;

/** Connects once (no reconnect): the client, or the error the broker refused it with. */
function attempt(url: string, options: IClientOptions): Promise<MqttClient | Error> {
  return new Promise((resolve) => {
    const client = connect(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      resolve(error);
    });
  });
}

async function connected(url: string, options: IClientOptions): Promise<MqttClient> {
  const client = await attempt(url, options);
  if (client instanceof Error) throw client;
  return client;
}

/** The QoS the broker granted a subscription: 128 is a refusal. */
async function granted(client: MqttClient, filter: string): Promise<number> {
  try {
    const grants = await client.subscribeAsync(filter, { qos: 1 });
    return grants[0]!.qos;
  } catch (error) {
    // mqtt.js rejects a SUBACK of 128 (refused).
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (packet?.granted?.[0] === 128) return 128;
    throw error;
  }
}

describe('The embedded broker: every party authenticated by the chain and held to the ACL (real aedes, Hardhat node)', function () {
  this.timeout(120_000);
  let harness: OracleHarness;
  let broker: EmbeddedBroker;
  let provider: JsonRpcProvider;
  let url: string;
  let realm: string;
  const clients: MqttClient[] = [];
  const login = (...args: Parameters<typeof brokerLogin>) => brokerLogin(...args);
  let deviceA: { deviceId: Hex; key: Hex };
  let deviceB: { deviceId: Hex; key: Hex };
  let fleet: MqttClient;
  let revokedDevice: { deviceId: Hex; key: Hex };

  before(async function () {
    harness = await startOracleHarness('broker-auth', 3);
    const deployment = readDeployment(harness.deploymentFile);
    realm = brokerRealm(deployment);
    await mined(harness.registry.entities.grantRole(id(API_ROLE_NAME), harness.node.wallet(API).address));
    provider = new JsonRpcProvider(harness.node.url, deployment.chainId, { staticNetwork: true, cacheTimeout: -1 });
    broker = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: await freePort(),
      auth: {
        directory: createBrokerDirectory({ provider, deployment }),
        realm,
        recheckMs: 200,
        limits: { messagesPerSecond: 20, burstSeconds: 1, maxDelayMs: 500, maxPayloadBytes: 65_536 },
      },
    });
    url = broker.url;
    [deviceA, deviceB] = harness.devices.map((device) => ({
      deviceId: device.deviceId as Hex,
      key: device.privateKey as Hex,
    })) as [typeof deviceA, typeof deviceB];
  });

  after(async function () {
    for (const client of clients) client.end(true);
    await broker?.stop();
    provider?.destroy();
    await harness?.stop();
  });

  const as = async (options: IClientOptions) => {
    const client = await connected(url, options);
    clients.push(client);
    return client;
  };
  const device = (which: { deviceId: Hex; key: Hex }) =>
    login(harness.deploymentFile, { kind: 'device', id: which.deviceId }, which.key);
  const account = (kind: 'oracle' | 'api' | 'security', index: number) => {
    const wallet = harness.node.wallet(index);
    return login(harness.deploymentFile, { kind, id: wallet.address }, wallet.privateKey);
  };
  /** Publishes and tells whether a subscriber of `topic` received it within a second (the broker closes a refused publisher). */
  async function delivered(publisher: MqttClient, reader: MqttClient, topic: string): Promise<boolean> {
    const payload = `probe-${Math.random()}`;
    const got = new Promise<boolean>((resolve) => {
      const onMessage = (t: string, p: Buffer) => t === topic && p.toString() === payload && resolve(true);
      reader.on('message', onMessage);
      setTimeout(() => {
        reader.off('message', onMessage);
        resolve(false);
      }, 1_000);
    });
    publisher.publish(topic, payload, { qos: 0 });
    return got;
  }

  describe('when a client has no credentials or bad ones', function () {
    it('refuses an anonymous client', async function () {
      const before = broker.stats()!.connectionsRefused.anonymous ?? 0;
      const result = await attempt(url, { clientId: 'anonymous-1' });
      expect(result).to.be.instanceOf(Error);
      expect((result as Error).message).to.match(/Not authorized/i);
      expect(broker.stats()!.connectionsRefused.anonymous).to.equal(before + 1);
    });

    it('refuses an oracle login by an account without ORACLE_ROLE, and a device key that is not the twin’s signer', async function () {
      const stranger = account('oracle', STRANGER);
      expect(await attempt(url, stranger)).to.be.instanceOf(Error);
      const forged = login(harness.deploymentFile, { kind: 'device', id: deviceA.deviceId }, generatePrivateKey());
      expect(await attempt(url, forged)).to.be.instanceOf(Error);
      const stats = broker.stats()!;
      expect(stats.connectionsRefused['no-role']).to.be.greaterThanOrEqual(1);
      expect(stats.connectionsRefused['wrong-device-key']).to.be.greaterThanOrEqual(1);
    });

    it('refuses an expired token, another realm’s token and a token for another client ID', async function () {
      const base = { principal: { kind: 'device' as const, id: deviceA.deviceId }, key: deviceA.key };
      const clientId = `device-${deviceA.deviceId}-0123456789abcdef`;
      const username = `device.${deviceA.deviceId}`;
      const now = Math.floor(Date.now() / 1000);
      const expired = createBrokerToken({ ...base, clientId, realm, expiresAt: now - 1 });
      const foreign = createBrokerToken({ ...base, clientId, realm: '1:0x0000000000000000000000000000000000000001', expiresAt: now + 60 });
      const otherId = createBrokerToken({ ...base, clientId: `${clientId}0`, realm, expiresAt: now + 60 });
      for (const password of [expired, foreign, otherId]) {
        expect(await attempt(url, { clientId, username, password })).to.be.instanceOf(Error);
      }
      const refused = broker.stats()!.connectionsRefused;
      expect(refused.expired).to.be.greaterThanOrEqual(1);
      expect(refused['wrong-realm']).to.be.greaterThanOrEqual(1);
      expect(refused['wrong-client-id']).to.be.greaterThanOrEqual(1);
    });
  });

  describe('when the broker lets anonymous clients read the public topics (allowAnonymousRead)', function () {
    it("lets them read static documents only, publish nothing, and never take a principal's client ID", async function () {
      const open = await startEmbeddedBroker({
        host: '127.0.0.1',
        port: await freePort(),
        auth: { directory: createBrokerDirectory({ provider, deployment: readDeployment(harness.deploymentFile) }), realm, allowAnonymousRead: true },
      });
      try {
        const reader = await connected(open.url, { clientId: 'reader-1' });
        clients.push(reader);
        expect(await granted(reader, 'twins/+/static')).to.equal(1);
        expect(await granted(reader, `twins/${deviceA.deviceId}/snapshot`)).to.equal(128);
        expect(await granted(reader, 'twins/+/notifications')).to.equal(128);
        const aLogin = device(deviceA);
        const a = await connected(open.url, aLogin);
        clients.push(a);
        expect(await delivered(a, reader, `twins/${deviceA.deviceId}/static`)).to.equal(true);
        // An oracle's client ID (its principal's prefix) and the connected device's own: refused, not taken over.
        const oracleId = `oracle-${harness.node.wallet(CAST.oracle).address.toLowerCase()}-0123456789abcdef`;
        for (const clientId of [oracleId, aLogin.clientId]) {
          expect(await attempt(open.url, { clientId, clean: false }), clientId).to.be.instanceOf(Error);
        }
        expect(open.stats()!.connectionsRefused['wrong-client-id']).to.equal(2);
        expect(a.connected, 'the device keeps its connection').to.equal(true);
        const before = open.stats()!.publishesRefused.acl ?? 0;
        expect(await delivered(reader, a, `twins/${deviceA.deviceId}/static`)).to.equal(false);
        expect(open.stats()!.publishesRefused.acl).to.equal(before + 1);
      } finally {
        await open.stop();
      }
    });
  });

  describe('when each party uses its topics', function () {
    it('a device publishes only its own static, snapshot, telemetry and status, and reads only its own command topic', async function () {
      const oracle = await as(account('oracle', CAST.oracle));
      for (const kind of ['static', 'snapshot', 'telemetry', 'status']) expect(await granted(oracle, `twins/+/${kind}`)).to.equal(1);
      const a = await as(device(deviceA));
      for (const kind of ['static', 'snapshot', 'telemetry', 'status']) {
        expect(await delivered(a, oracle, `twins/${deviceA.deviceId}/${kind}`), kind).to.equal(true);
      }
      expect(await granted(a, `twins/${deviceA.deviceId}/command`)).to.equal(1);
      expect(await granted(a, `twins/${deviceB.deviceId}/command`)).to.equal(128);
      expect(await granted(a, 'twins/+/telemetry')).to.equal(128);
      expect(await granted(a, '#')).to.equal(128);
      // Publishing as another device: refused, and the broker closes the connection.
      const refusedBefore = broker.stats()!.publishesRefused.acl ?? 0;
      expect(await delivered(a, oracle, `twins/${deviceB.deviceId}/telemetry`)).to.equal(false);
      expect(broker.stats()!.publishesRefused.acl).to.equal(refusedBefore + 1);
      await waitUntil(() => !a.connected, 5_000, 'the refused publisher to be disconnected');
    });

    it('the oracle reads device topics and alerts and publishes notifications, nothing else', async function () {
      const oracle = await as(account('oracle', CAST.oracle));
      const api = await as(account('api', API));
      expect(await granted(oracle, 'twins/+/alerts')).to.equal(1);
      expect(await granted(oracle, 'twins/+/command')).to.equal(128);
      expect(await granted(api, 'twins/+/notifications')).to.equal(1);
      expect(await delivered(oracle, api, `twins/${deviceA.deviceId}/notifications`)).to.equal(true);
      const other = await as(account('oracle', CAST.oracle));
      expect(await delivered(other, oracle, `twins/${deviceA.deviceId}/telemetry`)).to.equal(false);
    });

    it('the API publishes commands (the device reads them); it may not publish device data', async function () {
      const api = await as(account('api', API));
      const a = await as(device(deviceA));
      expect(await granted(a, `twins/${deviceA.deviceId}/command`)).to.equal(1);
      expect(await granted(api, 'twins/+/telemetry')).to.equal(128);
      expect(await delivered(api, a, `twins/${deviceA.deviceId}/command`)).to.equal(true);
      const oracle = await as(account('oracle', CAST.oracle));
      await granted(oracle, 'twins/+/status');
      const api2 = await as(account('api', API));
      expect(await delivered(api2, oracle, `twins/${deviceA.deviceId}/status`)).to.equal(false);
    });

    it('an approved security entity reads telemetry and snapshots and publishes alerts; no command', async function () {
      const security = await as(account('security', CAST.security));
      const oracle = await as(account('oracle', CAST.oracle));
      const a = await as(device(deviceA));
      expect(await granted(security, 'twins/+/telemetry')).to.equal(1);
      expect(await granted(security, 'twins/+/snapshot')).to.equal(1);
      expect(await granted(security, 'twins/+/status')).to.equal(128);
      expect(await granted(oracle, 'twins/+/alerts')).to.equal(1);
      expect(await delivered(security, oracle, `twins/${deviceA.deviceId}/alerts`)).to.equal(true);
      expect(await delivered(security, a, `twins/${deviceA.deviceId}/command`)).to.equal(false);
      // A registered-but-unapproved or unknown account is no security entity.
      expect(await attempt(url, account('security', STRANGER))).to.be.instanceOf(Error);
    });

    it('a fleet publishes for exactly the devices whose keys it proves', async function () {
      const fleetKey = generatePrivateKey();
      const { privateKeyToAddress } = await import('../../twin-core/src');
      const fleet = await as(
        login(harness.deploymentFile, { kind: 'fleet', id: privateKeyToAddress(fleetKey) }, fleetKey, { devices: [deviceA] }),
      );
      const oracle = await as(account('oracle', CAST.oracle));
      await granted(oracle, 'twins/+/telemetry');
      expect(await granted(fleet, `twins/${deviceA.deviceId}/command`)).to.equal(1);
      expect(await granted(fleet, `twins/${deviceB.deviceId}/command`)).to.equal(128);
      expect(await delivered(fleet, oracle, `twins/${deviceA.deviceId}/telemetry`)).to.equal(true);
      expect(await delivered(fleet, oracle, `twins/${deviceB.deviceId}/telemetry`)).to.equal(false);
    });
  });

  describe('when every party tries every topic (the whole table)', function () {
    it('each publishes and reads exactly what issue 13 grants it, and a refused subscription gets 128', async function () {
      const { privateKeyToAddress } = await import('../../twin-core/src');
      const fleetKey = generatePrivateKey();
      const parties: Party[] = ['device', 'fleet', 'oracle', 'api', 'security'];
      const connectAs = (party: Party) =>
        as(
          party === 'device'
            ? device(deviceA)
            : party === 'fleet'
              ? login(harness.deploymentFile, { kind: 'fleet', id: privateKeyToAddress(fleetKey) }, fleetKey, { devices: [deviceA] })
              : account(party, party === 'oracle' ? CAST.oracle : party === 'api' ? API : CAST.security),
        );
      const observed = await observeAcl({ parties, deviceId: deviceA.deviceId, otherDeviceId: deviceB.deviceId, connectAs, quietMs: 300 });
      const expected = expectedAcl(parties);
      expect(observed.published).to.deep.equal(expected.published);
      expect(observed.read).to.deep.equal(expected.read);
      expect(observed.readOtherCommand).to.deep.equal([]);
      const own = (kind: string) => `twins/${deviceA.deviceId}/${kind}`;
      expect(observed.granted).to.deep.equal({
        device: [own('command'), own('twin')],
        fleet: [own('command'), own('twin')],
        ...Object.fromEntries(
          (['oracle', 'api', 'security'] as const).map((party) => [
            party,
            expected.read[party]!.flatMap((kind) => [own(kind), `twins/+/${kind}`]),
          ]),
        ),
      });
    });
  });

  describe('when a fleet has more devices than one token carries (a pool of connections)', function () {
    it('logs in once per slice (fleetBrokerCredentials), each connection publishing for its own slice only', async function () {
      const { fleetBrokerCredentials, privateKeyToAddress } = await import('../../twin-core/src');
      const key = generatePrivateKey();
      // MAX_FLEET_DEVICES_PER_TOKEN (400) per connection; 1 here, so two devices make two connections.
      const pool = fleetBrokerCredentials({ key, realm, devices: [deviceA, deviceB], perConnection: 1 });
      expect(pool.map((connection) => connection.devices.map((d) => d.deviceId))).to.deep.equal([[deviceA.deviceId], [deviceB.deviceId]]);
      expect(new Set(pool.map((connection) => connection.credentials.clientId)).size).to.equal(2);
      expect(pool.every((connection) => connection.credentials.username === `fleet.${privateKeyToAddress(key).toLowerCase()}`)).to.equal(true);
      const [first, second] = await Promise.all(
        pool.map(({ credentials }) =>
          as({ clientId: credentials.clientId, username: credentials.username, password: credentials.password }),
        ),
      );
      const oracle = await as(account('oracle', CAST.oracle));
      await granted(oracle, 'twins/+/telemetry');
      expect(await delivered(first!, oracle, `twins/${deviceA.deviceId}/telemetry`)).to.equal(true);
      expect(await delivered(second!, oracle, `twins/${deviceB.deviceId}/telemetry`)).to.equal(true);
      expect(await delivered(first!, oracle, `twins/${deviceB.deviceId}/telemetry`)).to.equal(false);
    });
  });

  describe('when one publisher floods', function () {
    it('holds it to its rate, refuses oversized payloads, and counts both', async function () {
      const a = await as(device(deviceB));
      const before = broker.stats()!;
      for (let index = 0; index < 200; index++) a.publish(`twins/${deviceB.deviceId}/telemetry`, `junk-${index}`, { qos: 0 });
      await waitUntil(() => !a.connected, 10_000, 'the flooding client to be cut off');
      const after = broker.stats()!;
      expect(after.publishesThrottled).to.be.greaterThan(before.publishesThrottled);
      expect(after.publishesRefused.rate ?? 0).to.be.greaterThan(before.publishesRefused.rate ?? 0);
      const big = await as(device(deviceB));
      big.publish(`twins/${deviceB.deviceId}/snapshot`, Buffer.alloc(65_537, 120), { qos: 0 });
      await waitUntil(() => (broker.stats()!.publishesRefused.oversize ?? 0) > (before.publishesRefused.oversize ?? 0), 5_000, 'the oversize refusal');
    });
  });

  describe("when an intruder reconnects with the oracle's client ID (the session-takeover attack)", function () {
    let oracle: RunningOracle | undefined;
    after(async () => oracle?.stop());

    it('is refused, the oracle stays connected and indexes every snapshot published', async function () {
      const config = loadOracleConfig({
        environment: harness.oracleEnvironment(url, { ORACLE_MQTT_PROTOCOL_VERSION: '4', ORACLE_MQTT_SHARED: 'false' }),
      });
      oracle = await runOracle(config);
      const clientId = `${readFileSync(join(config.dataDir, 'broker-client-id'), 'utf8').trim()}`;
      const oracleClientId = `oracle-${harness.node.wallet(CAST.oracle).address.toLowerCase()}-${clientId}`;
      await waitUntil(() => broker.stats()!.connected >= 1, 10_000, 'the oracle to connect');
      let attempts = 0;
      let intruderAccepted = 0;
      const intrude = async () => {
        // Anonymous, with a stranger's valid device token for that ID, and with the oracle's username but no token.
        const tries: IClientOptions[] = [
          { clientId: oracleClientId, clean: false },
          { ...device(deviceA), clientId: oracleClientId, clean: false },
          { clientId: oracleClientId, username: `oracle.${harness.node.wallet(CAST.oracle).address.toLowerCase()}`, password: 'x', clean: false },
        ];
        for (const options of tries) {
          attempts++;
          const result = await attempt(url, options);
          if (!(result instanceof Error)) {
            intruderAccepted++;
            result.end(true);
          }
        }
      };
      const published = await harness.publishFromDevices(url, 3, async () => {
        for (let round = 0; round < 5; round++) await intrude();
      });
      expect(attempts).to.equal(15);
      expect(intruderAccepted).to.equal(0);
      // Every snapshot the devices published reaches the index: the oracle lost nothing to the intruder.
      expect(published).to.be.greaterThanOrEqual(harness.devices.length * 2);
      const indexed = async () =>
        Number((await oracle!.index.query<{ n: string }>('SELECT count(*) AS n FROM snapshots')).rows[0]!.n);
      const deadline = Date.now() + 30_000;
      while ((await indexed()) < published && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const count = await indexed();
      const state = `oracle ${JSON.stringify(oracle!.stats())}; broker ${JSON.stringify(broker.stats())}`;
      expect(count, `snapshots indexed of ${published} published; ${state}`).to.equal(published);
      expect(broker.stats()!.connectionsRefused['wrong-client-id']).to.be.greaterThanOrEqual(5);
    });

    it("with the chain mirror (npm start's arrangement) a device is checked again when the mirror records its deactivation", async function () {
      const deployment = readDeployment(harness.deploymentFile);
      const mirrored = await startEmbeddedBroker({
        host: '127.0.0.1',
        port: await freePort(),
        auth: { directory: createBrokerDirectory({ provider, deployment, index: oracle!.index }), realm, recheckMs: 200 },
      });
      try {
        const b = await connected(mirrored.url, device(deviceB));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        expect(b.connected, 'blocks without a registry event leave it connected').to.equal(true);
        const manufacturer = harness.registry.twins.connect(harness.node.wallet(CAST.manufacturer));
        await mined(manufacturer.deactivate(deviceB.deviceId, 'broker mirror test'));
        // The mirror reads blocks once confirmed: the automining node mines only on transactions.
        const deadline = Date.now() + 20_000;
        while (b.connected && Date.now() < deadline) {
          await provider.send('evm_mine', []);
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        expect(b.connected, 'the device revoked once the mirror recorded the deactivation').to.equal(false);
        expect(mirrored.stats()!.clientsRevoked).to.equal(1);
        b.end(true);
      } finally {
        await mirrored.stop();
      }
    });

    it('an API without any MQTT key says so in one line at start, and logs the refusal once, not at every reconnect', async function () {
      const { loadApiConfig } = await import('../../api/src/config');
      const { runApi } = await import('../../api/src/runApi');
      const lines: { level: string; message: string }[] = [];
      const refusedBefore = broker.stats()!.connectionsRefused.anonymous ?? 0;
      const api = await runApi({
        config: loadApiConfig({
          environment: { API_PORT: '0', RPC_URL: harness.node.url, MQTT_URL: url, API_DEPLOYMENT_FILE: harness.deploymentFile },
        }),
        shared: { index: oracle!.index, store: oracle!.store },
        log: (level, message) => lines.push({ level, message }),
      });
      try {
        await waitUntil(() => (broker.stats()!.connectionsRefused.anonymous ?? 0) > refusedBefore, 15_000, 'the anonymous refusal');
        // Any reconnects meanwhile (mqtt.js retries every second when it does) add no line.
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        const warnings = lines.filter((line) => line.level === 'warn');
        expect(warnings.filter((line) => line.message.includes('API_MQTT_KEY'))).to.have.length(1);
        expect(warnings.filter((line) => line.message === 'broker connection failed')).to.have.length(1);
      } finally {
        await api.stop();
      }
    });
  });
  describe('when the chain revokes a party', function () {
    it('disconnects a connected device within one check of the chain, and refuses it from then on', async function () {
      const target = { deviceId: harness.devices[2]!.deviceId as Hex, key: harness.devices[2]!.privateKey as Hex };
      const c = await as(device(target));
      // A fleet publishing for the same device and another one: it keeps its connection (next test).
      const { privateKeyToAddress } = await import('../../twin-core/src');
      const fleetKey = generatePrivateKey();
      fleet = await as(
        login(harness.deploymentFile, { kind: 'fleet', id: privateKeyToAddress(fleetKey) }, fleetKey, {
          devices: [deviceA, target],
        }),
      );
      revokedDevice = target;
      const revokedBefore = broker.stats()!.clientsRevoked;
      const manufacturer = harness.registry.twins.connect(harness.node.wallet(CAST.manufacturer));
      await mined(manufacturer.deactivate(target.deviceId, 'broker test'));
      await waitUntil(() => !c.connected, 10_000, 'the revoked device to be disconnected');
      expect(broker.stats()!.clientsRevoked).to.equal(revokedBefore + 1);
      const again = await attempt(url, device(target));
      expect(again).to.be.instanceOf(Error);
      expect(broker.stats()!.connectionsRefused.deactivated).to.be.greaterThanOrEqual(1);
    });

    it("drops a fleet's publishes for the revoked device only: the fleet stays connected and its other devices flow", async function () {
      const oracle = await as(account('oracle', CAST.oracle));
      await granted(oracle, 'twins/+/telemetry');
      expect(fleet.connected, 'the fleet survived the recheck that revoked one of its devices').to.equal(true);
      const droppedBefore = broker.stats()!.publishesRefused['revoked-device'] ?? 0;
      expect(await delivered(fleet, oracle, `twins/${revokedDevice.deviceId}/telemetry`)).to.equal(false);
      // QoS 1 too: acknowledged (MQTT 3.1.1 has no refusal for one publish), delivered to nobody, counted.
      await fleet.publishAsync(`twins/${revokedDevice.deviceId}/snapshot`, 'dropped', { qos: 1 });
      expect(broker.stats()!.publishesRefused['revoked-device']).to.equal(droppedBefore + 2);
      expect(fleet.connected).to.equal(true);
      expect(await delivered(fleet, oracle, `twins/${deviceA.deviceId}/telemetry`)).to.equal(true);
      // A device it never proved is still an ACL refusal that closes the connection.
      const other = harness.devices[1]!.deviceId;
      expect(await delivered(fleet, oracle, `twins/${other}/telemetry`)).to.equal(false);
      await waitUntil(() => !fleet.connected, 5_000, 'the fleet publishing for an unproved device to be disconnected');
    });
  });

});
