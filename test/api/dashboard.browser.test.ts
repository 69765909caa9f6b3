import { existsSync } from 'node:fs';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { CAST } from '../oracle/chain/deployOnNode';
import { eventually, startApiHarness, type ApiHarness } from './apiHarness';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('dashboard in headless Chromium (real API, oracle, chain, broker, IPFS)', function () {
  this.timeout(150_000);
  let h: ApiHarness;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
      this.skip();
    }
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    // Device internals are private (issue 14); until the dashboard signs in (api/README.md, "Who reads what"), its
    // test runs with the demo switch that opens reads, as `npm start` could.
    h = await startApiHarness('api-browser', 2, { API_OPEN_READS: 'true' });
    // The devices publish their static documents at start; wait until the oracle has them on IPFS.
    await eventually(
      () => h.request(`/twins/${h.aliceTwin}`),
      (answer) => answer.body.static !== null,
      30_000,
      "the twin's static document",
    );
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async function () {
    await browser?.close();
    await h?.stop();
  });

  afterEach(function () {
    expect(pageErrors, 'errors thrown in the page').to.deep.equal([]);
  });

  it('lists the twins with their state badges and the health of each component', async function () {
    await page.goto(`${h.services.api.url}/`);
    await page.locator('[data-testid=twin-row]').nth(1).waitFor();
    expect(await page.locator('[data-testid=twin-row]').count()).to.equal(2);
    const badges = await page.locator('[data-testid=twin-row] [data-testid=state-badge]').allTextContents();
    expect(badges.map((text) => text.trim())).to.deep.equal(['active', 'active']);
    await page.locator('[data-testid=health-chain][data-up=true]').waitFor({ timeout: 10_000 });
    for (const part of ['broker', 'ipfs', 'index']) {
      expect(await page.locator(`[data-testid=health-${part}]`).getAttribute('data-up'), part).to.equal('true');
    }
  });

  it('opens a twin and sees its static parameters and live telemetry arrive on the charts', async function () {
    await page.locator(`[data-testid=twin-row][data-device-id="${h.aliceTwin}"]`).click();
    await page.waitForURL(`**/#/twins/${h.aliceTwin}`);
    await page.locator('[data-testid=static-params]').waitFor();
    const device = h.harness.devices[0]!;
    expect(await page.locator('[data-testid=static-params]').textContent()).to.include(
      device.staticDocument.identity.serialNumber,
    );
    // A function, not a string: the dashboard's CSP forbids evaluating strings.
    await page.waitForFunction(
      () => {
        const { document } = globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string | null } | null };
        };
        return Number(document.querySelector('[data-testid=live-count]')?.textContent ?? '0') >= 2;
      },
      undefined,
      { timeout: 20_000 },
    );
    const points = Number(await page.locator('[data-testid=chart-cpu]').getAttribute('data-points'));
    expect(points).to.be.greaterThan(0);
    expect((await page.locator('[data-testid=behaviour]').textContent())?.trim()).to.equal('normal');
    expect(await page.locator('[data-testid=alerts]').textContent()).to.include('No security alerts.');
  });

  it('verifies an anchored snapshot on chain with the Verify button', async function () {
    const firstAnchored = page.locator('[data-testid=snapshot-row][data-anchored=true]').first();
    await firstAnchored.waitFor({ timeout: 60_000 });
    // Pin the row by its sequence number: new snapshots keep arriving above it.
    const seq = await firstAnchored.getAttribute('data-seq');
    const anchoredRow = page.locator(`[data-testid=snapshot-row][data-seq="${seq}"]`);
    await anchoredRow.locator('[data-testid=verify]').click();
    const result = anchoredRow.locator('[data-testid=verify-result][data-verified=true]');
    await result.waitFor({ timeout: 15_000 });
    expect(await result.textContent()).to.include('verified on chain');
  });

  it("shows an owner's page with the entity and its twins", async function () {
    const alice = h.wallet(CAST.alice).address;
    await page.goto(`${h.services.api.url}/#/owners/${alice}`);
    await page.locator('[data-testid=entity-name]').waitFor();
    expect((await page.locator('[data-testid=entity-name]').textContent())?.trim()).to.equal('Alice');
    await page.locator(`[data-testid=twin-row][data-device-id="${h.aliceTwin}"]`).waitFor();
  });
});
