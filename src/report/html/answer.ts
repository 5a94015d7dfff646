/**
 * The top of the run report: what differs from mainline (the rule of
 * differs.ts), each figure linked to the plot that shows it, or to its row of
 * the comparison table when no plot does.
 */
import { comboName, type Comparison } from '../compare.js';
import { DIFFERS_THRESHOLD, whatDiffers } from '../differs.js';
import { formatRatio, formatValue } from '../format.js';
import { visibleSections } from '../rows.js';
import { differsRule } from '../summary.js';
import type { ReportData } from './data.js';
import { escapeHtml as h } from './escape.js';

/** Figures listed per combination before the rest folds into a <details>. */
export const ANSWER_SHOWN = 8;

/** Element id of each visible table row (`row-<n>`, in table order), by figure name. */
export function tableRowIds(cmp: Comparison): Map<string, string> {
  const ids = new Map<string, string>();
  let n = 0;
  for (const sec of visibleSections(cmp.combinations)) for (const r of sec.rows) ids.set(r.figure, `row-${n++}`);
  return ids;
}

/**
 * The plot that shows a figure, if the report has one: op latency
 * percentiles -> that op's latency plot for the class; mmap_lock waits -> the
 * decade plot; time shares -> the class's time breakdown; inversion -> its
 * bar charts.
 */
export function plotOf(figure: string, data: ReportData): string | undefined {
  const have = new Set([...data.cdf.charts.map((c) => c.id), ...data.bars.map((b) => b.id), ...(data.decades ? [data.decades.id] : [])]);
  const pick = (id: string) => (have.has(id) ? id : undefined);
  const op = /^ops\.([^.]+)\.([^.]+)\.(p50|p90|p99|p99\.9|max|mean)$/.exec(figure);
  if (op !== null) return pick(`cdf-${op[2]!}-${op[1]!}`);
  if (/^mmap_lock\.(read|write)_wait\./.test(figure)) return data.decades?.id;
  const time = /^time\.([^.]+)\./.exec(figure);
  if (time !== null) return pick(`time-${time[1]!}`);
  if (/^inversion\.[^.]+\.inverted_time$/.test(figure)) return pick('inversion-time');
  if (/^inversion\.([^.]+\.max_chain|longest_chain)$/.test(figure)) return pick('inversion-chain');
  return undefined;
}

/** The "what differs" section's HTML. */
export function answerHtml(cmp: Comparison, data: ReportData, seeds: number): string {
  const diffs = whatDiffers(cmp);
  const rows = tableRowIds(cmp);
  const hasRef = cmp.combinations.some((c) => c.fault === 'mainline');
  if (diffs.length === 0 || !hasRef) {
    const why = hasRef ? 'Only mainline was run: nothing to compare.' : 'mainline was not run: nothing to compare with (ratios are to mainline).';
    return `<h2>What differs from mainline</h2><p class="note">${h(why)}</p>`;
  }
  const t = DIFFERS_THRESHOLD;
  const parts: string[] = [
    '<h2>What differs from mainline</h2>',
    `<p class="note">${h(differsRule(seeds, t).replace(/^what differs from mainline /, 'Compared with mainline '))} Each figure links to its plot (or its table row). Rule: docs/metrics.md, "What differs from mainline".</p>`,
  ];
  for (const cd of diffs) {
    const name = comboName(cd.combo);
    if (cd.reference === null) {
      parts.push(`<p class="combo"><b>${h(name)}</b>: no mainline with fork strategy ${h(cd.combo.fork)}, nothing compared.</p>`);
      continue;
    }
    const n = cd.differences.length;
    const count = n === 0 ? 'no figure differs' : `${n} figure${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''}`;
    parts.push(`<p class="combo"><b>${h(name)}</b>: ${count} (of ${cd.compared} compared)</p>`);
    if (n === 0) continue;
    const li = cd.differences.map((d) => {
      const target = plotOf(d.figure, data) ?? rows.get(d.figure) ?? 'table';
      const arrow = d.ratio > 1 ? '▲' : '▼';
      return `<tr><td><a href="#${h(target)}">${h(d.label)}</a></td><td class="num">${h(formatValue(d.reference.median, d.unit))} → ${h(formatValue(d.value.median, d.unit))}</td><td class="num ratio">${arrow} ${h(formatRatio(d.ratio))}</td></tr>`;
    });
    parts.push(`<table class="diff">${li.slice(0, ANSWER_SHOWN).join('')}</table>`);
    if (n > ANSWER_SHOWN) parts.push(`<details><summary>${n - ANSWER_SHOWN} more</summary><table class="diff">${li.slice(ANSWER_SHOWN).join('')}</table></details>`);
  }
  return parts.join('\n');
}
