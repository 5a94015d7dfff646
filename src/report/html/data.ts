/**
 * The data the report's plots are drawn from, computed here (not in the
 * browser) so that it is deterministic and testable. Over seeds, every plotted
 * value is the median, with the min and max as the spread band.
 */
import { LATENCY_CDF_PERCENTILES, OP_NAMES, TIME_CATEGORIES, WAIT_DECADE_LABELS, type RunMetrics } from '../../metrics/index.js';
import { formatDuration } from '../../scenario/index.js';
import { PRIORITY_CLASSES, type OpName, type PriorityClass } from '../../scenario/types.js';
import { comboName, type Combination, type Comparison } from '../compare.js';
import { flatten } from '../flatten.js';
import { formatPercent } from '../format.js';
import { median } from '../stats.js';

/** A line with its spread: median, min and max over seeds at each x. */
export interface Band {
  /** Index into `combos`. */
  combo: number;
  median: number[];
  min: number[];
  max: number[];
  /**
   * Other combinations (indices into `combos`) whose median, min and max are
   * identical to this one at every x: drawn once, named `A = B (identical)`.
   */
  same?: number[];
}

export interface CdfChart {
  id: string;
  title: string;
  op: OpName;
  /** A class, or 'all' for all threads. */
  who: PriorityClass | 'all';
  series: Band[];
}

export interface BarChart {
  id: string;
  title: string;
  /** Category labels (y axis). */
  categories: string[];
  /** One stacked part per series: name and value per category. */
  series: Array<{ name: string; values: number[] }>;
  unit: 'share' | 'ns' | 'count';
  stacked: boolean;
}

/** mmap_lock waits per decade of duration (RunMetrics.mmapLock.waitDecades), grouped bars per combination. */
export interface DecadeChart {
  id: string;
  title: string;
  /** Bucket names, WAIT_DECADE_LABELS. */
  buckets: string[];
  /** Per combination: median over seeds of the down_read + down_write waits, and of each, per bucket. */
  series: Array<{ combo: number; total: number[]; read: number[]; write: number[] }>;
}

export interface SweepChart {
  id: string;
  title: string;
  /** Figure plotted (flatten.ts name) and its unit. */
  figure: string;
  unit: 'ns' | 'count' | 'share';
  xLabel: string;
  xUnit: 'ns' | 'number';
  xLog: boolean;
  x: number[];
  series: Band[];
}

export interface ReportData {
  combos: string[];
  seeds: number;
  cdf: { percentiles: number[]; charts: CdfChart[] };
  bars: BarChart[];
  /** Present when the runs have mmap_lock waits in decade buckets and at least one wait. */
  decades?: DecadeChart;
  sweep: SweepChart[];
}

/** `fault / fork`. */
export const comboLabel = comboName;

function band(combo: number, columns: number[][]): Band {
  const b: Band = { combo, median: [], min: [], max: [] };
  for (const col of columns) {
    if (col.length === 0) {
      b.median.push(NaN);
      b.min.push(NaN);
      b.max.push(NaN);
      continue;
    }
    b.median.push(median(col));
    b.min.push(Math.min(...col));
    b.max.push(Math.max(...col));
  }
  return b;
}

/** Classes present in any run, most important first. */
export function classesOf(runs: readonly RunMetrics[]): PriorityClass[] {
  return PRIORITY_CLASSES.filter((c) => runs.some((r) => r.classes.includes(c)));
}

/** Latency CDF charts: per op (faults first), per class and for all threads; one band per combination. */
export function cdfCharts(combos: readonly Combination[]): CdfChart[] {
  const runs = combos.flatMap((c) => c.runs);
  const classes = classesOf(runs);
  const charts: CdfChart[] = [];
  for (const op of OP_NAMES) {
    for (const who of [...classes, 'all'] as const) {
      const series: Band[] = [];
      combos.forEach((c, ci) => {
        const per = c.runs.map((r) => (who === 'all' ? r.latencyCdf?.all[op] : r.latencyCdf?.byClass[who]?.[op])).filter((x): x is number[] => x !== undefined);
        if (per.length === 0) return;
        series.push(band(ci, LATENCY_CDF_PERCENTILES.map((_, pi) => per.map((v) => v[pi]!))));
      });
      if (series.length === 0) continue;
      const whoLabel = who === 'all' ? 'all threads' : who;
      charts.push({ id: `cdf-${op}-${who}`, title: `${op} latency, ${whoLabel}`, op, who, series: mergeIdentical(series) });
    }
  }
  return charts;
}

/** Bands that are identical (median, min and max at every x) become one band listing the others in `same`. */
export function mergeIdentical(series: readonly Band[]): Band[] {
  const key = (b: Band) => JSON.stringify([b.median, b.min, b.max]);
  const out: Band[] = [];
  const byKey = new Map<string, Band>();
  for (const b of series) {
    const k = key(b);
    const first = byKey.get(k);
    if (first === undefined) {
      const copy: Band = { ...b };
      byKey.set(k, copy);
      out.push(copy);
    } else (first.same ??= []).push(b.combo);
  }
  return out;
}

/** Median over seeds of one figure per combination (NaN when no seed has it). */
function perCombo(combos: readonly Combination[], figure: string): number[] {
  return combos.map((c) => c.summary[figure]?.median ?? NaN);
}

/** Time breakdown (per class), inverted time and longest chain per class. */
export function barCharts(combos: readonly Combination[]): BarChart[] {
  const runs = combos.flatMap((c) => c.runs);
  const classes = classesOf(runs);
  const categories = combos.map(comboLabel);
  const charts: BarChart[] = [];
  for (const cls of classes) {
    const series = TIME_CATEGORIES.map((cat) => ({ name: cat, values: perCombo(combos, `time.${cls}.${cat}.share`).map((v) => (Number.isNaN(v) ? 0 : v)) }));
    if (series.every((s) => s.values.every((v) => v === 0))) continue;
    // Each bar is labelled with its largest category, so the answer does not hide in the legend.
    const labels = categories.map((name, ci) => {
      const top = series.reduce((a, b) => (b.values[ci]! > a.values[ci]! ? b : a));
      return top.values[ci]! > 0 ? `${name}\nmostly ${top.name} (${formatPercent(top.values[ci]!)})` : name;
    });
    const tops = new Set(labels.map((l) => /\nmostly (\S+) /.exec(l)?.[1]).filter((x) => x !== undefined));
    const title = `where ${cls} threads' op time goes${tops.size === 1 ? `: mostly ${[...tops][0]!}` : ''}`;
    charts.push({ id: `time-${cls}`, title, categories: labels, series, unit: 'share', stacked: true });
  }
  if (runs.some((r) => r.inversion.analysed)) {
    charts.push({
      id: 'inversion-time',
      title: 'priority-inversion time (blocked behind a lower-priority task)',
      categories,
      series: classes.map((cls) => ({ name: cls, values: perCombo(combos, `inversion.${cls}.inverted_time`).map((v) => (Number.isNaN(v) ? 0 : v)) })),
      unit: 'ns',
      stacked: false,
    });
    charts.push({
      id: 'inversion-chain',
      title: 'longest blocking chain (tasks, waiter included)',
      categories,
      series: classes.map((cls) => ({ name: cls, values: perCombo(combos, `inversion.${cls}.max_chain`).map((v) => (Number.isNaN(v) ? 0 : v)) })),
      unit: 'count',
      stacked: false,
    });
  }
  return charts;
}

/** One run of a sweep, for the sweep plots. */
export interface SweepRun {
  /** Values of the swept parameters, in `params` order. */
  point: number[];
  fault: string;
  fork: string;
  seed: number;
  metrics: RunMetrics;
}

export interface SweepParam {
  path: string;
  values: number[];
  kind: 'ns' | 'number';
}

/**
 * Sweep charts: for each figure, the figure against the first swept
 * parameter, one band per strategy combination (median and min-max over
 * seeds); with several parameters, one chart per value of the others.
 */
export function sweepCharts(params: readonly SweepParam[], runs: readonly SweepRun[], figures: readonly string[], combos: readonly string[]): SweepChart[] {
  if (params.length === 0) return [];
  const x = params[0]!;
  const rest = params.slice(1);
  const groups = cartesian(rest.map((p) => p.values));
  const flat = runs.map((r) => ({ r, f: flatten(r.metrics) }));
  const charts: SweepChart[] = [];
  for (const figure of figures) {
    for (const g of groups) {
      const inGroup = flat.filter(({ r }) => g.every((v, i) => r.point[i + 1] === v));
      const series: Band[] = [];
      combos.forEach((label, ci) => {
        const mine = inGroup.filter(({ r }) => comboLabel(r) === label);
        if (mine.length === 0) return;
        const cols = x.values.map((xv) => mine.filter(({ r }) => r.point[0] === xv).map(({ f }) => f.get(figure)).filter((v): v is number => v !== undefined));
        if (cols.every((c) => c.length === 0)) return;
        series.push(band(ci, cols));
      });
      if (series.length === 0) continue;
      const where = rest.map((p, i) => `${p.path}=${p.kind === 'ns' ? formatDuration(g[i]!) : g[i]}`).join(', ');
      const positive = x.values.every((v) => v > 0);
      charts.push({
        id: `sweep-${charts.length}`,
        title: `${figure} vs ${x.path}${where === '' ? '' : ` (${where})`}`,
        figure,
        unit: /\.(count|unfinished|max_chain)$|longest_chain$|^vm_events\./.test(figure) ? 'count' : /\.share$/.test(figure) ? 'share' : 'ns',
        xLabel: x.path,
        xUnit: x.kind,
        xLog: positive && x.values.length > 2 && Math.max(...x.values) / Math.min(...x.values) >= 20,
        x: x.values,
        series,
      });
    }
  }
  return charts;
}

function cartesian(lists: readonly number[][]): number[][] {
  let out: number[][] = [[]];
  for (const l of lists) out = out.flatMap((prefix) => l.map((v) => [...prefix, v]));
  return out;
}

/** Default figures for sweep plots: fault p99 over all threads and per class, and fork p99 when there are forks. */
export function defaultSweepFigures(runs: readonly RunMetrics[]): string[] {
  const out = ['ops.all.fault.p99'];
  for (const c of classesOf(runs)) out.push(`ops.${c}.fault.p99`);
  if (runs.some((r) => r.opsAll.fork?.latency != null)) out.push('ops.all.fork.p99');
  return out;
}

/** The mmap_lock wait decade chart; undefined when no run has the buckets or no run waited. */
export function decadeChart(combos: readonly Combination[]): DecadeChart | undefined {
  const series: DecadeChart['series'] = [];
  combos.forEach((c, ci) => {
    const runs = c.runs.map((r) => r.mmapLock.waitDecades).filter((d) => d !== undefined);
    if (runs.length === 0) return;
    const med = (f: (d: { read: number[]; write: number[] }, i: number) => number) => WAIT_DECADE_LABELS.map((_, i) => median(runs.map((d) => f(d, i))));
    series.push({ combo: ci, total: med((d, i) => d.read[i]! + d.write[i]!), read: med((d, i) => d.read[i]!), write: med((d, i) => d.write[i]!) });
  });
  if (series.length === 0 || series.every((s) => s.total.every((v) => v === 0))) return undefined;
  return { id: 'mmap-wait-decades', title: 'mmap_lock waits (down_read + down_write) by duration', buckets: [...WAIT_DECADE_LABELS], series };
}

export function runReportData(cmp: Comparison): ReportData {
  const combos = cmp.combinations;
  const decades = decadeChart(combos);
  return {
    combos: combos.map(comboLabel),
    seeds: Math.max(0, ...combos.map((c) => c.runs.length)),
    cdf: { percentiles: [...LATENCY_CDF_PERCENTILES], charts: cdfCharts(combos) },
    bars: barCharts(combos),
    ...(decades === undefined ? {} : { decades }),
    sweep: [],
  };
}
