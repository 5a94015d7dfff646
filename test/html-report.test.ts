/**
 * The HTML report without a browser: every text from the scenario is escaped,
 * the page loads nothing from the network, and the plot data is there.
 * (test/browser/report.test.ts renders it in Chromium.)
 */
import { describe, expect, it } from 'vitest';
import { compare } from '../src/report/index.js';
import {
  decadeChart, echartsSource, escapeHtml, jsonForScript, plotOf, renderReport, runReportData, sweepCharts,
} from '../src/report/html/index.js';
import { fakeRun } from './report-fixtures.js';
import { EVIL_DESCRIPTION, EVIL_NAME, EVIL_THREAD, evilScenario, reportInput } from './report-fixtures-html.js';

describe('HTML report escaping', () => {
  it('escapeHtml and jsonForScript leave no markup', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const j = jsonForScript({ s: '</script><!-- \u2028' });
    expect(j).not.toMatch(/[<>&\u2028]/);
    expect(JSON.parse(j)).toEqual({ s: '</script><!-- \u2028' });
  });

  /** The page without the inlined library (which is not ours to check, and too long to print). */
  const page = (html: string) => {
    const lib = echartsSource();
    expect(html.split(lib)).toHaveLength(2);
    return html.replace(lib, '/* echarts */');
  };

  it('a scenario named <script> renders as text, with exactly the three scripts of the page', () => {
    const html = page(renderReport(reportInput(evilScenario())));
    // The page's own scripts: the data block, ECharts, the client. Nothing else opens a script.
    expect(html.match(/<script\b/g)).toHaveLength(3);
    for (const evil of [EVIL_NAME, EVIL_DESCRIPTION, EVIL_THREAD]) expect(html.includes(evil), evil).toBe(false);
    expect(/<img\b/.test(html)).toBe(false);
    expect(html.includes(escapeHtml(EVIL_NAME))).toBe(true);
    expect(html.includes(escapeHtml(EVIL_DESCRIPTION))).toBe(true);
    // The data block cannot be ended early.
    const at = html.indexOf('id="faultline-data">');
    const data = html.slice(at + 'id="faultline-data">'.length, html.indexOf('</script>', at));
    expect(data.includes('<')).toBe(false);
  });

  it('opens offline: a CSP forbids the network, and no URL points outside the page', () => {
    const html = page(renderReport(reportInput(evilScenario())));
    expect(html.includes(`content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:"`)).toBe(true);
    expect(html.match(/<(script|link|img|iframe)[^>]+(src|href)=/i)).toBeNull();
  });
});

describe('report plot data', () => {
  it('has a CDF per op and class that occurred, a time breakdown per class and inversion charts', () => {
    const input = reportInput(evilScenario());
    const d = runReportData(input.cmp);
    expect(d.combos).toEqual(['mainline / fork-lock-all', 'hold-io / fork-lock-all']);
    const ids = d.cdf.charts.map((c) => c.id);
    expect(ids).toContain('cdf-fault-USER_INTERACTIVE');
    expect(ids).toContain('cdf-fault-all');
    for (const c of d.cdf.charts) {
      expect(c.series.length).toBeGreaterThan(0);
      for (const b of c.series) {
        expect(b.median).toHaveLength(d.cdf.percentiles.length);
        // A CDF never goes down, and the band holds the median.
        b.median.forEach((v, i) => {
          if (i > 0) expect(v).toBeGreaterThanOrEqual(b.median[i - 1]!);
          expect(b.min[i]!).toBeLessThanOrEqual(v);
          expect(b.max[i]!).toBeGreaterThanOrEqual(v);
        });
      }
    }
    const time = d.bars.filter((b) => b.id.startsWith('time-'));
    expect(time.length).toBeGreaterThan(0);
    for (const t of time) {
      t.categories.forEach((_, ci) => {
        const sum = t.series.reduce((a, s) => a + s.values[ci]!, 0);
        if (sum > 0) expect(sum).toBeCloseTo(1, 6); // shares of op time add up to 1
      });
    }
    expect(d.bars.map((b) => b.id)).toEqual(expect.arrayContaining(['inversion-time', 'inversion-chain']));
  });

  it('sweep charts: median and min-max band per combination at each swept value', () => {
    const input = reportInput(evilScenario(), ['mainline'], 3);
    const runs = input.runs.map((m, i) => ({ point: [i < 2 ? 10 : 20], fault: m.fault, fork: m.fork, seed: m.seed, metrics: m }));
    const charts = sweepCharts([{ path: 'cpus', values: [10, 20], kind: 'number' }], runs, ['ops.all.fault.p99'], ['mainline / fork-lock-all']);
    expect(charts).toHaveLength(1);
    const s = charts[0]!.series[0]!;
    const p99 = input.runs.map((r) => r.opsAll.fault!.latency!.p99);
    expect(s.min[0]).toBe(Math.min(p99[0]!, p99[1]!));
    expect(s.max[0]).toBe(Math.max(p99[0]!, p99[1]!));
    expect(s.median[1]).toBe(p99[2]);
  });
});

describe('report: the answer first', () => {
  const input = reportInput(evilScenario());
  const html = renderReport(input);

  it('opens with what differs, then the plots, and the comparison table last', () => {
    const at = (s: string) => html.indexOf(s);
    expect(at('<h2>What differs from mainline</h2>')).toBeGreaterThan(0);
    expect(at('<h2>What differs from mainline</h2>')).toBeLessThan(at('id="cdf-fault-all"'));
    expect(at('id="cdf-fault-all"')).toBeLessThan(at('<h2 id="cdf">'));
    expect(at('<h2 id="cdf">')).toBeLessThan(at('<table class="cmp">'));
    expect(html).toMatch(/<b>hold-io \/ fork-lock-all<\/b>: \d+ figures? differs? \(of \d+ compared\)/);
  });

  it('every figure of the summary links to an element of the page', () => {
    const summary = html.slice(html.indexOf('<section class="top"'), html.indexOf('</section>'));
    const links = [...summary.matchAll(/href="#([^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const id of links) expect(html, id).toContain(`id="${id}"`);
  });

  it('plotOf: latency percentiles to their latency plot, mmap_lock waits to the decade plot, time to the breakdown', () => {
    const d = runReportData(input.cmp);
    expect(plotOf('ops.all.fault.p99', d)).toBe('cdf-fault-all');
    expect(plotOf('ops.USER_INTERACTIVE.fault.p99.9', d)).toBe('cdf-fault-USER_INTERACTIVE');
    expect(plotOf('ops.all.fault.count', d)).toBeUndefined();
    expect(plotOf('time.USER_INTERACTIVE.io.share', d)).toBe('time-USER_INTERACTIVE');
    expect(plotOf('inversion.USER_INTERACTIVE.inverted_time', d)).toBe('inversion-time');
    expect(plotOf('mmap_lock.read_wait.p99', { ...d, decades: { id: 'mmap-wait-decades', title: '', buckets: [], series: [] } })).toBe('mmap-wait-decades');
  });

  it('identical latency lines are drawn once, naming every combination', () => {
    // A copy of mainline under another name has the same CDFs.
    const runs = [...input.runs, ...input.runs.filter((r) => r.fault === 'mainline').map((r) => ({ ...r, fault: 'mainline-copy' }))];
    const d = runReportData(compare(runs));
    const ch = d.cdf.charts.find((c) => c.id === 'cdf-fault-all')!;
    const main = ch.series.find((b) => d.combos[b.combo] === 'mainline / fork-lock-all')!;
    expect(main.same?.map((i) => d.combos[i])).toEqual(['mainline-copy / fork-lock-all']);
    expect(ch.series.some((b) => d.combos[b.combo] === 'mainline-copy / fork-lock-all')).toBe(false);
  });

  it('each time-breakdown bar names its largest category', () => {
    const d = runReportData(input.cmp);
    for (const t of d.bars.filter((b) => b.id.startsWith('time-'))) {
      t.categories.forEach((label, ci) => {
        const top = t.series.reduce((a, b) => (b.values[ci]! > a.values[ci]! ? b : a));
        if (top.values[ci]! > 0) expect(label).toContain(`\nmostly ${top.name} (`);
      });
    }
  });

  it('mmap_lock wait decades: median over seeds per bucket and combination; absent without waits', () => {
    const withDecades = (k: number, seed: number, read: number[], write: number[]) => {
      const r = fakeRun(k === 1 ? 'mainline' : 'hold-io', seed, k);
      r.mmapLock.waitDecades = { read, write };
      return r;
    };
    const z = [0, 0, 0, 0, 0, 0, 0];
    const ch = decadeChart(compare([
      withDecades(1, 1, [1, 2, 0, 0, 0, 0, 0], z), withDecades(1, 2, [3, 2, 0, 0, 0, 0, 1], z), withDecades(1, 3, [5, 2, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 0, 0]),
      withDecades(2, 1, z, z), withDecades(2, 2, z, z), withDecades(2, 3, z, z),
    ]).combinations)!;
    expect(ch.buckets).toEqual(['[0,1us)', '[1us,10us)', '[10us,100us)', '[100us,1ms)', '[1ms,10ms)', '[10ms,100ms)', '>=100ms']);
    expect(ch.series[0]!.read).toEqual([3, 2, 0, 0, 0, 0, 0]);
    expect(ch.series[0]!.total).toEqual([3, 2, 0, 0, 0, 0, 0]);
    expect(ch.series[1]!.total).toEqual(z);
    expect(decadeChart(compare([withDecades(1, 1, z, z)]).combinations)).toBeUndefined();
    expect(decadeChart(compare([fakeRun('mainline', 1, 1)]).combinations)).toBeUndefined();
  });
});
