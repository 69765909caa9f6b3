import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { HDNodeWallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { CAST } from '../oracle/chain/deployOnNode';
import { eventually, startApiHarness, type ApiHarness } from './apiHarness';

/** The test node's accounts: Hardhat's development mnemonic. */
const MNEMONIC = 'test test test test test test test test test test test junk';

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
    // Device internals are private: the page signs in as Alice (the demo's development key) to read her twin's.
    h = await startApiHarness('api-browser', 2, {
      API_DEMO_ACCOUNTS: JSON.stringify([
        {
          label: 'Alice (demo owner)',
          key: HDNodeWallet.fromPhrase(MNEMONIC, '', `m/44'/60'/0'/0/${CAST.alice}`).privateKey,
        },
      ]),
    });
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

  it("shows a twin's internals as private until its owner signs in", async function () {
    await page.locator(`[data-testid=twin-row][data-device-id="${h.aliceTwin}"] [data-testid=twin-hostname]`).click();
    await page.locator('[data-testid=latest-reading][data-private=true]').waitFor();
    expect(await page.locator('[data-testid=latest-reading]').textContent()).to.include('sign in');
    const alice = h.wallet(CAST.alice).address;
    await page.locator('[data-testid=sign-in]').click();
    await page.locator(`[data-testid=demo-account][data-address="${alice}"]`).click();
    await page.locator(`[data-testid=session-who][data-address="${alice}"]`).waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=latest-reading]:not([data-private])').waitFor();
    await page.goto(`${h.services.api.url}/#/`);
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
    // Looking back an hour: the charts draw the history in 30-s buckets (GET /twins/{id}/telemetry?bucket=30).
    const history = page.waitForResponse((response) => /\/telemetry\?.*bucket=30/.test(response.url()));
    await page.locator('[data-testid=chart-range]').selectOption('1h');
    const answer = await history;
    expect(answer.status()).to.equal(200);
    const buckets = ((await answer.json()) as { buckets: unknown[] }).buckets.length;
    expect(buckets).to.be.greaterThan(0);
    await page.waitForFunction(
      (count) => {
        const { document } = globalThis as unknown as {
          document: { querySelector(s: string): { getAttribute(name: string): string | null } | null };
        };
        return document.querySelector('[data-testid=chart-cpu]')?.getAttribute('data-points') === String(count);
      },
      buckets,
      { timeout: 10_000 },
    );
    await page.locator('[data-testid=chart-range]').selectOption('live');
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

  it('shows the fleet overview: twins by state, open alerts, anchoring lag and ingest rate', async function () {
    await page.goto(`${h.services.api.url}/#/`);
    await page.locator('[data-testid=fleet-twins-value]').waitFor();
    expect((await page.locator('[data-testid=fleet-twins-value]').textContent())?.trim()).to.equal('2');
    expect(await page.locator('[data-testid=fleet-state-active] strong').textContent()).to.equal('2');
    expect((await page.locator('[data-testid=fleet-alerts-value]').textContent())?.trim()).to.equal('0');
    expect(await page.locator('[data-testid=fleet-lag-value]').textContent()).to.match(/^\d+(\.\d)? s$/);
    // Readings arrive twice a second per device: the rate shows once the first minute has some.
    await page.waitForFunction(
      () => {
        const { document } = globalThis as unknown as {
          document: { querySelector(s: string): { textContent: string | null } | null };
        };
        return Number.parseFloat(document.querySelector('[data-testid=fleet-ingest-value]')?.textContent ?? '0') > 0;
      },
      undefined,
      { timeout: 20_000 },
    );
  });

  it('names owners and devices in the directory, searches by owner name, hostname or DeviceID prefix, and sorts', async function () {
    const device = h.harness.devices[0]!;
    const alicesRow = page.locator(`[data-testid=twin-row][data-device-id="${h.aliceTwin}"]`);
    await alicesRow.waitFor();
    expect(await alicesRow.textContent()).to.include('Alice');
    expect((await alicesRow.locator('[data-testid=twin-hostname]').textContent())?.trim()).to.equal(
      device.staticDocument.os.hostname,
    );
    expect(await alicesRow.textContent()).to.include(device.staticDocument.identity.hardwareModel);
    expect(await alicesRow.locator('[data-testid=detection-none]').count()).to.equal(1);

    const search = page.locator('[data-testid=twin-search]');
    await search.fill('alice');
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('[data-testid=twin-row]').length === 1,
    );
    expect(await page.locator('[data-testid=twin-row]').getAttribute('data-device-id')).to.equal(h.aliceTwin);
    await search.fill(h.aliceTwin.slice(0, 14));
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('[data-testid=twin-row]').length === 1,
    );
    await search.fill('no-such-device-here');
    await page.locator('text=No twins match this search.').waitFor();
    await search.fill('');
    await page.locator('[data-testid=twin-row]').nth(1).waitFor();

    await page.locator('th[data-sort-key=hostname] button').click();
    await page.locator('th[data-sort-key=hostname][aria-sort=ascending]').waitFor();
    const ascending = await page.locator('[data-testid=twin-hostname]').allTextContents();
    expect(ascending).to.deep.equal([...ascending].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())));
    await page.locator('th[data-sort-key=hostname] button').click();
    await page.locator('th[data-sort-key=hostname][aria-sort=descending]').waitFor();
    await page.waitForFunction(
      (first) => (globalThis as any).document.querySelector('[data-testid=twin-hostname]')?.textContent !== first,
      ascending[0],
    );
    expect(await page.locator('[data-testid=twin-hostname]').allTextContents()).to.deep.equal([...ascending].reverse());
    expect(page.url()).to.include('sort=hostname');
    await page.screenshot({ path: join(tmpdir(), 'dashboard-overview.png'), fullPage: true });
  });

  it("titles the twin by its hostname, keeps the header's latest snapshot live and labels the simulation", async function () {
    const device = h.harness.devices[0]!;
    await page.goto(`${h.services.api.url}/#/twins/${h.aliceTwin}`);
    await page.locator('[data-testid=twin-title]').waitFor();
    expect((await page.locator('[data-testid=twin-title]').textContent())?.trim()).to.equal(
      device.staticDocument.os.hostname,
    );
    expect(await page.locator('[data-testid=twin-header]').textContent()).to.include('Alice');
    const shownSeq = async () =>
      Number(await page.locator('[data-testid=header-snapshot] [data-seq]').getAttribute('data-seq'));
    await page.locator('[data-testid=header-snapshot] [data-seq]').waitFor({ timeout: 20_000 });
    const first = await shownSeq();
    // A snapshot every 2 s: the header follows the stream without a reload.
    await page.waitForFunction(
      (seq) =>
        Number((globalThis as any).document.querySelector('[data-testid=header-snapshot] [data-seq]')?.dataset.seq) >
        seq,
      first,
      { timeout: 20_000 },
    );
    expect((await page.locator('[data-testid=detection]').textContent())?.trim()).to.equal('no open alert');
    const simulation = page.locator('[data-testid=simulation-field]');
    expect(await simulation.isVisible()).to.equal(true);
    expect(await simulation.textContent()).to.include('Simulation ground truth');
  });

  it('views a snapshot as tables with links to its bytes and proof, and diffs it against an older one', async function () {
    const row = page.locator('[data-testid=snapshot-row]').nth(1);
    await row.waitFor({ timeout: 20_000 });
    await row.locator('[data-testid=snapshot-diff]').click();
    await page.locator('[data-testid=snapshot-header]').waitFor();
    expect(page.url()).to.match(/\/snapshots\/\d+\?against=\d+$/);
    await page.locator('[data-testid=processes-row]').first().waitFor();
    expect(await page.locator('[data-testid=processes-row]').count()).to.be.greaterThan(0);
    expect(await page.locator('[data-testid=listening-row]').count()).to.be.greaterThan(0);
    for (const section of ['usb', 'pci', 'libraries', 'arp', 'dns', 'sensors', 'sockets']) {
      expect(await page.locator(`[data-testid=snapshot-${section}]`).count(), section).to.equal(1);
    }
    await page.locator('[data-testid=diff]').waitFor();
    // The exact bytes, from the API's gateway: private, so with the session token.
    const raw = await page.locator('[data-testid=snapshot-raw]').getAttribute('href');
    expect(raw).to.match(/^\/ipfs\/bafk/);
    const anonymous = await page.evaluate(
      async (href) => (await fetch(href!, { headers: { accept: 'application/vnd.ipld.raw' } })).status,
      raw,
    );
    expect(anonymous).to.equal(401);
    const signed = await page.evaluate(async (href) => {
      const { token } = JSON.parse((globalThis as any).sessionStorage.getItem('twin-dashboard-session'));
      const response = await fetch(href!, {
        headers: { accept: 'application/vnd.ipld.raw', authorization: `Bearer ${token}` },
      });
      return { status: response.status, body: JSON.parse(await response.text()) };
    }, raw);
    expect(signed.status).to.equal(200);
    expect(signed.body.kind).to.equal('snapshot');
    await page.screenshot({ path: join(tmpdir(), 'dashboard-snapshot.png'), fullPage: true });
  });

  it("keeps the owner's twin table inside its card and words notifications for people", async function () {
    const alice = h.wallet(CAST.alice).address;
    await page.setViewportSize({ width: 1100, height: 900 });
    await page.goto(`${h.services.api.url}/#/owners/${alice}`);
    await page.locator(`[data-testid=twin-row][data-device-id="${h.aliceTwin}"]`).waitFor();
    const overflow = await page.evaluate(() => {
      const card = (globalThis as any).document.querySelector('.owner-twins');
      const wrap = card.querySelector('.table-wrap');
      return { card: card.getBoundingClientRect().right, wrap: wrap.getBoundingClientRect().right };
    });
    expect(overflow.wrap).to.be.at.most(overflow.card);
    await page.screenshot({ path: join(tmpdir(), 'dashboard-owner.png'), fullPage: true });
  });
});
