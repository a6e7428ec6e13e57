/**
 * The report in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run), driven by
 * playwright-core (which never downloads a browser of its own). The report comes from `nlmc fit --report` on the
 * tests' simulated data. It must load with no console errors and no request beyond the file itself, every figure
 * must be laid out with the marks it should have (one panel per shown subject, the VPC's percentile lines and
 * bands), and a screenshot is written into the test's temporary folder.
 *
 * Without Chromium the test is skipped with the reason; with NLMC_REQUIRE_CHROMIUM=1 (set by .ci/run) that is a
 * failure instead.
 */
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, test } from 'vitest';
import { pickSubjects } from '../../runtime/report/html/report-data.js';
import { fitModel, simulatedCsv, times } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present) {
  if (process.env.NLMC_REQUIRE_CHROMIUM === '1') {
    test('chromium is installed (NLMC_REQUIRE_CHROMIUM=1)', () => {
      throw new Error(`NLMC_REQUIRE_CHROMIUM=1 but there is no ${CHROMIUM} (.ci/run installs Debian's chromium package as root)`);
    });
  } else {
    console.warn(`[report browser test] skipped: no ${CHROMIUM} (apt-get install chromium; set NLMC_REQUIRE_CHROMIUM=1 to make this a failure)`);
  }
}

const SUBJECTS = 24;

describe.skipIf(!present)('the report in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nlmc-report-browser-'));
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const requests: string[] = [];
  let html: string;

  beforeAll(async () => {
    writeFileSync(join(dir, 'data.csv'), simulatedCsv(SUBJECTS, 5).csv);
    const run = await fitModel(dir, 'prop', 'proportional(b = 0.3)', { epochs: 40, uncertainty: false, estimate: 'elbo', report: true });
    html = join(run, 'report.html');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  }, 170_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('loads with no console error and fetches nothing but itself', () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(html).href]);
  });

  it('lays out every figure inside the page, none empty', async () => {
    const boxes = await page.$$eval('figure > svg', (svgs) => svgs.map((s) => { const r = s.getBoundingClientRect(); return { w: r.width, h: r.height, right: r.right }; }));
    expect(boxes.length).toBeGreaterThanOrEqual(14);
    for (const b of boxes) {
      expect(b.w).toBeGreaterThan(100);
      expect(b.h).toBeGreaterThan(100);
    }
    const width = page.viewportSize()!.width;
    for (const b of boxes) expect(b.right).toBeLessThanOrEqual(width);
  });

  it('individual fits: one panel per shown subject, each with its observations and two curves', async () => {
    const shown = pickSubjects(SUBJECTS, 24).subjects.map((i) => `ID ${i + 1}`);
    const titles = await page.$$eval('figure[data-figure^="individual-fits"] .role-title-text text', (t) => t.map((x) => x.textContent));
    expect(titles).toEqual(shown);
    const cells = await page.$$eval('figure[data-figure^="individual-fits"] .cell > g', (g) => g.map((cell) => ({
      points: cell.querySelectorAll('.observations_marks path').length,
      curves: cell.querySelectorAll('.curves_marks path').length,
    })));
    expect(cells).toHaveLength(shown.length);
    for (const c of cells) expect(c).toEqual({ points: times.length, curves: 2 });
  });

  it('VPC and pcVPC: three observed percentile lines, three simulated medians and a visible band per bin and percentile', async () => {
    for (const kind of ['vpc', 'pcvpc']) {
      const f = `figure[data-figure="${kind}"]`;
      // A nominal design: the 6 sampling times give 6 bins (tied times are never split).
      const bands = await page.$$eval(`${f} .simulated_interval_marks path`, (p) => p.map((x) => { const r = x.getBoundingClientRect(); return { w: r.width, h: r.height }; }));
      expect(bands).toHaveLength(3 * times.length);
      for (const b of bands) expect(b.w).toBeGreaterThan(1);
      expect(bands.filter((b) => b.h > 0.5).length).toBeGreaterThanOrEqual(bands.length - 1);
      expect(await page.$$eval(`${f} .observed_percentile_marks path`, (p) => p.length)).toBe(3);
      expect(await page.$$eval(`${f} .simulated_median_marks path`, (p) => p.length)).toBe(3);
      expect(await page.$$eval(`${f} .observed_points_marks path`, (p) => p.length)).toBe(3 * times.length);
    }
  });

  it('DV vs PRED and the NPDE QQ plot: one point per observation', async () => {
    for (const id of ['dv-vs-pred', 'dv-vs-ipred', 'npde-qq']) {
      const mark = id === 'npde-qq' ? 'quantiles' : 'observations';
      expect(await page.$$eval(`figure[data-figure="${id}"] .${mark}_marks path`, (p) => p.length)).toBe(SUBJECTS * times.length);
    }
  });

  it('writes a screenshot of the whole page', async () => {
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(50_000);
    // A PNG, as tall as the page.
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const height = png.readUInt32BE(20);
    expect(height).toBeGreaterThan(3000);
    console.log(`report screenshot: ${shot} (${png.readUInt32BE(16)} × ${height})`);
  });
});
