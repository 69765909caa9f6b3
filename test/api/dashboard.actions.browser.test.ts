import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Hex } from '../../twin-core/src/encoding/hex';
import { deviceTopic } from '../../twin-core/src/messages/topics';
import { computeDeviceId, formatDeviceId } from '../../twin-core/src/identity/deviceId';
import { signMintAttestation } from '../../twin-core/src/signing/mintAttestation';
import { signMessage } from '../../twin-core/src/signing/messageSignature';
import { CAST } from '../oracle/chain/deployOnNode';
import { brokerLogin } from '../helpers/brokerLogin';
import { signInSession } from '../helpers/siweSession';
import { developmentKey, launchChromium, signInAs, signOut, standInWallet } from '../helpers/dashboardBrowser';
import { eventually, startApiHarness, type ApiHarness } from './apiHarness';

describe('dashboard actions in headless Chromium: sign-in, buy, triage (real API, oracle, chain, broker, IPFS)', function () {
  this.timeout(240_000);
  let h: ApiHarness;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    const launched = await launchChromium();
    if (!launched) this.skip();
    browser = launched;
    h = await startApiHarness('api-actions', 2, {
      API_DEMO_ACCOUNTS: JSON.stringify([
        { label: 'Raspberry Pi Ltd (demo manufacturer)', key: developmentKey(CAST.manufacturer) },
        { label: 'Alice (demo owner)', key: developmentKey(CAST.alice) },
        { label: 'Twin SOC (demo security entity)', key: developmentKey(CAST.security) },
      ]),
    });
    await eventually(
      () => h.request(`/twins/${h.aliceTwin}`),
      (answer) => answer.body.static !== null,
      30_000,
      "the twin's static document",
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

  /** The newest outcome line of `action` once it is `done` (its transaction's event came back on the stream). */
  async function outcomeDone(target: Page, action: string) {
    const line = target.locator(`[data-testid=action-outcome][data-action="${action}"]`).first();
    await target.waitForFunction(
      (name) => {
        const el = (globalThis as any).document.querySelector(`[data-testid=action-outcome][data-action="${name}"]`);
        if (el?.dataset.status === 'error') throw new Error(`${name} failed: ${el.textContent}`);
        return el?.dataset.status === 'done';
      },
      action,
      { timeout: 60_000 },
    );
    return (await line.textContent()) ?? '';
  }

  it('offers the demo accounts labelled as development keys and signs in with one through SIWE', async function () {
    await page.goto(`${h.services.api.url}/#/`);
    await page.locator('[data-testid=sign-in]').click();
    await page.locator('[data-testid=demo-account]').first().waitFor();
    expect(await page.locator('[data-testid=sign-in-panel]').textContent()).to.include('development keys');
    expect(await page.locator('[data-testid=dev-key-warning]').textContent()).to.include(
      'Never use them anywhere else',
    );
    expect(await page.locator('[data-testid=demo-account]').count()).to.equal(3);
    await page.locator('[data-testid=sign-in-panel] button', { hasText: 'Cancel' }).click();
    const alice = h.wallet(CAST.alice).address;
    await signInAs(page, alice);
    expect((await page.locator('[data-testid=session-who]').textContent())?.trim()).to.match(/^Alice\s+owner$/);
    // The token is the API's: it reads the session back.
    const token = await page.evaluate(
      () => JSON.parse((globalThis as any).sessionStorage.getItem('twin-dashboard-session')).token,
    );
    const sessionAnswer = await h.request('/auth/session', { headers: { authorization: `Bearer ${token}` } });
    expect(sessionAnswer.body).to.include({ address: alice, role: 'owner' });
  });

  it('lets the owner list a twin, and the listing appears live', async function () {
    await page.goto(`${h.services.api.url}/#/twins/${h.aliceTwin}`);
    await page.locator('[data-testid=action-list]').waitFor();
    await page.locator('[data-testid=list-price]').fill('0.25');
    await page.locator('[data-testid=action-list]').click();
    expect(await outcomeDone(page, 'list')).to.include('On chain: TwinListed');
    await page
      .locator('[data-testid=twin-header] [data-testid=price]', { hasText: '0.25 ETH' })
      .waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(tmpdir(), 'dashboard-twin-actions.png'), fullPage: false });
    await signOut(page);
  });

  it('signs in with an EIP-1193 wallet and buys the twin: a deposit, then a relayed buyWithBalance', async function () {
    const bobKey = developmentKey(CAST.bob);
    const bob = h.wallet(CAST.bob).address;
    const walletContext = await browser.newContext();
    await walletContext.addInitScript({ content: standInWallet(bobKey) });
    const walletPage = await walletContext.newPage();
    walletPage.on('pageerror', (error) => pageErrors.push(error.message));
    try {
      await walletPage.goto(`${h.services.api.url}/#/twins/${h.aliceTwin}`);
      await walletPage.locator('[data-testid=sign-in]').click();
      await walletPage.locator('[data-testid=sign-in-wallet]:not([disabled])').click();
      await walletPage
        .locator(`[data-testid=session-who][data-address="${bob}"]`)
        .waitFor({ timeout: 20_000 })
        .catch(async (error) => {
          throw new Error(`${error.message}; banner: ${await walletPage.locator('[data-testid=error]').textContent()}`);
        });
      expect((await walletPage.locator('[data-testid=session-who]').textContent())?.trim()).to.match(/^Bob\s+owner$/);
      await walletPage.locator('[data-testid=action-buy]').click();
      expect(await outcomeDone(walletPage, 'buy')).to.include('On chain:');
      await walletPage.locator('[data-testid=twin-header]', { hasText: 'Bob' }).waitFor({ timeout: 20_000 });
      const twin = await h.request(`/twins/${h.aliceTwin}`);
      expect(twin.body.twin.owner).to.equal(bob);
      expect(twin.body.twin.forSale).to.equal(false);
      // Bob now owns it: the owner's forms replace the purchase.
      await walletPage.locator('[data-testid=action-list]').waitFor();
      // And reports it lost, through the same wallet.
      await walletPage.locator('[data-testid=reportLost-reason]').fill('taken from the greenhouse');
      await walletPage.locator('[data-testid=action-reportLost]').click();
      expect(await outcomeDone(walletPage, 'reportLost')).to.include('On chain:');
      await walletPage
        .locator('[data-testid=twin-header] [data-testid=state-badge][data-state=lost]')
        .waitFor({ timeout: 20_000 });
    } finally {
      await walletContext.close();
    }
  });

  it("lets the seller withdraw the sale's proceeds", async function () {
    const alice = h.wallet(CAST.alice).address;
    const before = await h.wallet(CAST.alice).provider!.getBalance(alice);
    await page.goto(`${h.services.api.url}/#/twins/${h.aliceTwin}`);
    await signInAs(page, alice);
    await page.locator('[data-testid=action-withdraw]').click();
    expect(await outcomeDone(page, 'withdraw')).to.include('On chain');
    // The relayer paid the gas: Alice gets the whole 0.25 ETH.
    const after = await h.wallet(CAST.alice).provider!.getBalance(alice);
    expect(after - before).to.equal(250_000_000_000_000_000n);
    // Nothing left: a second withdrawal is refused in the page, before anything is signed.
    await page.locator('[data-testid=action-withdraw]').click();
    await page.locator('[data-testid=action-outcome][data-action=withdraw][data-status=error]').waitFor();
    expect(await page.locator('[data-testid=action-outcome][data-action=withdraw]').first().textContent()).to.include(
      'nothing to withdraw',
    );
  });

  it("lets a security entity suspend a twin with an alert's evidence and reactivate it after review", async function () {
    const target = h.manufacturerTwins[0]! as Hex;
    const security = h.wallet(CAST.security);
    // The alert as the security service publishes it: signed by the security entity, on the twin's alerts topic.
    const now = Date.now();
    const alert = signMessage(
      {
        v: 1 as const,
        kind: 'alert' as const,
        deviceId: target,
        by: security.address,
        ts: new Date(now).toISOString(),
        body: {
          alertId: `dashboard-test-${now}`,
          behaviour: 'connection-flood',
          score: 0.93,
          status: 'open',
          window: { from: new Date(now - 60_000).toISOString(), to: new Date(now).toISOString() },
          evidenceCid: 'bafkreidashboardtestevidence',
          action: 'notified',
          tx: null,
        },
      },
      developmentKey(CAST.security) as Hex,
    );
    const client = await mqtt.connectAsync(
      h.services.mqttUrl,
      brokerLogin(h.harness.deploymentFile, { kind: 'security', id: security.address }, developmentKey(CAST.security)),
    );
    try {
      await client.publishAsync(deviceTopic(target, 'alerts'), JSON.stringify(alert), { qos: 1 });
    } finally {
      await client.endAsync();
    }

    await page.goto(`${h.services.api.url}/#/alerts`);
    await page.locator('[data-testid=alerts-sign-in]').waitFor();
    await signInAs(page, security.address);
    const row = page.locator(`[data-testid=inbox-row][data-device-id="${target}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.textContent()).to.include('connection-flood');
    await row.locator('[data-testid=alert-ack]').click();
    await row.locator(`[data-testid=alert-ack][data-by="${security.address}"]`).waitFor({ timeout: 10_000 });
    expect(await row.locator('[data-testid=alert-ack]').textContent()).to.equal('Acknowledged');
    // Kept by the API, not the browser: the inbox of another session (a fresh browser context) shows it too.
    const alertId = alert.body.alertId;
    const { headers } = await signInSession(h.api, security);
    const inbox = await h.request('/alerts', { headers });
    const listed = inbox.body.items.find((item: { alertId: string }) => item.alertId === alertId);
    expect(listed.acknowledged.by).to.equal(security.address);
    const elsewhere = await browser.newContext();
    try {
      const other = await elsewhere.newPage();
      await other.goto(`${h.services.api.url}/#/alerts`);
      await other.locator('[data-testid=alerts-sign-in]').waitFor();
      await signInAs(other, security.address);
      const ack = other.locator(`[data-testid=inbox-row][data-alert-id="${alertId}"] [data-testid=alert-ack]`);
      await ack.waitFor({ timeout: 30_000 });
      expect(await ack.textContent()).to.equal('Acknowledged');
      expect(await ack.isDisabled()).to.equal(true);
    } finally {
      await elsewhere.close();
    }
    // Only security entities acknowledge; an unknown alert is named.
    const path = `/alerts/${security.address}/${alertId}/acknowledge`;
    const owner = await signInSession(h.api, h.wallet(CAST.alice));
    expect((await h.request(path, { method: 'POST', headers: owner.headers })).status).to.equal(403);
    const unknown = await h.request(`/alerts/${security.address}/no-such-alert/acknowledge`, {
      method: 'POST',
      headers,
    });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error.details.field).to.equal('alertId');
    // A second acknowledgement keeps the first.
    const again = await h.request(path, { method: 'POST', headers });
    expect(again.status).to.equal(200);
    expect(again.body.at).to.equal(listed.acknowledged.at);

    await row.locator('[data-testid=alert-suspend]').click();
    await page.waitForFunction(
      (id) =>
        (globalThis as any).document.querySelector(`[data-testid=inbox-row][data-device-id="${id}"]`)?.dataset.state ===
        'suspended',
      target,
      { timeout: 60_000 },
    );
    let twin = await h.request(`/twins/${target}`);
    expect(twin.body.twin.state).to.equal('suspended');
    expect(twin.body.stateHistory.at(-1).reason).to.equal('bafkreidashboardtestevidence');

    // The owner (here the manufacturer, which still holds this twin) remediates: records an update, asks for a review.
    await page.goto(`${h.services.api.url}/#/twins/${target}`);
    await signInAs(page, h.wallet(CAST.manufacturer).address);
    await page.locator('[data-testid=recordUpdate-component]').fill('twin-agent');
    await page.locator('[data-testid=recordUpdate-version]').fill('1.2.4');
    await page.locator('[data-testid=action-recordUpdate]').click();
    expect(await outcomeDone(page, 'recordUpdate')).to.include('On chain: DeviceUpdateRecorded');
    await page.locator('[data-testid=requestReview-note]').fill('reflashed the agent');
    await page.locator('[data-testid=action-requestReview]').click();
    expect(await outcomeDone(page, 'requestReview')).to.include('On chain: ReviewRequested');
    await page.locator('[data-testid=review-requested]').waitFor({ timeout: 20_000 });

    await page.goto(`${h.services.api.url}/#/alerts`);
    await signInAs(page, security.address);
    await row.waitFor({ timeout: 30_000 });

    await row.locator('[data-testid=alert-reactivate]').click();
    await page.waitForFunction(
      (id) =>
        (globalThis as any).document.querySelector(`[data-testid=inbox-row][data-device-id="${id}"]`)?.dataset.state ===
        'active',
      target,
      { timeout: 60_000 },
    );
    twin = await h.request(`/twins/${target}`);
    expect(twin.body.twin.state).to.equal('active');
    await page.screenshot({ path: join(tmpdir(), 'dashboard-inbox.png'), fullPage: true });

    // The owner's notifications say it in words, not `key: value` dumps.
    await page.goto(`${h.services.api.url}/#/owners/${h.wallet(CAST.manufacturer).address}`);
    const suspendedNote = page.locator('[data-testid=notification][data-kind=state-changed]', {
      hasText: 'active → suspended',
    });
    await suspendedNote.first().waitFor({ timeout: 20_000 });
    expect(await suspendedNote.first().locator('[data-testid=notification-kind]').textContent()).to.equal(
      'State changed',
    );
    expect(await suspendedNote.first().textContent()).to.include('because: bafkreidashboardtestevidence');

    // On the twin page the same entity sees the alert's evidence offered for a suspension.
    await page.goto(`${h.services.api.url}/#/twins/${target}`);
    await page.locator('[data-testid=action-suspend]').waitFor();
    expect(await page.locator('[data-testid=suspend-reason]').inputValue()).to.equal('bafkreidashboardtestevidence');
    expect(await page.locator('[data-testid=control-slot]').count()).to.equal(1);
  });

  it('lets a manufacturer mint a twin from a static document and a device attestation, then deactivate it', async function () {
    const maker = h.wallet(CAST.manufacturer).address;
    const device = h.harness.devices[0]!;
    // A new board of the same brand: another serial number and MAC address, so another DeviceID.
    const document = structuredClone(device.staticDocument);
    document.identity.serialNumber = `dashboard-${Date.now()}`;
    document.identity.macAddress = 'b8:27:eb:00:da:5b';
    const deviceId = formatDeviceId(computeDeviceId(document.identity));
    const signerKey = developmentKey(CAST.newSigner) as Hex;
    const deviceSigner = h.wallet(CAST.newSigner).address;
    const attestation = signMintAttestation(signerKey, {
      deviceId,
      manufacturer: maker,
      chainId: 31337,
      registry: h.harness.registry.deployment.contracts.TwinRegistry,
    });

    await page.goto(`${h.services.api.url}/#/mint`);
    await signInAs(page, maker);
    await page.locator('[data-testid=mint-document]').fill(JSON.stringify(document));
    await page.locator('[data-testid=mint-signer]').fill(deviceSigner);
    // A wrong attestation first: the API's dry run names the contract's error before anything is sent.
    await page.locator('[data-testid=mint-attestation]').fill(`0x${'11'.repeat(65)}`);
    await page.locator('[data-testid=action-mint]').click();
    await page.locator('[data-testid=action-outcome][data-status=error]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid=action-outcome]').textContent()).to.match(
      /mint by .* would revert|revert|Attestation|Signature/i,
    );
    await page.locator('[data-testid=mint-attestation]').fill(attestation);
    await page.locator('[data-testid=action-mint]').click();
    await page.locator('[data-testid=action-outcome][data-status=done]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid=action-outcome]').textContent()).to.include('TwinMinted');
    const minted = await h.request(`/twins/${deviceId}`);
    expect(minted.status).to.equal(200);
    expect(minted.body.twin).to.include({ owner: maker, deviceSigner, state: 'active' });
    expect(minted.body.static?.identity?.serialNumber).to.equal(document.identity.serialNumber);

    await page.locator('[data-testid=minted-twin]').click();
    await page.locator('[data-testid=action-deactivate]').waitFor();
    await page.locator('[data-testid=deactivate-reason]').fill('end of support');
    await page.locator('[data-testid=action-deactivate]').click();
    expect(await outcomeDone(page, 'deactivate')).to.include('On chain:');
    await page
      .locator('[data-testid=twin-header] [data-testid=state-badge][data-state=deactivated]')
      .waitFor({ timeout: 20_000 });
  });

  describe('when the seller of a listing is revoked (issue 14)', function () {
    it('offers a buyer no purchase, saying the registry refuses it, instead of taking a deposit', async function () {
      const deviceId = h.manufacturerTwins[0]!;
      const maker = h.harness.node.wallet(CAST.manufacturer);
      await (await h.harness.registry.twins.connect(maker).list(deviceId, 10n ** 17n)).wait();
      await page.goto(`${h.services.api.url}/#/twins/${deviceId}`);
      await signInAs(page, h.wallet(CAST.alice).address);
      await page.locator('[data-testid=action-buy]').waitFor({ timeout: 20_000 });
      const admin = h.harness.registry.entities.connect(h.harness.node.wallet(CAST.admin));
      await (await admin.revoke(maker.address, 'counterfeit boards')).wait();
      await eventually(
        () => h.request(`/twins/${deviceId}`),
        (answer) => answer.body.owner?.status === 'revoked',
        20_000,
        'the revocation mirrored',
      );
      await page.reload();
      await page.locator('[data-testid=buy-seller-not-approved]').waitFor({ timeout: 20_000 });
      expect(await page.locator('[data-testid=buy-seller-not-approved]').textContent()).to.include('seller is revoked');
      expect(await page.locator('[data-testid=action-buy]').count()).to.equal(0);
    });
  });
});
