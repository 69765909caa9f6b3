import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAgentConfig, type AgentConfig } from '../../agent/src/config';
import { readDeviceIdentity, runAgent, type RunningAgent } from '../../agent/src/runAgent';
import { brokerRealm } from '../../twin-core/src/broker/principal';
import { readDeployment } from '../../twin-core/src/deployment/deployment';
import { twinMintFields } from '../../twin-core/src/static/mintFields';
import { PROBE_DISABLED } from '../../agent/src/collect/probeSwitches';
// A brand the test chain's manufacturer holds (the simulator's).
import { SIMULATED_MANUFACTURERS } from '../../agent/src/simulate';
import { CAST, mined, mintOnNode } from '../oracle/chain/deployOnNode';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { developmentKey, launchChromium, signInAs } from '../helpers/dashboardBrowser';
import { eventually, nextEvent, startApiHarness, type ApiHarness } from './apiHarness';

describe("the state document with a real agent: the owner's desired state reaches it through the API and its delta closes (real chain, broker, oracle, API)", function () {
  this.timeout(180_000);
  let h: ApiHarness;
  let directory: string;
  let agent: RunningAgent | undefined;
  let deviceId: string;
  let owner: TestSession;

  before(async function () {
    h = await startApiHarness('state-agent', 1, {
      API_DEMO_ACCOUNTS: JSON.stringify([{ label: 'Alice (demo owner)', key: developmentKey(CAST.alice) }]),
    });
    directory = mkdtempSync(join(tmpdir(), 'state-agent-'));
    writeFileSync(join(directory, 'soil'), '41\n');
    const config: AgentConfig = {
      ...loadAgentConfig({
        environment: {
          TWIN_AGENT_MQTT_URL: h.services.mqttUrl,
          // The embedded broker of the registry: the device logs in with a token its key signs for this deployment.
          TWIN_AGENT_MQTT_REALM: brokerRealm(readDeployment(h.harness.deploymentFile)),
          TWIN_AGENT_DATA_DIR: directory,
          TWIN_AGENT_TELEMETRY_INTERVAL_SECONDS: '1',
          TWIN_AGENT_SNAPSHOT_INTERVAL_SECONDS: '3600',
          TWIN_AGENT_RECONNECT_MIN_MS: '200',
          TWIN_AGENT_RECONNECT_MAX_MS: '1000',
          // The owner comes from the twin record the oracle signs (its key pinned here).
          TWIN_AGENT_ORACLE_ADDRESSES: h.wallet(CAST.oracle).address,
          TWIN_AGENT_ACTUATORS: JSON.stringify([{ name: 'light', type: 'light', driver: 'memory' }]),
        },
        file: undefined,
      }),
      sensors: [{ name: 'soil', unit: '%', file: join(directory, 'soil'), scale: 1, offset: 0 }],
      identity: {
        serialNumber: 'state-agent-1',
        manufacturer: SIMULATED_MANUFACTURERS[0]!,
        hardwareModel: 'Box',
        hardwareRevision: '1',
      },
    };
    // The agent's own static document and key, minted by the manufacturer and sold to Alice.
    const identity = await readDeviceIdentity(config, {});
    deviceId = identity.deviceId;
    await mintOnNode(h.harness.node, h.harness.registry, twinMintFields(identity.staticDocument), identity.key);
    const manufacturer = h.wallet(CAST.manufacturer);
    await mined(
      h.harness.registry.twins
        .connect(manufacturer)
        ['safeTransferFrom(address,address,uint256)'](manufacturer.address, h.wallet(CAST.alice).address, deviceId),
    );
    agent = await runAgent({ config, environment: {} });
    // Commands and the state document are device internals: read as the owner.
    owner = await signInSession(h.api, h.wallet(CAST.alice));
    // The API knows the twin, and the agent's signed online status with its capabilities.
    await eventually(
      () => h.request(`/twins/${deviceId}/state`, { headers: owner.headers }),
      (answer) => answer.status === 200 && answer.body.capabilities?.sensorSampling === true,
      60_000,
      "the agent's declared capabilities",
    );
    // The agent obeys Alice once the oracle's retained twin record reached it: pinged until it answers.
    await eventually(
      () =>
        send({ command: 'ping', expiry: Math.floor(Date.now() / 1000) + 3 })
          .then(
            () => undefined,
            () => undefined,
          )
          .then(() => pinged),
      (answered) => answered,
      60_000,
      'an answered ping',
      3_500,
    );
  });

  let pinged = false;
  /** Builds, signs (Alice) and sends a command; resolves with its final status (pinged set when a ping succeeded). */
  async function send(draft: object) {
    const alice = h.wallet(CAST.alice);
    const built = await h.request(`/twins/${deviceId}/commands/typed-data`, {
      method: 'POST',
      body: JSON.stringify(draft),
    });
    expect(built.status, JSON.stringify(built.body)).to.equal(200);
    const { domain, types, message } = built.body.typedData;
    const sig = await alice.signTypedData(domain, types, message);
    const sent = await h.request(`/twins/${deviceId}/commands`, {
      method: 'POST',
      body: JSON.stringify({ ...built.body.command, sig }),
    });
    expect(sent.status, JSON.stringify(sent.body)).to.equal(202);
    const final = await eventually(
      () => h.request(`/twins/${deviceId}/commands/${built.body.commandId}`, { headers: owner.headers }),
      (answer) => ['succeeded', 'failed', 'expired'].includes(answer.body.status),
      30_000,
      'the answer',
    );
    if (final.body.status === 'succeeded' && (draft as { command: string }).command === 'ping') pinged = true;
    return final.body;
  }

  after(async function () {
    await agent?.stop().catch(() => undefined);
    await h?.stop();
    rmSync(directory, { recursive: true, force: true });
  });

  it('reports what the agent declares: intervals, every probe running, its light', async function () {
    const { body } = await h.request(`/twins/${deviceId}/state`, { headers: owner.headers });
    expect(body).to.deep.include({ version: 0, desired: {}, delta: {} });
    expect(body.reported.intervals).to.include({ telemetrySeconds: 1, snapshotSeconds: 3600 });
    expect(body.reported.probes).to.include({ usb: true, processes: true });
    expect(body.reported.actuators.light).to.deep.equal({ on: false, level: 0 });
    expect(body.capabilities.probes).to.include.members(['usb', 'processes', 'sensors']);
  });

  it('a signed PUT reaches the agent, which applies intervals, sensor sampling, probes and its light; the delta closes', async function () {
    const alice = h.wallet(CAST.alice);
    const desired = {
      intervals: { snapshotSeconds: 600, sensorSeconds: 3600 },
      probes: { usb: false },
      actuators: { light: { on: true, level: 30 } },
    };
    // The agent learns its owner from the oracle's retained twin record: the API may relay before it has; retried.
    const converged = nextEvent(
      `${h.api}/events?deviceId=${deviceId}&types=state-document&access_token=${owner.token}`,
      'state-document',
      (data) => data.version === 1 && Object.keys(data.delta).length === 0,
      60_000,
    );
    const built = await h.request(`/twins/${deviceId}/commands/typed-data`, {
      method: 'POST',
      body: JSON.stringify({ command: 'apply-state', args: { desired, version: 1 } }),
    });
    expect(built.status, JSON.stringify(built.body)).to.equal(200);
    const { domain, types, message } = built.body.typedData;
    const sig = await alice.signTypedData(domain, types, message);
    const put = await h.request(`/twins/${deviceId}/state`, {
      method: 'PUT',
      headers: { 'if-match': '"0"' },
      body: JSON.stringify({ ...built.body.command, sig }),
    });
    expect(put.status, JSON.stringify(put.body)).to.equal(200);
    expect(Object.keys(put.body.delta)).to.have.members(['intervals', 'probes', 'actuators']);
    const final = await eventually(
      () => h.request(`/twins/${deviceId}/commands/${put.body.commandId}`, { headers: owner.headers }),
      (answer) => ['succeeded', 'failed', 'expired'].includes(answer.body.status),
      60_000,
      'the apply-state answer',
    );
    expect(final.body.status, JSON.stringify(final.body)).to.equal('succeeded');
    const closed = await eventually(
      () => h.request(`/twins/${deviceId}/state`, { headers: owner.headers }),
      (answer) => Object.keys(answer.body.delta).length === 0,
      30_000,
      'the delta closed',
    );
    expect(closed.body.reported.intervals).to.include({ snapshotSeconds: 600, sensorSeconds: 3600 });
    expect(closed.body.reported.probes).to.include({ usb: false, processes: true });
    expect(closed.body.reported.actuators.light).to.deep.equal({ on: true, level: 30 });
    expect((await converged).data.reported.probes.usb).to.equal(false);
    // And the agent really runs that way.
    expect(agent!.intervals).to.include({ snapshotSeconds: 600, sensorSeconds: 3600 });
  });

  it("the agent's next snapshot, read through the API, has the switched-off probe disabled", async function () {
    // The snapshot collected on this command (the one of the agent's start, before any desired state, may be
    // indexed late): collected from now on.
    const sentAt = Date.now();
    expect((await send({ command: 'collect-snapshot' })).status).to.equal('succeeded');
    const twin = await eventually(
      () => h.request(`/twins/${deviceId}`),
      (answer) => answer.body.latestSnapshot != null && Date.parse(answer.body.latestSnapshot.collectedAt) >= sentAt,
      60_000,
      'a new snapshot',
    );
    const seq = twin.body.latestSnapshot.seq;
    // Device internals: read as the owner.
    const { headers } = await signInSession(h.api, h.wallet(CAST.alice));
    const snapshot = await h.request(`/twins/${deviceId}/snapshots/${seq}`, { headers });
    expect(snapshot.status, JSON.stringify(snapshot.body).slice(0, 300)).to.equal(200);
    const body = snapshot.body.message.body;
    expect(body.usb).to.deep.equal({ available: false, reason: PROBE_DISABLED });
    expect(body.memory.available).to.equal(true);
  });

  it('from the dashboard alone (Chromium), the owner turns the light off and switches the probe on again; the agent obeys', async function () {
    const browser = await launchChromium();
    if (!browser) this.skip();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(`${h.services.api.url}/#/twins/${deviceId}`);
      await signInAs(page, h.wallet(CAST.alice).address);
      // The command panel, built from what the agent declares: its light, now on at 30 %.
      await page
        .locator('[data-testid=actuator-light-state]', { hasText: 'Now on at 30 %' })
        .waitFor({ timeout: 30_000 });
      await page.locator('[data-testid=actuator-light-turn_off]').click();
      await page
        .locator('[data-testid=command-row][data-command=light][data-status=succeeded]')
        .waitFor({ timeout: 30_000 });
      await page.locator('[data-testid=actuator-light-state]', { hasText: 'Now off' }).waitFor({ timeout: 30_000 });
      // The desired-state editor: the agent's probes are fields; USB back on, and the delta closes.
      const usb = page.locator('[data-testid=state-row][data-field="probes.usb"]');
      await usb.waitFor({ timeout: 20_000 });
      expect(await page.locator('[data-testid=state-row][data-field="intervals.sensorSeconds"]').count()).to.equal(1);
      const version = Number(await page.locator('[data-testid=state-version]').textContent());
      await page.locator('[data-testid="desired-probes.usb"]').selectOption('on');
      // The light is desired off too, as it now is (else the saved document would still want it on).
      await page.locator('[data-testid="desired-actuators.light-on"]').selectOption('off');
      await page.locator('[data-testid=state-save]').click();
      await page
        .locator('[data-testid=state-outcome][data-status=done]', { hasText: `version ${version + 1}` })
        .waitFor({ timeout: 30_000 });
      await usb.locator('td:nth-of-type(2)', { hasText: /^runs$/ }).waitFor({ timeout: 30_000 });
      await page.locator('[data-testid=state-delta][data-fields="0"]').waitFor({ timeout: 30_000 });
      const stored = (await h.request(`/twins/${deviceId}/state`, { headers: owner.headers })).body;
      expect(stored.reported.probes.usb).to.equal(true);
      expect(stored.reported.actuators.light.on).to.equal(false);
      expect(errors, 'errors thrown in the page').to.deep.equal([]);
    } finally {
      await browser!.close();
    }
  });
});
