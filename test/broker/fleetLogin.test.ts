import { expect } from 'chai';
import { JsonRpcProvider } from 'ethers';
import { createBrokerAuthorizer, createBrokerDirectory, type AedesClient } from '../../broker/src';
import { upsertTwin, type Store } from '../../store/src';
import {
  brokerRealm,
  fleetBrokerCredentials,
  generatePrivateKey,
  privateKeyToAddress,
  type Hex,
  type PrivateKey,
} from '../../twin-core/src';
import { deployOnNode, type NodeRegistry } from '../oracle/chain/deployOnNode';
import { startHardhatNode, type HardhatNode } from '../oracle/chain/hardhatNode';
import { createTestDatabase } from '../helpers/store';

const deviceIdOf = (n: number) => `0x${(0xf1ee7n * 2n ** 200n + BigInt(n)).toString(16).padStart(64, '0')}` as Hex;
const OWNER = '0x00000000000000000000000000000000000000b2';
const DEVICES = 400;
const LOGINS = 25;

type Login = { error: (Error & { returnCode?: number }) | null; success: boolean; client: AedesClient };

// The simulator's fleet logins at 10,000 devices (issue 15): 25 tokens of 400 devices at once, on a pool of two
// connections whose wait is bounded at 2 s. One statement per login at most reads all its twins (the mirror's),
// logins at once sharing statements.
describe('A fleet login of 400 devices (the broker over the chain mirror in the shared index)', function () {
  this.timeout(120_000);
  let node: HardhatNode;
  let registry: NodeRegistry;
  let provider: JsonRpcProvider;
  let store: Store;
  const statements: string[] = [];
  const devices: { deviceId: Hex; key: PrivateKey }[] = [];
  const wrongKey = generatePrivateKey();

  before(async function () {
    node = await startHardhatNode();
    registry = await deployOnNode(node);
    provider = new JsonRpcProvider(node.url, registry.deployment.chainId, { staticNetwork: true });
    // Two connections, a wait bounded at 2 s: 25 logins of one statement each fit, one statement per device (10,000)
    // would not. Both connections are opened first, so the bound covers waits for the pool, not a loaded machine's
    // slow connection start.
    store = await (await createTestDatabase()).open({ poolSize: 2, connectTimeoutMs: 2_000 });
    await Promise.all([0, 1].map(() => store.query('SELECT pg_sleep(0.05)')));
    for (let n = 0; n < DEVICES; n++) devices.push({ deviceId: deviceIdOf(n), key: generatePrivateKey() });
    // As the chain mirror records them: device 0 deactivated, device 1 with another device signer, device 2 on no
    // chain and in no mirror (unknown).
    for (const [n, device] of devices.entries()) {
      if (n === 2) continue;
      await upsertTwin(store, {
        deviceId: device.deviceId,
        owner: OWNER,
        manufacturer: OWNER,
        deviceSigner: privateKeyToAddress(n === 1 ? wrongKey : device.key),
        state: n === 0 ? 'deactivated' : 'active',
        forSale: false,
        price: 0n,
        staticHash: `0x${'ab'.repeat(32)}`,
        staticCid: 'bafk',
        updateCount: 0,
        reviewRequested: false,
        mintedBlock: 1,
        updatedBlock: 1,
      });
    }
  });
  after(async () => {
    provider?.destroy();
    await store?.close();
    await node?.stop();
  });

  const authorizerOf = () => {
    // The store as the directory sees it, its statements counted by name.
    const counted: Store = {
      ...store,
      query: (statement, values) => {
        statements.push(typeof statement === 'string' ? statement : statement.name);
        return store.query(statement, values);
      },
    };
    const directory = createBrokerDirectory({ provider, deployment: registry.deployment, index: counted });
    return createBrokerAuthorizer({ directory, realm: brokerRealm(registry.deployment) });
  };
  const login = (authorizer: ReturnType<typeof authorizerOf>, key: PrivateKey, of: typeof devices) => {
    const [{ credentials }] = fleetBrokerCredentials({ key, realm: brokerRealm(registry.deployment), devices: of });
    const client: AedesClient = { id: credentials.clientId, close: () => undefined };
    return new Promise<Login>((resolve) =>
      authorizer.hooks.authenticate(client, credentials.username, Buffer.from(credentials.password), (error, success) =>
        resolve({ error, success, client }),
      ),
    );
  };
  /** Where the broker puts a fleet's publish on a device's telemetry topic (the dropped topic for a refused device). */
  const publishedTo = (authorizer: ReturnType<typeof authorizerOf>, client: AedesClient, deviceId: string) =>
    new Promise<string>((resolve, reject) => {
      const packet = { topic: `twins/${deviceId}/telemetry`, payload: 'x' };
      authorizer.hooks.authorizePublish(client, packet, (error) => (error ? reject(error) : resolve(packet.topic)));
    });

  it('accepts 25 simultaneous logins, at most one statement each, every device judged as its own login would be', async function () {
    const authorizer = authorizerOf();
    statements.length = 0;
    const logins = await Promise.all(
      Array.from({ length: LOGINS }, () => login(authorizer, generatePrivateKey(), devices)),
    );
    expect(logins.map((result) => result.error?.message ?? null)).to.deep.equal(Array(LOGINS).fill(null));
    expect(logins.every((result) => result.success)).to.equal(true);
    // At most one statement per login (logins at once share them: 25 × 400 DeviceIDs, 1,000 a statement at most).
    const reads = statements.filter((name) => name === 'store.twins.getMany').length;
    expect(reads).to.be.within(1, LOGINS);
    expect(statements.filter((name) => name === 'store.twins.get')).to.have.length(0);
    const { client } = logins[0]!;
    expect(await publishedTo(authorizer, client, devices[3]!.deviceId)).to.equal(
      `twins/${devices[3]!.deviceId}/telemetry`,
    );
    expect(await publishedTo(authorizer, client, devices[DEVICES - 1]!.deviceId)).to.match(/telemetry$/);
    // The deactivated, the re-keyed and the unknown device: proved by the token, not vouched for by the chain.
    for (const n of [0, 1, 2])
      expect(await publishedTo(authorizer, client, devices[n]!.deviceId)).to.equal('$twin/dropped');
    expect(authorizer.stats()).to.include({ connectionsAccepted: LOGINS, connected: LOGINS });
  });

  it('refuses a fleet whose devices the chain all refuses with the reason of each, as a device login', async function () {
    const authorizer = authorizerOf();
    const reasons: string[] = [];
    for (const n of [0, 1, 2]) {
      const result = await login(authorizer, generatePrivateKey(), [devices[n]!]);
      expect(result.success).to.equal(false);
      expect(result.error?.returnCode).to.equal(5);
      reasons.push(Object.keys(authorizer.stats().connectionsRefused).at(-1)!);
    }
    expect(reasons).to.deep.equal(['deactivated', 'wrong-device-key', 'unknown-device']);
    expect(authorizer.stats().connectionsRefused).to.deep.equal({
      deactivated: 1,
      'wrong-device-key': 1,
      'unknown-device': 1,
    });
  });
});
