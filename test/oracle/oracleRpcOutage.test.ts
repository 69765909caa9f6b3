import { expect } from 'chai';
import { loadOracleConfig } from '../../oracle/src/config';
import { runOracle, type RunningOracle } from '../../oracle/src/runOracle';
import { startAedes, waitUntil, type AedesBroker } from '../helpers/brokers';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy';
import { waitFor } from './waitFor';
import { startOracleHarness, type OracleHarness } from './oracleHarness';

const SEED = 'oracle-outage';
const DEVICES = 3;

describe('The oracle through an RPC outage (its JSON-RPC endpoint behind a TCP proxy that is cut)', function () {
  this.timeout(240_000);
  let harness: OracleHarness;
  let broker: AedesBroker;
  let proxy: TcpProxy;
  let oracle: RunningOracle | undefined;

  before(async () => {
    harness = await startOracleHarness(SEED, DEVICES);
    broker = await startAedes();
    proxy = await startTcpProxy(Number(new URL(harness.node.url).port));
  });
  after(async () => {
    await oracle?.stop().catch(() => undefined);
    await proxy?.close();
    await broker?.stop();
    await harness?.stop();
  });

  it('keeps accepting while the chain is unreachable, and the backlog drains when it returns', async function () {
    const config = loadOracleConfig({
      environment: harness.oracleEnvironment(broker.url, {
        RPC_URL: proxy.url,
        ORACLE_MQTT_PROTOCOL_VERSION: '4',
        ORACLE_MQTT_SHARED: 'false',
      }),
    });
    oracle = await runOracle(config, undefined, { index: harness.index });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await proxy.cut();

    const produced = await harness.publishFromDevices(broker.url, 3);
    await waitUntil(() => oracle!.stats().accepted >= produced, 30_000, 'the snapshots accepted during the outage');
    expect(oracle.stats().anchoredSnapshots).to.equal(0);

    await proxy.restore();
    await waitFor(async () => oracle!.stats().anchoredSnapshots >= produced, 120_000, 'the backlog to drain');
    const rows = await harness.anchoredSnapshots();
    expect(rows).to.have.length(produced);
    const events = await harness.registry.anchor.queryFilter(harness.registry.anchor.filters.BatchAnchored(), 0);
    expect(events.reduce((sum, event) => sum + Number(event.args.leafCount), 0)).to.equal(produced);
  });
});
