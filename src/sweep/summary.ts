/**
 * The plain-text summary a sweep prints: for each figure, a row per value of
 * the swept parameter(s) and a column per strategy combination, with the
 * median over seeds and the min..max range.
 */
import { formatNs, formatCount, formatParamValues, formatPercent, plural, shareablePath } from '../report/index.js';
import { comboLabel, sweepCharts, type SweepParam, type SweepRun } from '../report/html/data.js';
import { formatDuration } from '../scenario/index.js';
import type { SweepHeader, SweepLine } from './results.js';

/** Runs of a results file, parsed. */
export function sweepRuns(lines: ReadonlyMap<number, string>): SweepRun[] {
  return [...lines.keys()].sort((a, b) => a - b).map((k) => {
    const l = JSON.parse(lines.get(k)!) as SweepLine;
    return { point: l.point, fault: l.fault, fork: l.fork, seed: l.seed, metrics: l.metrics };
  });
}

export function sweepParams(h: SweepHeader): SweepParam[] {
  return h.params.map((p) => ({ path: p.path, values: p.values, kind: p.kind }));
}

export function sweepCombos(h: SweepHeader): string[] {
  return h.forks.flatMap((fork) => h.faults.map((fault) => comboLabel({ fault, fork })));
}

export function renderSweepSummary(h: SweepHeader, runs: readonly SweepRun[], figures: readonly string[]): string {
  const combos = sweepCombos(h);
  const charts = sweepCharts(sweepParams(h), runs, figures, combos);
  const out: string[] = [`sweep ${h.sweep} of ${h.scenario} (${shareablePath(h.source)}): ${runs.length}/${plural(h.runs, 'run')}, ${plural(h.seeds, 'seed')} per point`];
  for (const c of charts) {
    const fmt = (v: number) => (!Number.isFinite(v) ? '-' : c.unit === 'ns' ? formatNs(v) : c.unit === 'share' ? formatPercent(v) : formatCount(v));
    const xs = c.xUnit === 'ns' ? c.x.map((x) => formatDuration(x)) : formatParamValues(c.x);
    const cols = c.series.map((s) => ({
      head: combos[s.combo]!,
      cells: c.x.map((_, i) => (h.seeds > 1 && Number.isFinite(s.min[i]!) ? `${fmt(s.median[i]!)} [${fmt(s.min[i]!)}..${fmt(s.max[i]!)}]` : fmt(s.median[i]!))),
    }));
    const w0 = Math.max(c.xLabel.length, ...xs.map((x) => x.length));
    const ws = cols.map((col) => Math.max(col.head.length, ...col.cells.map((x) => x.length)));
    out.push('', c.title);
    out.push([c.xLabel.padEnd(w0), ...cols.map((col, i) => col.head.padStart(ws[i]!))].join('   ').trimEnd());
    xs.forEach((x, r) => out.push([x.padEnd(w0), ...cols.map((col, i) => col.cells[r]!.padStart(ws[i]!))].join('   ').trimEnd()));
  }
  if (h.seeds > 1) out.push('', `cells: median over ${h.seeds} seeds [min..max]; simulated time after warm-up.`);
  return out.join('\n') + '\n';
}
