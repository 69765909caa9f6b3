import { existsSync } from 'node:fs';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { CAST } from '../oracle/chain/deployOnNode';
import { eventually, startApiHarness, type ApiHarness } from './apiHarness';
import { signInSession } from '../helpers/siweSession';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('dashboard topology page in headless Chromium (real API, oracle, chain, broker, IPFS)', function () {
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
    h = await startApiHarness('api-topology-browser', 2);
    await eventually(
      () => h.request('/topology'),
      (answer) => answer.status === 200 && answer.body.sources.snapshots === 2,
      60_000,
      'a snapshot of both twins',
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

  const nodes = (kind?: string) =>
    page.locator(kind === undefined ? '[data-testid=topology-node]' : `[data-testid=topology-node][data-kind=${kind}]`);

  it('is linked from the main navigation and shows the public the two twins and nothing else', async function () {
    await page.goto(`${h.services.api.url}/`);
    await page.locator('[data-testid=nav] a[data-nav=topology]').click();
    await page.waitForURL('**/topology.html');
    await nodes('twin').nth(1).waitFor();
    expect(await nodes().count()).to.equal(2);
    expect(await page.locator('[data-testid=topology-viewer]').textContent()).to.include('Public view');
  });

  it("shows Alice's twin's gateway and outside hosts once she gives her sign-in token", async function () {
    await page.locator('[data-testid=token-input]').fill((await signInSession(h.api, h.wallet(CAST.alice))).token);
    await page.locator('[data-testid=topology-load]').click();
    await nodes('gateway').first().waitFor();
    expect(await page.locator('[data-testid=topology-viewer]').getAttribute('data-internals-of')).to.equal('1');
    expect(await nodes('outside').count()).to.be.greaterThan(0);
    expect(await page.locator('[data-testid=topology-link][data-kind=flow]').count()).to.be.greaterThan(0);
  });

  it('asks what stops if her twin is isolated, and marks the stopped flows on the graph', async function () {
    await page.locator(`[data-testid=topology-node][data-node-id="${h.aliceTwin}"] circle`).click();
    await page.locator(`[data-testid=topology-details] dl[data-node-id="${h.aliceTwin}"]`).waitFor();
    await page.locator('[data-testid=whatif-toggle]').click();
    await page.locator('[data-testid=whatif-run]').click();
    await page.locator('[data-testid=whatif-summary]').waitFor();
    const stopped = await page.locator('[data-testid=whatif-stopped] li').allTextContents();
    expect(stopped.length).to.be.greaterThan(0);
    expect(stopped.every((line) => line.includes('endpoint-isolated'))).to.equal(true);
    // The what-if reads the latest snapshots, which may show a flow the drawn graph (read a moment earlier) lacks.
    expect(await page.locator('[data-testid=topology-link][data-stopped=true]').count()).to.be.within(
      1,
      stopped.length,
    );
  });

  it('shows only the twin itself at depth 0 around it', async function () {
    await page.locator('input[name=around]').fill(h.aliceTwin);
    await page.locator('input[name=depth]').fill('0');
    await page.locator('[data-testid=topology-load]').click();
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { dataset: { nodes?: string } } | null } }
        ).document.querySelector('[data-testid=topology-svg]')?.dataset.nodes === '1',
      undefined,
      { timeout: 10_000 },
    );
    expect(await nodes().count()).to.equal(1);
  });

  it("reads with the main dashboard's signed-in session when no token is pasted", async function () {
    const { token } = await signInSession(h.api, h.wallet(CAST.manufacturer));
    const fresh = await browser.newPage();
    fresh.on('pageerror', (error) => pageErrors.push(error.message));
    await fresh.goto(`${h.services.api.url}/`);
    await fresh.evaluate(
      (value) =>
        (globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }).sessionStorage.setItem(
          'twin-dashboard-session',
          value,
        ),
      JSON.stringify({ token, expiresAt: new Date(Date.now() + 600_000).toISOString() }),
    );
    await fresh.goto(`${h.services.api.url}/topology.html`);
    await fresh.locator('[data-testid=topology-viewer][data-internals-of="2"]').waitFor();
    await fresh.close();
  });

  it('names a malformed DeviceID in the error banner', async function () {
    await page.locator('input[name=around]').fill('0x12');
    await page.locator('[data-testid=topology-load]').click();
    await page.locator('[data-testid=error]:not([hidden])').waitFor();
    expect(await page.locator('[data-testid=error] .error-message').textContent()).to.include('around');
  });
});
