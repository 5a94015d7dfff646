/**
 * An experiment's table: one row per configuration (variant, fault strategy,
 * fork strategy), one column per chosen figure, then the notes and the
 * headline. Plain text that pastes into a mail; JSON for tools.
 */
import {
  compare, differsRule, formatCount, LKML_WIDTH, wrap, formatNs, formatPercent, formatSpread, median, relativeSpread, renderSummary, summarise, whatDiffers,
} from '../report/index.js';
import { percentile } from './run.js';
import type { Cell, Column, ExperimentResult, RunResult, TableSpec, Unit } from './types.js';

/** A column's value for a set of runs (one seed, or all), or null when there is none. */
export function columnValue(col: Column, cell: Cell): number | null {
  if ('samples' in col) {
    const v = cell.runs.flatMap((r) => r.samples[col.samples] ?? []);
    switch (col.stat) {
      case 'count': return v.length;
      case 'mean': return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length;
      case 'max': return v.length === 0 ? null : Math.max(...v);
      default: return v.length === 0 ? null : percentile(v, Number(col.stat.slice(1)));
    }
  }
  const vals = perSeed(col, cell);
  if (vals.length === 0) return null;
  return col.agg === 'sum' ? vals.reduce((a, b) => a + b, 0) : median(vals);
}

function perSeed(col: Extract<Column, { figure: unknown }>, cell: Cell): number[] {
  const f = col.figure;
  const get = typeof f === 'string' ? (r: RunResult) => r.figures.get(f) : f;
  return cell.runs.map(get).filter((x): x is number => x !== undefined);
}

function formatValue(v: number, unit: Unit): string {
  return unit === 'ns' ? formatNs(v) : unit === 'share' ? formatPercent(v) : formatCount(v);
}

function cellText(col: Column, cell: Cell): string {
  const v = columnValue(col, cell);
  if (v === null) return '-';
  let s = formatValue(v, col.unit);
  if (!('samples' in col) && col.agg !== 'sum' && cell.runs.length > 1) {
    const r = relativeSpread(summarise(perSeed(col, cell)));
    if (r !== null && r >= 0.005) s += ` ${formatSpread(r)}`;
  }
  return s;
}

export function renderExperimentTable(r: ExperimentResult): string {
  const exp = r.experiment;
  const seeds = r.seeds === 1 ? `seed ${r.seed}` : `seeds ${r.seed}..${r.seed + r.seeds - 1}`;
  const out = [
    `experiment ${exp.number} ${exp.name}: ${exp.title}`,
    `scenario ${exp.scenario} (scenarios/${exp.scenario}.yaml), ${seeds} per configuration`,
  ];
  const summary = differsSummary(r);
  if (summary.length !== 0) out.push('', ...summary);
  for (const t of exp.tables) out.push('', ...renderOne(r, t));
  out.push('');
  const cellsNote = r.seeds === 1
    ? 'cells: the value for the one seed'
    : `cells: median over ${r.seeds} seeds, ±half the min-max range as % of the median (when >= 0.5%); pooled columns: all seeds' samples together`;
  out.push(`${cellsNote}; -: no value.`);
  for (const n of exp.notes) out.push(n);
  const h = exp.headline(r);
  out.push('', `headline: ${h.text}`);
  if (!h.holds) out.push('headline: the documented conclusion does NOT hold for this result (see docs/experiments.md).');
  return out.join('\n') + '\n';
}

/** Most figures the summary lists per configuration (the experiment's own tables follow). */
const SUMMARY_LIMIT = 3;

/**
 * "What differs from mainline" over the standard figures (those of
 * `faultline run`'s table), per variant: the same rule and summary as `run`.
 */
function differsSummary(r: ExperimentResult): string[] {
  const variants = [...new Set(r.cells.map((c) => c.variant))];
  const out: string[] = [];
  for (const v of variants) {
    const runs = r.cells.filter((c) => c.variant === v).flatMap((c) => c.runs.map((x) => x.metrics));
    const lines = renderSummary(whatDiffers(compare(runs)), {
      seeds: r.seeds, limit: SUMMARY_LIMIT, rule: false, rest: ' (`faultline run` shows every figure)', indent: v === '' ? '' : '  ',
    });
    if (lines.length === 0) continue;
    if (v !== '') out.push(`  variant ${v}:`);
    out.push(...lines);
  }
  return out.length === 0 ? [] : [...wrap(differsRule(r.seeds), LKML_WIDTH, '  '), ...out];
}

function renderOne(r: ExperimentResult, t: TableSpec): string[] {
  const showVariant = new Set(r.cells.map((c) => c.variant)).size > 1;
  const showFork = new Set(r.cells.map((c) => c.fork)).size > 1;
  const keys: Array<[string, (c: Cell) => string]> = [];
  if (showVariant) keys.push(['variant', (c) => c.variant]);
  keys.push(['strategy', (c) => c.fault]);
  if (showFork) keys.push(['fork', (c) => c.fork]);
  const head = [...keys.map(([k]) => k), ...t.columns.map((c) => c.label)];
  const body = r.cells.map((c) => [...keys.map(([, f]) => f(c)), ...t.columns.map((col) => cellText(col, c))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const nk = keys.length;
  const line = (cols: string[]) => cols.map((x, i) => (i < nk ? x.padEnd(widths[i]!) : x.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [t.title, line(head)];
  let prev: string | null = null;
  r.cells.forEach((c, i) => {
    if (showVariant && prev !== null && c.variant !== prev) out.push('');
    prev = c.variant;
    out.push(line(body[i]!));
  });
  return out;
}

export function renderExperimentJson(r: ExperimentResult, version: string): string {
  const exp = r.experiment;
  const h = exp.headline(r);
  const doc = {
    faultline: version,
    experiment: {
      name: exp.name, number: exp.number, title: exp.title, question: exp.question, source: exp.source,
      scenario: exp.scenario, seed: r.seed, seeds: r.seeds,
    },
    tables: exp.tables.map((t) => ({
      title: t.title,
      columns: t.columns.map((c) => ({ label: c.label, unit: c.unit })),
      rows: r.cells.map((c) => ({
        variant: c.variant,
        fault: c.fault,
        fork: c.fork,
        values: t.columns.map((col) => columnValue(col, c)),
        seeds: c.runs.map((run) => ({
          seed: run.seed,
          values: t.columns.map((col) => columnValue(col, { ...c, runs: [run] })),
        })),
      })),
    })),
    headline: h,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
