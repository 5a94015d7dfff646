/** The comparison table (and sweep summaries) as HTML: the same rows and cells as the plain-text table. */
import { formatDuration } from '../../scenario/index.js';
import { REFERENCE_FAULT_STRATEGY, type Combination, type Comparison } from '../compare.js';
import { formatCount, formatNs, formatParamValues, formatPercent, formatRatio, formatSpread, plural } from '../format.js';
import { visibleSections, type Unit } from '../rows.js';
import { relativeSpread, type FigureSummary } from '../stats.js';
import type { SweepChart } from './data.js';
import { escapeHtml as h } from './escape.js';

export function formatValue(v: number, unit: Unit): string {
  return unit === 'ns' ? formatNs(v) : unit === 'share' ? formatPercent(v) : formatCount(v);
}

function cell(s: FigureSummary | undefined, unit: Unit, c: Combination): string {
  if (s === undefined) return '<td class="none">-</td>';
  const r = relativeSpread(s);
  const partial = s.seeds < c.runs.length ? ` (${s.seeds}/${c.runs.length})` : '';
  const spread = r === null ? '' : formatSpread(r);
  const ratio = c.fault !== REFERENCE_FAULT_STRATEGY && s.ratio !== undefined ? formatRatio(s.ratio) : '';
  const cls = s.ratio === undefined || ratio === '' ? '' : s.ratio > 1.1 ? ' worse' : s.ratio < 0.9 ? ' better' : '';
  const title = `median ${formatValue(s.median, unit)}, min ${formatValue(s.min, unit)}, max ${formatValue(s.max, unit)} over ${plural(s.seeds, 'seed')}`;
  return `<td class="v${cls}" title="${h(title)}">${h(formatValue(s.median, unit))}<span class="sp">${h(spread + partial)}</span><span class="ra">${h(ratio)}</span></td>`;
}

export function comparisonTableHtml(cmp: Comparison): string {
  const combos = cmp.combinations;
  const head = combos.map((c) => {
    const [base, ...opts] = c.fault.split('+');
    return `<th>${h(base!)}${opts.map((o) => `<br>+${h(o)}`).join('')}<br><span class="fork">${h(c.fork)}</span></th>`;
  }).join('');
  const body: string[] = [];
  // Row ids `row-<n>` in table order: the "what differs" summary links to them (answer.ts).
  let n = 0;
  for (const sec of visibleSections(combos)) {
    body.push(`<tr class="sec"><th colspan="${combos.length + 1}">${h(sec.heading)}</th></tr>`);
    for (const r of sec.rows) {
      body.push(`<tr id="row-${n++}"><th class="label" title="${h(r.figure)}">${h(r.label)}</th>${combos.map((c) => cell(c.summary[r.figure], r.unit, c)).join('')}</tr>`);
    }
  }
  return `<table class="cmp"><thead><tr><th></th>${head}</tr></thead><tbody>${body.join('\n')}</tbody></table>`;
}

/** One sweep chart as a table: a row per value of the swept parameter, median [min..max] per combination. */
export function sweepTableHtml(chart: SweepChart, combos: readonly string[]): string {
  const fmt = (v: number) => (Number.isFinite(v) ? formatValue(v, chart.unit) : '-');
  const labels = chart.xUnit === 'ns' ? chart.x.map((v) => formatDuration(v)) : formatParamValues(chart.x);
  const head = chart.series.map((s) => `<th>${h(combos[s.combo]!)}</th>`).join('');
  const rows = chart.x.map((_x, i) => {
    const cells = chart.series.map((s) => {
      const m = s.median[i]!, lo = s.min[i]!, hi = s.max[i]!;
      const spread = Number.isFinite(lo) && lo !== hi ? `<span class="sp">${h(fmt(lo))}..${h(fmt(hi))}</span>` : '';
      return `<td class="v">${h(fmt(m))}${spread}</td>`;
    }).join('');
    return `<tr><th class="label">${h(labels[i]!)}</th>${cells}</tr>`;
  });
  return `<table class="cmp sweep"><thead><tr><th>${h(chart.xLabel)}</th>${head}</tr></thead><tbody>${rows.join('\n')}</tbody></table>`;
}
