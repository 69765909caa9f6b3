import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { generatePrivateKey } from '../../twin-core/src/signing/deviceKey';
import mqtt from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { signMessage } from '../../twin-core/src/signing/messageSignature';
import { CAST } from '../oracle/chain/deployOnNode';
import { brokerLogin } from '../helpers/brokerLogin';
import { developmentKey, launchChromium, signInAs, signOut, standInWallet } from '../helpers/dashboardBrowser';
import { signInSession, type TestSession } from '../helpers/siweSession';
import { eventually, RELAYER_ACCOUNT, startApiHarness, type ApiHarness } from './apiHarness';

describe('dashboard control in headless Chromium: the owner commands a simulated device and sets its desired state (real API, chain, broker, devices)', function () {
  this.timeout(240_000);
  let h: ApiHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  /** The test's own reads of Alice's state document and commands (device internals) sign in as her. */
  let aliceSession: TestSession;
  const read = (path: string) => h.request(path, { headers: aliceSession.headers });

  before(async function () {
    const launched = await launchChromium();
    if (!launched) this.skip();
    browser = launched;
    h = await startApiHarness('dashctl-control', 2, {
      API_DEMO_ACCOUNTS: JSON.stringify([
        { label: 'Alice (demo owner)', key: developmentKey(CAST.alice) },
        { label: 'Bob (demo owner)', key: developmentKey(CAST.bob) },
      ]),
    });
    aliceSession = await signInSession(h.api, h.wallet(CAST.alice));
    // The command panel is built from what the device declares in its first signed online status.
    await eventually(
      () => read(`/twins/${h.aliceTwin}/state`),
      (answer) => Array.isArray(answer.body?.capabilities?.actuators) && answer.body.reported !== null,
      30_000,
      "the device's declared capabilities",
    );
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async function () {
    await browser?.close();
    await h?.stop();
  });

  afterEach(function () {
    expect(pageErrors, 'errors thrown in the page').to.deep.equal([]);
  });

  /** The history row of the newest `command` once it is final; throws on failed/expired. */
  async function finalRow(command: string) {
    await page.waitForFunction(
      (name) => {
        const row = (globalThis as any).document.querySelector(`[data-testid=command-row][data-command="${name}"]`);
        const problem = (globalThis as any).document.querySelector('[data-testid=command-problem][data-status=error]');
        if (problem) throw new Error(`sending ${name}: ${problem.textContent}`);
        if (row && ['failed', 'expired'].includes(row.dataset.status))
          throw new Error(`${name} ${row.dataset.status}: ${row.textContent}`);
        return row?.dataset.status === 'succeeded';
      },
      command,
      { timeout: 60_000 },
    );
    return page.locator(`[data-testid=command-row][data-command="${command}"]`).first();
  }

  it("builds the owner's command panel from the device's capabilities; fan turn_on succeeds with the device's result", async function () {
    const alice = h.wallet(CAST.alice).address;
    await page.goto(`${h.services.api.url}/#/twins/${h.aliceTwin}`);
    await signInAs(page, alice);
    const declared = (await read(`/twins/${h.aliceTwin}/state`)).body.capabilities;
    await page.locator('[data-testid=actuator-fan-turn_on]').waitFor({ timeout: 20_000 });
    // One control per declared actuator, one form per built-in command but apply-state (the editor sends that).
    for (const actuator of declared.actuators) {
      expect(await page.locator(`[data-testid="actuator-${actuator.name}-turn_on"]`).count(), actuator.name).to.equal(
        1,
      );
    }
    for (const command of declared.commands.filter((name: string) => name !== 'apply-state')) {
      expect(await page.locator(`[data-testid="command-send-${command}"]`).count(), command).to.equal(1);
    }
    await page.locator('[data-testid=actuator-fan-level]').fill('80');
    await page.locator('[data-testid=actuator-fan-turn_on]').click();
    const row = await finalRow('fan');
    // The device's own result, in words: its fan reads back on at 80 %.
    expect(await row.locator('[data-testid=command-outcome]').textContent()).to.include('on at 80 %');
    expect(await row.textContent()).to.include('turn on at 80 %');
    // The actuator's line follows what the device reports.
    await page.locator('[data-testid=actuator-fan-state]', { hasText: 'Now on at 80 %' }).waitFor({ timeout: 20_000 });
    const commandId = await row.getAttribute('data-command-id');
    const recorded = await read(`/twins/${h.aliceTwin}/commands/${commandId}`);
    expect(recorded.body).to.deep.include({
      status: 'succeeded',
      result: { actuator: 'fan', state: { on: true, level: 80 } },
    });
  });

  it('sends set-intervals with its arguments and shows the refusal of a bad one before signing', async function () {
    await page.locator('[data-testid=command-arg-telemetrySeconds]').fill('0.1');
    await page.locator('[data-testid=command-send-set-intervals]').click();
    await page.locator('[data-testid=command-problem][data-status=error]', { hasText: 'Telemetry interval' }).waitFor();
    await page.locator('[data-testid=command-arg-telemetrySeconds]').fill('1');
    await page.locator('[data-testid=command-send-set-intervals]').click();
    const row = await finalRow('set-intervals');
    expect(await row.textContent()).to.include('telemetry every 1 s');
    // The device runs at the new rate: it reports the interval back in its status.
    await eventually(
      () => read(`/twins/${h.aliceTwin}/state`),
      (answer) => answer.body.reported?.intervals?.telemetrySeconds === 1,
      20_000,
      'the reported telemetry interval',
    );
  });

  it('sends a resend of a range, refusing a reversed one before signing, and shows how many went out again', async function () {
    // The form reads the twin's gaps (it says there are none, or fills them in); a range is also taken by hand.
    await page
      .locator('[data-testid=command-resend-gaps]', { hasText: /No open gap|numbers missing/ })
      .waitFor({ timeout: 20_000 });
    const latest = await read(`/twins/${h.aliceTwin}/snapshots?pageSize=1`);
    const seq = latest.body.items[0].seq as number;
    await page.locator('[data-testid=command-arg-fromSeq]').fill(String(seq));
    await page.locator('[data-testid=command-arg-toSeq]').fill(String(seq - 1));
    await page.locator('[data-testid=command-send-resend]').click();
    await page.locator('[data-testid=command-problem][data-status=error]', { hasText: 'To:' }).waitFor();
    await page.locator('[data-testid=command-arg-toSeq]').fill(String(seq));
    await page.locator('[data-testid=command-send-resend]').click();
    const row = await finalRow('resend');
    expect(await row.textContent()).to.include(`numbers ${seq}–${seq}`);
    const commandId = await row.getAttribute('data-command-id');
    const recorded = await read(`/twins/${h.aliceTwin}/commands/${commandId}`);
    expect(recorded.body).to.deep.include({ status: 'succeeded' });
    expect(recorded.body.result.resent).to.equal(1);
  });

  it('saves a desired state with If-Match and shows the delta close as the device reports', async function () {
    const before = (await read(`/twins/${h.aliceTwin}/state`)).body.version;
    await page.locator('[data-testid=state-version]', { hasText: String(before) }).waitFor();
    // Record every value the delta summary takes, to see it open and then close.
    await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const summary = doc.querySelector('[data-testid=state-delta]');
      const seen: string[] = [summary.dataset.fields];
      (globalThis as any).deltaSeen = seen;
      new (globalThis as any).MutationObserver(() => seen.push(summary.dataset.fields)).observe(summary, {
        attributes: true,
      });
    });
    await page.locator('[data-testid="desired-actuators.light-on"]').selectOption('on');
    await page.locator('[data-testid="desired-actuators.light-level"]').fill('40');
    await page.locator('[data-testid=state-save]').click();
    await page.locator('[data-testid=state-outcome][data-status=done]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=state-version]', { hasText: String(before + 1) }).waitFor();
    const light = page.locator('[data-testid=state-row][data-field="actuators.light"]');
    await light.locator('td', { hasText: 'on at 40 %' }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=state-delta][data-fields="0"]').waitFor({ timeout: 30_000 });
    expect(await light.getAttribute('data-in-sync')).to.equal('true');
    expect(await light.locator('[data-testid=state-field-status]').textContent()).to.equal('in sync');
    const seen: string[] = await page.evaluate(() => (globalThis as any).deltaSeen);
    expect(
      seen.some((count) => Number(count) > 0),
      `delta summary values ${seen.join(',')}`,
    ).to.equal(true);
    expect(seen.at(-1)).to.equal('0');
    const stored = (await read(`/twins/${h.aliceTwin}/state`)).body;
    expect(stored.desired.actuators.light).to.deep.equal({ on: true, level: 40 });
    expect(stored.reported.actuators.light).to.deep.equal({ on: true, level: 40 });
    await page.locator('[data-testid=control-slot]').screenshot({ path: join(tmpdir(), 'dashctl-control.png') });
    // Human labels, the raw document only behind its toggle.
    expect(await page.locator('[data-testid=state-raw]').getAttribute('open')).to.equal(null);
  });

  it("switches a snapshot probe off from the editor and sees the device report it (the device's declared probes only)", async function () {
    const before = (await read(`/twins/${h.aliceTwin}/state`)).body.version;
    const usb = page.locator('[data-testid=state-row][data-field="probes.usb"]');
    expect(await usb.locator('th').textContent()).to.equal('Probe: USB devices');
    expect(await usb.locator('td').nth(1).textContent()).to.equal('runs');
    // A simulated device does not sample its sensors on their own period: no such row.
    expect(await page.locator('[data-testid=state-row][data-field="intervals.sensorSeconds"]').count()).to.equal(0);
    await page.locator('[data-testid="desired-probes.usb"]').selectOption('off');
    await page.locator('[data-testid=state-save]').click();
    await page
      .locator('[data-testid=state-outcome][data-status=done]', { hasText: `version ${before + 1}` })
      .waitFor({ timeout: 30_000 });
    // The second cell: what the device reports.
    await usb.locator('td:nth-of-type(2)', { hasText: /^off$/ }).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid=state-delta][data-fields="0"]').waitFor({ timeout: 30_000 });
    expect(await usb.getAttribute('data-in-sync')).to.equal('true');
    const stored = (await read(`/twins/${h.aliceTwin}/state`)).body;
    expect(stored.desired.probes).to.deep.equal({ usb: false });
    expect(stored.reported.probes.usb).to.equal(false);
    // The light set before stays desired: the form sends what it shows.
    expect(stored.desired.actuators.light).to.deep.equal({ on: true, level: 40 });
  });

  it('shows a 412 conflict when another write came first, and reloads the newer version', async function () {
    const alice = h.wallet(CAST.alice);
    const current = (await read(`/twins/${h.aliceTwin}/state`)).body.version;
    await page.locator('[data-testid="desired-actuators.fan-on"]').selectOption('off');
    // Meanwhile, another of Alice's sessions saves version current + 1.
    const built = await h.request(`/twins/${h.aliceTwin}/commands/typed-data`, {
      method: 'POST',
      body: JSON.stringify({
        command: 'apply-state',
        args: { desired: { actuators: { fan: { on: true, level: 30 } } }, version: current + 1 },
      }),
    });
    const { domain, types, message } = built.body.typedData;
    const sig = await alice.signTypedData(domain, types, message);
    const elsewhere = await h.request(`/twins/${h.aliceTwin}/state`, {
      method: 'PUT',
      headers: { 'if-match': `"${current}"` },
      body: JSON.stringify({ ...built.body.command, sig }),
    });
    expect(elsewhere.status, JSON.stringify(elsewhere.body)).to.equal(200);
    // The stream brings the other version: the page warns before the save is even tried.
    await page.locator('[data-testid=state-stale]:not([hidden])').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=state-stale]').textContent()).to.include(`based on version ${current}`);
    await page.locator('[data-testid=state-save]').click();
    await page.locator('[data-testid=state-conflict]:not([hidden])').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=state-outcome]').textContent()).to.include('changed since you loaded it');
    await page.locator('[data-testid=state-reload]').click();
    await page
      .locator('[data-testid=state-outcome][data-status=done]', { hasText: `Reloaded version ${current + 1}` })
      .waitFor();
    expect(await page.locator('[data-testid=state-version]').textContent()).to.equal(String(current + 1));
    expect(await page.locator('[data-testid="desired-actuators.fan-on"]').inputValue()).to.equal('on');
    expect(await page.locator('[data-testid="desired-actuators.fan-level"]').inputValue()).to.equal('30');
    expect(await page.locator('[data-testid=state-conflict]').isHidden()).to.equal(true);
    expect(await page.locator('[data-testid=state-stale]').isHidden()).to.equal(true);
    // Nothing of the refused edit was stored.
    expect((await read(`/twins/${h.aliceTwin}/state`)).body.desired.actuators.fan).to.deep.equal({
      on: true,
      level: 30,
    });
  });

  it('shows, live from the event stream, a command the device answers with failure and one that expires', async function () {
    const alice = h.wallet(CAST.alice);
    const device = h.harness.devices[0]!;
    const signed = async (draft: object) => {
      const built = await h.request(`/twins/${h.aliceTwin}/commands/typed-data`, {
        method: 'POST',
        body: JSON.stringify(draft),
      });
      const { domain, types, message } = built.body.typedData;
      return {
        body: { ...built.body.command, sig: await alice.signTypedData(domain, types, message) },
        commandId: built.body.commandId,
      };
    };
    // Each command reaches the device first straight from the broker (an API login may publish commands): the one the
    // API then relays is a replay the device ignores, so only the test's own answers (signed by the device key) count.
    const relayer = h.wallet(RELAYER_ACCOUNT);
    const listener = await mqtt.connectAsync(
      h.services.mqttUrl,
      brokerLogin(h.harness.deploymentFile, { kind: 'api', id: relayer.address as Hex }, relayer.privateKey),
    );
    const deviceClient = await mqtt.connectAsync(
      h.services.mqttUrl,
      brokerLogin(h.harness.deploymentFile, { kind: 'device', id: h.aliceTwin as Hex }, device.privateKey),
    );
    try {
      const silent = await signed({ command: 'ping', expiry: Math.floor(Date.now() / 1000) + 2 });
      const answered = await signed({ command: 'ping' });
      for (const { body } of [silent, answered])
        await listener.publishAsync(
          deviceTopic(h.aliceTwin as Hex, 'command'),
          JSON.stringify({ v: 1, kind: 'command', deviceId: h.aliceTwin, ...body }),
          { qos: 1 },
        );
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const { body } of [silent, answered]) {
        const posted = await h.request(`/twins/${h.aliceTwin}/commands`, {
          method: 'POST',
          body: JSON.stringify(body),
        });
        expect(posted.status, JSON.stringify(posted.body)).to.equal(202);
      }
      const reply = signMessage(
        {
          v: 1,
          kind: 'reply',
          deviceId: h.aliceTwin,
          seq: 1,
          ts: new Date().toISOString(),
          body: { commandId: answered.commandId, status: 'failed', error: { code: 'busy', message: 'try later' } },
        },
        device.privateKey,
      );
      await deviceClient.publishAsync(deviceTopic(h.aliceTwin as Hex, 'reply'), JSON.stringify(reply), { qos: 1 });
      const failed = page.locator(
        `[data-testid=command-row][data-command-id="${answered.commandId}"][data-status=failed]`,
      );
      await failed.waitFor({ timeout: 30_000 });
      expect(await failed.locator('[data-testid=command-outcome]').textContent()).to.equal('try later (busy)');
      const expired = page.locator(
        `[data-testid=command-row][data-command-id="${silent.commandId}"][data-status=expired]`,
      );
      await expired.waitFor({ timeout: 30_000 });
      expect(await expired.locator('[data-testid=command-status]').textContent()).to.include(
        'unanswered before its expiry',
      );
    } finally {
      await listener.endAsync();
      await deviceClient.endAsync();
    }
  });

  it('signs a command with an EIP-1193 wallet (eth_signTypedData_v4) and the device obeys', async function () {
    const alice = h.wallet(CAST.alice).address;
    const walletContext = await browser.newContext();
    await walletContext.addInitScript({ content: standInWallet(developmentKey(CAST.alice)) });
    const walletPage = await walletContext.newPage();
    walletPage.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await walletPage.goto(`${h.services.api.url}/#/twins/${h.aliceTwin}`);
      await walletPage.locator('[data-testid=sign-in]').click();
      await walletPage.locator('[data-testid=sign-in-wallet]:not([disabled])').click();
      await walletPage.locator(`[data-testid=session-who][data-address="${alice}"]`).waitFor({ timeout: 20_000 });
      await walletPage.locator('[data-testid=actuator-light-turn_off]').click();
      await walletPage
        .locator('[data-testid=command-row][data-command=light][data-status=succeeded]')
        .waitFor({ timeout: 30_000 });
      expect(
        await walletPage
          .locator('[data-testid=command-row][data-command=light] [data-testid=command-outcome]')
          .first()
          .textContent(),
      ).to.include('off');
    } finally {
      await walletContext.close();
    }
  });

  it('gives a non-owner no controls, saying why, and a visitor a prompt to sign in', async function () {
    await signInAs(page, h.wallet(CAST.bob).address);
    await page.goto(`${h.services.api.url}/#/twins/${h.aliceTwin}`);
    await page.locator('[data-testid=control-not-owner]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=control-not-owner]').textContent()).to.include('Only this twin’s owner');
    const slot = page.locator('[data-testid=control-slot]');
    expect(await slot.locator('button, input, select').count()).to.equal(0);
    expect(await slot.locator('[data-testid=command-panel], [data-testid=state-editor]').count()).to.equal(0);
    await signOut(page);
    await page.locator('[data-testid=control-sign-in]').waitFor({ timeout: 20_000 });
    expect(await slot.locator('button, input, select').count()).to.equal(0);
  });

  it("exposes the device follower's counters on /metrics: replies applied, device messages refused by reason", async function () {
    const device = h.harness.devices[0]!;
    const client = await mqtt.connectAsync(
      h.services.mqttUrl,
      brokerLogin(h.harness.deploymentFile, { kind: 'device', id: h.aliceTwin as Hex }, device.privateKey),
    );
    try {
      await client.publishAsync(deviceTopic(h.aliceTwin as Hex, 'reply'), 'not json', { qos: 1 });
      // A well-formed answer signed by a key the chain does not vouch for.
      const forged = signMessage(
        {
          v: 1,
          kind: 'reply',
          deviceId: h.aliceTwin,
          seq: 1,
          ts: new Date().toISOString(),
          body: { commandId: `0x${'ab'.repeat(32)}`, status: 'delivered' },
        },
        generatePrivateKey(),
      );
      await client.publishAsync(deviceTopic(h.aliceTwin as Hex, 'reply'), JSON.stringify(forged), { qos: 1 });
    } finally {
      await client.endAsync();
    }
    const metric = (text: string, series: string) => {
      const line = text.split('\n').find((item) => item.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const scraped = await eventually(
      () => h.request('/metrics'),
      (answer) =>
        (metric(answer.body, 'twin_api_device_messages_refused_total{reason="not-json"}') ?? 0) >= 1 &&
        (metric(answer.body, 'twin_api_device_messages_refused_total{reason="wrong-signer"}') ?? 0) >= 1,
      20_000,
      'the refusal counters',
    );
    const stats = h.services.api.context.devices.stats();
    expect(metric(scraped.body, 'twin_api_device_messages_refused_total{reason="not-json"}')).to.equal(
      stats.refused['not-json'],
    );
    // The commands of the tests above were answered: replies applied.
    expect(metric(scraped.body, 'twin_api_device_replies_total')).to.be.at.least(4);
    expect(scraped.body).to.include('# HELP twin_api_device_messages_refused_total');
  });
});
