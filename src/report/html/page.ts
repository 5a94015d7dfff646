/**
 * The HTML report: one self-contained file that opens offline (the plotting
 * library, Apache ECharts, is inlined; a Content-Security-Policy forbids any
 * network access). Static text and tables are rendered here, escaped; the
 * plots are drawn in the browser by client.ts from a JSON data block.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdirs, OutputPathError } from '../mkdirs.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Comparison } from '../compare.js';
import { formatNs, formatParamValues, plural } from '../format.js';
import type { RunInfo } from '../table.js';
import { clientMain } from './client.js';
import { answerHtml } from './answer.js';
import { comboLabel, runReportData, sweepCharts, type ReportData, type SweepParam, type SweepRun } from './data.js';
import { escapeHtml as h, jsonForScript } from './escape.js';
import { comparisonTableHtml, sweepTableHtml } from './table.js';

export interface RunReportInput {
  kind: 'run';
  info: RunInfo;
  version: string;
  description?: string;
  comparison: Comparison;
}

export interface SweepReportInput {
  kind: 'sweep';
  info: RunInfo;
  version: string;
  description?: string;
  sweepId: string;
  params: SweepParam[];
  /** Strategy combinations in order, `fault / fork`. */
  combos: string[];
  runs: SweepRun[];
  /** Total runs of the sweep (runs.length < total for a partial result). */
  total: number;
  figures: string[];
}

export type ReportInput = RunReportInput | SweepReportInput;

let echartsCache: string | undefined;

/** The minified ECharts build shipped in the echarts package. */
export function echartsSource(): string {
  if (echartsCache === undefined) {
    const main = createRequire(import.meta.url).resolve('echarts'); // .../echarts/dist/echarts.js
    echartsCache = readFileSync(join(dirname(main), 'echarts.min.js'), 'utf8').replace(/<\/(script)/gi, '<\\/$1');
  }
  return echartsCache;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1400px;padding:0 24px 48px;color:#222}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
p.meta{color:#555;margin:4px 0}nav a{margin-right:14px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(430px,1fr));gap:14px}
.chart{height:340px;border:1px solid #e4e4e4;border-radius:4px}.chart.wide{height:300px}.grid .full{grid-column:1/-1}
table.cmp{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13px;margin:8px 0}
table.cmp th,table.cmp td{padding:2px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
table.cmp thead th{vertical-align:bottom;border-bottom:2px solid #ccc}table.cmp th.label{text-align:left;font-weight:normal;padding-left:18px}
table.cmp tr.sec th{text-align:left;background:#f6f6f6;padding-top:8px}
.fork{color:#666;font-weight:normal}.sp,.ra{color:#777;margin-left:6px;font-size:12px}
td.worse .ra{color:#b00020;font-weight:600}td.better .ra{color:#137333;font-weight:600}td.none{color:#aaa}
ul.chains li{font-family:ui-monospace,monospace;font-size:12.5px}
.note{color:#666;font-size:12.5px}
section.top{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,560px);gap:18px;align-items:start}
section.top h2{margin-top:12px}section.top .lead .chart{height:380px}
@media (max-width:1000px){section.top{grid-template-columns:1fr}}
p.combo{margin:8px 0 2px}table.diff{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:13px;margin:0 0 4px 12px}
table.diff td{padding:1px 8px;white-space:nowrap}table.diff td.num{text-align:right}table.diff td.ratio{font-weight:600}
details{margin-left:12px;font-size:13px}
`;

function heading(r: ReportInput): string {
  const i = r.info;
  const seeds = i.seeds === 1 ? `seed ${i.seed}` : `seeds ${i.seed}..${i.seed + i.seeds - 1}`;
  const parts = [
    `<h1>faultline: ${h(i.name)}</h1>`,
    r.description !== undefined && r.description !== '' ? `<p class="meta">${h(r.description)}</p>` : '',
    `<p class="meta">scenario <code>${h(i.source)}</code>; ${h(seeds)}; ${h(formatNs(i.duration))} simulated, warm-up ${h(formatNs(i.warmup))}; faultline ${h(r.version)}</p>`,
  ];
  return parts.join('\n');
}

function chainsHtml(cmp: Comparison): string {
  const items: string[] = [];
  for (const c of cmp.combinations) {
    let best: { len: number; text: string } | null = null;
    for (const r of c.runs) {
      const lc = r.inversion.longestChain;
      if (lc !== null && (best === null || lc.length > best.len)) best = { len: lc.length, text: `${plural(lc.length, 'task')} (seed ${r.seed}, at ${formatNs(lc.at)}): ${lc.chain}` };
    }
    if (best !== null) items.push(`<li><b>${h(comboLabel(c))}</b>: ${h(best.text)}</li>`);
  }
  return items.length === 0 ? '<p class="note">No task was blocked behind another.</p>' : `<ul class="chains">${items.join('\n')}</ul>`;
}

function charts(ids: Array<{ id: string }>, cls = 'chart'): string {
  return `<div class="grid">${ids.map((c) => `<div class="${cls}" id="${h(c.id)}"></div>`).join('')}</div>`;
}

/** The plot shown beside the summary on the first screen: fault latency of all threads, else the first latency plot. */
function leadChart(data: ReportData): string | undefined {
  return (data.cdf.charts.find((c) => c.id === 'cdf-fault-all') ?? data.cdf.charts[0])?.id;
}

function runBody(r: RunReportInput): { body: string; data: ReportData } {
  const cmp = r.comparison;
  const data = runReportData(cmp);
  const lead = leadChart(data);
  const cdfs = data.cdf.charts.filter((c) => c.id !== lead);
  const time = data.bars.filter((b) => b.id.startsWith('time-'));
  const inv = data.bars.filter((b) => b.id.startsWith('inversion-'));
  const spread = r.info.seeds > 1 ? ' Lines are medians over seeds; dashed lines are the fastest and slowest seed.' : '';
  const decades = data.decades === undefined ? '' : `
<h2 id="mmap-wait">mmap_lock waits by duration</h2>
<p class="note">Number of down_read and down_write waits on mmap_lock per decade of their duration (exact counts, median over seeds; log scale, the count is written on each bar). Definition: docs/metrics.md, "mmap_lock".</p>
${charts([data.decades], 'chart wide full')}`;
  const body = `
<section class="top" id="summary">
<div class="answer">
${answerHtml(cmp, data, r.info.seeds)}
</div>
${lead === undefined ? '' : `<div class="lead"><div class="chart" id="${h(lead)}"></div></div>`}
</section>
<nav><a href="#cdf">latency</a>${data.decades === undefined ? '' : '<a href="#mmap-wait">mmap_lock waits</a>'}<a href="#time">time breakdown</a><a href="#inversion">priority inversion</a><a href="#table">comparison table</a></nav>
<h2 id="cdf">Latency by percentile</h2>
<p class="note">Op latency (op begin to end, after warm-up) against the percentile, on a "nines" axis as HdrHistogram plots do: 90%, 99%, 99.9% and 99.99% are equally spaced, so the tail gets the room; p50, p99, p99.9 and p99.99 are marked. Log latency axis; the maximum is in the table. Lines that are identical are drawn once and named <i>A = B (identical)</i>; each combination has its own marker shape.${spread}</p>
${charts(cdfs)}${decades}
<h2 id="time">Where the time goes</h2>
<p class="note">Share of op time spent running, waiting for a CPU (runqueue), sleeping on mmap_lock, a VMA lock, a folio lock, or I/O (median over seeds). Each bar is labelled with its largest category.</p>
${charts(time, 'chart wide')}
<h2 id="inversion">Priority inversion</h2>
<p class="note">Time threads spent blocked behind a lower-priority task, and the longest blocking chain (waiter, what it waits behind, and so on).</p>
${charts(inv, 'chart wide')}
<h3>Longest blocking chain per combination</h3>
${chainsHtml(cmp)}
<h2 id="table">Comparison</h2>
<p class="note">Median over seeds, ±half the min-max range as % of the median, ratio to mainline with the same fork strategy (red: more than 10% worse, green: more than 10% better). Hover a cell for min and max. Definitions: docs/metrics.md.</p>
${comparisonTableHtml(cmp)}`;
  return { body, data };
}

function sweepBody(r: SweepReportInput): { body: string; data: ReportData } {
  const sweep = sweepCharts(r.params, r.runs, r.figures, r.combos);
  const data: ReportData = { combos: r.combos, seeds: r.info.seeds, cdf: { percentiles: [], charts: [] }, bars: [], sweep };
  const params = r.params.map((p) => `<li><code>${h(p.path)}</code>: ${h((p.kind === 'ns' ? p.values.map((v) => formatNs(v)) : formatParamValues(p.values)).join(', '))}</li>`).join('');
  const partial = r.runs.length < r.total ? `<p class="note"><b>Partial results:</b> ${r.runs.length} of ${plural(r.total, 'run')}.</p>` : '';
  const sections = sweep.map((c) => `<div class="chart" id="${h(c.id)}"></div>\n${sweepTableHtml(c, r.combos)}`).join('\n');
  const body = `
<h2 id="sweep">Sweep</h2>
<p class="meta">sweep <code>${h(r.sweepId)}</code>, ${plural(r.runs.length, 'run')}; parameters:</p><ul>${params}</ul>
${partial}
<p class="note">Each plot: a figure against the swept parameter, one line per strategy combination (median over seeds) with a band from the lowest to the highest seed. Tables give median and min..max.</p>
${sections}`;
  return { body, data };
}

/** The whole page. */
export function renderReport(r: ReportInput): string {
  const { body, data } = r.kind === 'run' ? runBody(r) : sweepBody(r);
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faultline: ${h(r.info.name)}</title>
<style>${CSS}</style>
</head>
<body>
${heading(r)}
${body}
<p class="note">Generated by faultline ${h(r.version)}. Plots: Apache ECharts (inlined, Apache-2.0).</p>
<script type="application/json" id="faultline-data">${jsonForScript(data)}</script>
<script>${echartsSource()}</script>
<script>var __name = function (f) { return f; };
(${clientMain.toString()})();</script>
</body>
</html>
`;
}

/** Write `dir/index.html`; returns its path and size. */
export function writeReport(dir: string, r: ReportInput): { path: string; bytes: number } {
  mkdirs(dir);
  const path = join(dir, 'index.html');
  const text = renderReport(r);
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new OutputPathError(`cannot write ${path} (${(e as { code?: string }).code ?? 'error'})`);
  }
  return { path, bytes: Buffer.byteLength(text) };
}
