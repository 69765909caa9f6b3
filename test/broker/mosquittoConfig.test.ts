import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { id, JsonRpcProvider } from 'ethers';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import {
  brokerPrincipalsFromChain,
  mosquittoPassword,
  watchMosquittoConfig,
  writeMosquittoConf,
  writeMosquittoFiles,
} from '../../broker/src';
import { loadOracleConfig } from '../../oracle/src/config';
import { oracleSubscriptions } from '../../oracle/src/ingest/oracleMqtt';
import { API_ROLE_NAME, brokerUsername, type BrokerPrincipal } from '../../twin-core/src/broker/principal';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import { freePort, mosquittoPath, waitForPort, waitUntil } from '../helpers/brokers';
import { CAST, mined } from '../oracle/chain/deployOnNode';
import { expectedAcl, observeAcl, type Party } from './aclTable';
import { startOracleHarness, type OracleHarness } from '../oracle/oracleHarness';

const SECRET = 'broker-test-secret-0123456789abcdef0123';
const API = 8;

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

describe('Mosquitto configured from the chain (broker-config files, real Debian mosquitto)', function () {
  this.timeout(90_000);
  let harness: OracleHarness;
  let directory: string;
  let child: ChildProcess | undefined;
  let url: string;
  const clients: MqttClient[] = [];

  before(async function () {
    if (mosquittoPath() === undefined) return this.skip(); // mosquitto is not installed (CI installs it)
    harness = await startOracleHarness('broker-mosquitto', 3);
    await mined(harness.registry.entities.grantRole(id(API_ROLE_NAME), harness.node.wallet(API).address));
    directory = mkdtempSync(join(tmpdir(), 'broker-mosquitto-'));
    const deployment = readDeployment(harness.deploymentFile);
    const provider = new JsonRpcProvider(harness.node.url, deployment.chainId, { staticNetwork: true });
    const entries = await brokerPrincipalsFromChain({ provider, deployment });
    provider.destroy();
    const files = writeMosquittoFiles({ directory, entries, secret: SECRET });
    const port = await freePort();
    // The mosquitto.conf `broker-config` writes next to them (log lines added; as root mosquitto would drop to user
    // `mosquitto`, who cannot read the 0700 directory: stay who we are).
    const configFile = writeMosquittoConf({
      directory,
      port,
      host: '127.0.0.1',
      extra: ['log_dest stderr', 'log_type error', `user ${userInfo().username}`],
    });
    expect(readFileSync(configFile, 'utf8')).to.include(`password_file ${files.passwordFile}\n`);
    child = spawn(mosquittoPath()!, ['-c', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForPort(port);
    url = `mqtt://127.0.0.1:${port}`;
  });

  after(async function () {
    for (const client of clients) client.end(true);
    child?.kill('SIGTERM');
    await harness?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  const login = (principal: BrokerPrincipal): IClientOptions => ({
    clientId: `${principal.kind}-${principal.id.toLowerCase()}-test`,
    username: brokerUsername(principal),
    password: mosquittoPassword(SECRET, brokerUsername(principal)),
  });
  const as = async (principal: BrokerPrincipal, options: IClientOptions = {}) => {
    const client = await attempt(url, { ...login(principal), ...options });
    if (client instanceof Error) throw client;
    clients.push(client);
    return client;
  };
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
    await publisher.publishAsync(topic, payload, { qos: 1 });
    return got;
  }

  it('refuses anonymous clients and wrong passwords', async function () {
    expect(await attempt(url, { clientId: 'anonymous' })).to.be.instanceOf(Error);
    const deviceId = harness.devices[0]!.deviceId;
    expect(await attempt(url, { ...login({ kind: 'device', id: deviceId }), password: 'guessed' })).to.be.instanceOf(
      Error,
    );
  });

  it('lets a device publish its own telemetry only, read by the oracle; the API commands it', async function () {
    const [a, b] = harness.devices.map((device) => device.deviceId);
    const oracle = await as({ kind: 'oracle', id: harness.node.wallet(CAST.oracle).address });
    await oracle.subscribeAsync('twins/+/telemetry', { qos: 1 });
    const device = await as({ kind: 'device', id: a! });
    expect(await delivered(device, oracle, `twins/${a}/telemetry`)).to.equal(true);
    // Mosquitto drops an unauthorised publish (MQTT 3.1.1 has no way to say so).
    expect(await delivered(device, oracle, `twins/${b}/telemetry`)).to.equal(false);
    // The oracle may not publish device data.
    expect(await delivered(oracle, oracle, `twins/${a}/telemetry`)).to.equal(false);
    // A device reads its own command topic, not another's.
    await device.subscribeAsync(`twins/${b}/command`, { qos: 1 }).catch(() => undefined);
    await device.subscribeAsync(`twins/${a}/command`, { qos: 1 });
    const security = await as({ kind: 'security', id: harness.node.wallet(CAST.security).address });
    expect(await delivered(security, device, `twins/${a}/command`)).to.equal(false);
    const received: string[] = [];
    device.on('message', (topic) => received.push(topic));
    await security.publishAsync(`twins/${b}/command`, 'x', { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.filter((topic) => topic === `twins/${b}/command`)).to.deep.equal([]);
  });

  it('lets each party publish and read exactly what issue 13 grants it, on every topic', async function () {
    const parties: Party[] = ['device', 'oracle', 'api', 'security'];
    const ids: Record<Party, string> = {
      device: harness.devices[0]!.deviceId,
      fleet: '',
      oracle: harness.node.wallet(CAST.oracle).address,
      api: harness.node.wallet(API).address,
      security: harness.node.wallet(CAST.security).address,
    };
    // One connection per party: Mosquitto makes the client ID the username, so a second one would replace the first.
    const connections = new Map<Party, MqttClient>();
    const connectAs = async (party: Party) => {
      if (!connections.has(party)) connections.set(party, await as({ kind: party as 'device', id: ids[party] }));
      return connections.get(party)!;
    };
    const observed = await observeAcl({
      parties,
      deviceId: ids.device,
      otherDeviceId: harness.devices[1]!.deviceId,
      connectAs,
      quietMs: 300,
    });
    const expected = expectedAcl(parties);
    expect(observed.published).to.deep.equal(expected.published);
    expect(observed.read).to.deep.equal(expected.read);
    expect(observed.readOtherCommand).to.deep.equal([]);
    for (const connection of connections.values()) expect(connection.connected).to.equal(true);
  });

  it("refuses the session-takeover attack: nobody gets the oracle's client ID, and the oracle receives every message", async function () {
    const oraclePrincipal = { kind: 'oracle' as const, id: harness.node.wallet(CAST.oracle).address };
    const oracle = await as(oraclePrincipal, { clean: false });
    await oracle.subscribeAsync('twins/+/snapshot', { qos: 1 });
    const deviceId = harness.devices[0]!.deviceId;
    const intruders: (MqttClient | Error)[] = [];
    const oracleId = brokerUsername(oraclePrincipal);
    // Anonymous with the oracle's ID, the oracle's username with a guessed password, and a registered device asking
    // for the oracle's ID (Mosquitto gives it its own username as ID instead).
    intruders.push(await attempt(url, { clientId: oracleId, clean: false }));
    intruders.push(await attempt(url, { clientId: oracleId, username: oracleId, password: 'guessed', clean: false }));
    const device = await attempt(url, { ...login({ kind: 'device', id: deviceId }), clientId: oracleId, clean: false });
    expect(intruders.map((intruder) => intruder instanceof Error)).to.deep.equal([true, true]);
    expect(device).to.not.be.instanceOf(Error);
    clients.push(device as MqttClient);
    let received = 0;
    oracle.on('message', (topic) => topic === `twins/${deviceId}/snapshot` && received++);
    for (let n = 0; n < 30; n++)
      await (device as MqttClient).publishAsync(`twins/${deviceId}/snapshot`, `s${n}`, { qos: 1 });
    await waitUntil(() => received === 30, 5_000, `the oracle to receive all 30 (${received})`);
    expect(oracle.connected, 'the oracle kept its connection').to.equal(true);
  });

  it("keeps the oracle's shared subscriptions to it: a security entity under the default group name takes none of its snapshots", async function () {
    // Mosquitto lets any client that may read a topic join any share group on it (the ACL cannot name groups), so the
    // oracle's group is a secret on a broker with logins (loadOracleConfig refuses a guessable one).
    const a = harness.devices[0]!.deviceId;
    const group = loadOracleConfig({
      environment: {
        ORACLE_ORACLE_KEY: harness.node.wallet(CAST.oracle).privateKey,
        ORACLE_MQTT_PASSWORD: 'x',
        ORACLE_MQTT_SHARE_GROUP: randomBytes(16).toString('hex'),
      },
    }).mqttShareGroup;
    const v5 = { protocolVersion: 5 as const };
    const oracle = await as({ kind: 'oracle', id: harness.node.wallet(CAST.oracle).address }, v5);
    const security = await as({ kind: 'security', id: harness.node.wallet(CAST.security).address }, v5);
    const device = await as({ kind: 'device', id: a }, v5);
    const filters = oracleSubscriptions(group).filter((filter) => filter.endsWith('/snapshot'));
    expect(filters).to.deep.equal([`$share/${group}/twins/+/snapshot`]);
    await oracle.subscribeAsync(filters, { qos: 1 });
    await security.subscribeAsync('$share/oracle/twins/+/snapshot', { qos: 1 });
    const got = { oracle: 0, security: 0 };
    oracle.on('message', (topic) => topic === `twins/${a}/snapshot` && got.oracle++);
    security.on('message', (topic) => topic === `twins/${a}/snapshot` && got.security++);
    for (let n = 0; n < 20; n++) await device.publishAsync(`twins/${a}/snapshot`, `s${n}`, { qos: 1 });
    await waitUntil(
      () => got.oracle === 20 && got.security === 20,
      5_000,
      `every snapshot to both (${JSON.stringify(got)})`,
    );
    // A reader that knew the group would split the oracle's messages: why it must be a secret.
    await security.unsubscribeAsync('$share/oracle/twins/+/snapshot');
    await security.subscribeAsync(filters, { qos: 1 });
    got.oracle = 0;
    got.security = 0;
    for (let n = 0; n < 20; n++) await device.publishAsync(`twins/${a}/snapshot`, `t${n}`, { qos: 1 });
    await waitUntil(() => got.oracle + got.security === 20, 5_000, `the 20 snapshots split (${JSON.stringify(got)})`);
    expect(got.security).to.be.greaterThan(0);
  });

  describe('when the chain revokes a device while broker-config watches (--watch)', function () {
    it('rewrites the files on the deactivation event and sends mosquitto SIGHUP: the device is refused from then on, and its open connection carries nothing more', async function () {
      const target = { kind: 'device' as const, id: harness.devices[2]!.deviceId };
      const before = await attempt(url, login(target));
      expect(before, 'the live device logs in').to.not.be.instanceOf(Error);
      // It stays connected through the revocation, publishing to an oracle.
      const connected = before as MqttClient;
      const oracle = await as({ kind: 'oracle', id: harness.node.wallet(CAST.oracle).address });
      await oracle.subscribeAsync('twins/+/telemetry', { qos: 1 });
      const telemetry = `twins/${target.id}/telemetry`;
      // A publish in flight when Mosquitto closes the revoked connection fails ("Connection closed"): nothing got
      // through either.
      const getsThrough = async () =>
        connected.connected &&
        (await Promise.race([
          delivered(connected, oracle, telemetry).catch(() => false),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2_000)),
        ]));
      expect(await getsThrough(), 'the live device publishes').to.equal(true);
      const deployment = readDeployment(harness.deploymentFile);
      const provider = new JsonRpcProvider(harness.node.url, deployment.chainId, { staticNetwork: true });
      const writes: string[] = [];
      const stop = new AbortController();
      // No periodic re-read: only the registry's event can make it rewrite.
      const watching = watchMosquittoConfig({
        provider,
        deployment,
        directory,
        secret: SECRET,
        pollMs: 200,
        pid: child!.pid!,
        onWrite: (_files, reason) => writes.push(reason),
        signal: stop.signal,
      });
      try {
        await waitUntil(() => writes.length === 1, 20_000, 'the first write');
        expect(readFileSync(join(directory, 'acl'), 'utf8')).to.include(`user ${brokerUsername(target)}`);
        const manufacturer = harness.registry.twins.connect(harness.node.wallet(CAST.manufacturer));
        await mined(manufacturer.deactivate(target.id, 'broker-config watch test'));
        await waitUntil(() => writes.includes('event'), 20_000, 'the rewrite after the deactivation event');
        expect(writes).to.deep.equal(['start', 'event']);
        const acl = readFileSync(join(directory, 'acl'), 'utf8');
        expect(acl).to.not.include(brokerUsername(target));
        expect(readFileSync(join(directory, 'passwords'), 'utf8')).to.not.include(`${brokerUsername(target)}:`);
        // The connection it already had carries nothing more once Mosquitto reloaded the files.
        let through = true;
        for (let tries = 0; tries < 20 && through; tries++) through = await getsThrough();
        expect(through, 'the connected revoked device gets nothing through after the SIGHUP').to.equal(false);
        connected.end(true);
        // Mosquitto reloaded on SIGHUP: the revoked device's login is refused (it may take a moment to reload).
        let refused = false;
        for (let tries = 0; tries < 50 && !refused; tries++) {
          const result = await attempt(url, login(target));
          if (result instanceof Error) refused = true;
          else {
            result.end(true);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
        expect(refused, 'mosquitto refuses the revoked device after the SIGHUP').to.equal(true);
        // Everyone else still logs in.
        const other = await attempt(url, login({ kind: 'device', id: harness.devices[0]!.deviceId }));
        expect(other).to.not.be.instanceOf(Error);
        (other as MqttClient).end(true);
      } finally {
        stop.abort();
        await watching;
        provider.destroy();
      }
    });
  });

  it('gives an account without a role no login at all', async function () {
    const stranger = harness.node.wallet(9).address;
    expect(await attempt(url, login({ kind: 'oracle', id: stranger }))).to.be.instanceOf(Error);
  });
});
