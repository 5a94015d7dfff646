/**
 * The HTML report in a real browser: Debian's Chromium, headless, driven by
 * playwright-core, offline (a fresh profile, no network, file:// only). The
 * page must render every plot with data, log no console error, load nothing
 * but itself, and keep hostile scenario text inert. Screenshots go to
 * out/report.png and out/report-sweep.png.
 *
 * Needs /usr/bin/chromium (apt-get install -y chromium); skipped with a
 * message when it is missing. `npm run test:browser` runs only this file.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { writeReport } from '../../src/report/html/index.js';
import { EVIL_NAME, evilScenario, reportInput } from '../report-fixtures-html.js';

const CHROMIUM = '/usr/bin/chromium';
const have = existsSync(CHROMIUM);
if (!have) console.warn(`test/browser/report.test.ts: skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

interface PageState {
  ready: boolean;
  charts: Array<{ id: string; series: number; points: number; legend: { type: string; names: string[] } }>;
  errors: string[];
}

describe.skipIf(!have)('HTML report in headless Chromium', () => {
  let ctx: BrowserContext;
  let profile: string;
  const work = mkdtempSync(join(tmpdir(), 'faultline-report-'));
  const outDir = resolve('out');

  beforeAll(async () => {
    mkdirSync(outDir, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'faultline-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      offline: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await ctx?.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  async function open(file: string, screenshot: string): Promise<{ state: PageState; console: string[]; requests: string[]; dialogs: string[]; title: string }> {
    const page = await ctx.newPage();
    const consoleErrors: string[] = [], requests: string[] = [], dialogs: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(pathToFileURL(file).href);
    await page.waitForFunction(() => (window as unknown as { __faultline?: PageState }).__faultline?.ready === true, undefined, { timeout: 30_000 });
    const state = await page.evaluate(() => (window as unknown as { __faultline: PageState }).__faultline);
    const title = (await page.textContent('h1')) ?? '';
    await page.screenshot({ path: join(outDir, screenshot), fullPage: true });
    await page.close();
    return { state, console: consoleErrors, requests, dialogs, title };
  }

  it('renders a run report: every plot has data, no console errors, no network, hostile text inert', async () => {
    const input = reportInput(evilScenario());
    const { path } = writeReport(join(work, 'run'), input);
    const r = await open(path, 'report.png');
    expect(r.state.errors).toEqual([]);
    expect(r.console).toEqual([]);
    expect(r.dialogs).toEqual([]);
    expect(r.requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);
    expect(r.title).toBe(`faultline: ${EVIL_NAME}`);
    const ids = r.state.charts.map((c) => c.id);
    expect(ids).toContain('cdf-fault-all');
    expect(ids.some((i) => i.startsWith('time-'))).toBe(true);
    expect(ids).toContain('inversion-time');
    for (const c of r.state.charts) {
      expect(c.series, c.id).toBeGreaterThan(0);
      expect(c.points, c.id).toBeGreaterThan(0);
    }
    expect(existsSync(join(outDir, 'report.png'))).toBe(true);
  }, 60_000);

  it('the first screen (1280x800) answers: the summary and a plot are inside it', async () => {
    const input = reportInput(evilScenario());
    const { path } = writeReport(join(work, 'first'), input);
    const page = await ctx.newPage();
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(pathToFileURL(path).href);
    await page.waitForFunction(() => (window as unknown as { __faultline?: PageState }).__faultline?.ready === true, undefined, { timeout: 30_000 });
    await page.screenshot({ path: join(outDir, 'report-first-screen.png') });
    const state = await page.evaluate(() => (window as unknown as { __faultline: PageState }).__faultline);
    const boxes = await page.evaluate(() => {
      const box = (el: Element | null) => {
        if (el === null) return null;
        const r = el.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
      };
      const charts = [...document.querySelectorAll('.chart')].map((el) => ({ id: el.id, box: box(el)!, canvas: el.querySelector('canvas') !== null }));
      return { summary: box(document.getElementById('summary')), answer: box(document.querySelector('#summary .answer')), heading: document.querySelector('#summary h2')?.textContent ?? '', table: box(document.querySelector('table.cmp')), charts };
    });
    await page.close();
    const inside = (b: { top: number; bottom: number; left: number; right: number }) => b.top >= 0 && b.bottom <= 800 && b.left >= 0 && b.right <= 1280;
    expect(boxes.heading).toBe('What differs from mainline');
    expect(boxes.answer !== null && inside(boxes.answer), JSON.stringify(boxes.answer)).toBe(true);
    const onScreen = boxes.charts.filter((c) => c.canvas && inside(c.box));
    expect(onScreen.map((c) => c.id)).toContain('cdf-fault-all');
    expect(state.charts.find((c) => c.id === 'cdf-fault-all')!.points).toBeGreaterThan(0);
    // The comparison table is below the first screen now.
    expect(boxes.table!.top).toBeGreaterThan(800);
  }, 60_000);

  it('legends are plain (never paged) and name every combination', async () => {
    const input = reportInput(evilScenario(), ['mainline', 'hold-io', 'retry-vma+uptodate-skip+writeback-aware'], 2);
    // tiny has no mmap_lock waits: give every run some, so the decade plot is drawn too.
    input.cmp.combinations.forEach((c, ci) => c.runs.forEach((r) => { r.mmapLock.waitDecades = { read: [5, 3, ci, 0, 1, 0, 0], write: [0, 0, 0, 2, 0, 0, 1] }; }));
    const { path } = writeReport(join(work, 'legends'), input);
    const r = await open(path, 'report-legends.png');
    expect(r.state.errors).toEqual([]);
    expect(r.console).toEqual([]);
    const cdfs = r.state.charts.filter((c) => c.id.startsWith('cdf-'));
    expect(cdfs.length).toBeGreaterThan(0);
    for (const c of r.state.charts) expect(c.legend.type, c.id).toBe('plain');
    const dec = r.state.charts.find((c) => c.id === 'mmap-wait-decades')!;
    expect(dec.points).toBe(3 * 5 + 2); // non-empty buckets (read + write): 5 per combination, and [10us,100us) for two of them
    expect(dec.legend.names).toHaveLength(3);
    for (const c of cdfs) {
      // Every combination is named, alone or in an "A = B (identical)" entry.
      const text = c.legend.names.join(' | ');
      for (const name of ['mainline / fork-lock-all', 'hold-io / fork-lock-all', 'retry-vma+uptodate-skip+writeback-aware / fork-lock-all']) expect(text, c.id).toContain(name);
    }
  }, 60_000);

  it('renders a sweep report with a band per strategy', async () => {
    const input = reportInput(evilScenario(), ['mainline', 'hold-io'], 2);
    const runs = input.runs.map((m, i) => ({ point: [i % 2 === 0 ? 100_000 : 1_000_000], fault: m.fault, fork: m.fork, seed: m.seed, metrics: m }));
    const { path } = writeReport(join(work, 'sweep'), {
      kind: 'sweep', info: input.info, version: 'test', sweepId: '0123456789abcdef',
      params: [{ path: 'io.read.median', values: [100_000, 1_000_000], kind: 'ns' }],
      combos: ['mainline / fork-lock-all', 'hold-io / fork-lock-all'], runs, total: runs.length, figures: ['ops.all.fault.p99'],
    });
    const r = await open(path, 'report-sweep.png');
    expect(r.state.errors).toEqual([]);
    expect(r.console).toEqual([]);
    expect(r.state.charts).toHaveLength(1);
    expect(r.state.charts[0]!.points).toBe(4); // 2 values x 2 strategies
    expect(r.state.charts[0]!.series).toBe(4); // a line and a band per strategy
  }, 60_000);
});
