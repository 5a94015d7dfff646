/**
 * The plain-text comparison table: one row per figure, one column per
 * strategy combination. Deterministic: same comparison, same text.
 */
import { REFERENCE_FAULT_STRATEGY, type Combination, type Comparison } from './compare.js';
import { formatNs, formatRatio, formatSpread, formatValue } from './format.js';
import { whatDiffers } from './differs.js';
import { visibleSections, type Unit } from './rows.js';
import { renderSummary } from './summary.js';
import { relativeSpread, type FigureSummary } from './stats.js';

/** What was run, for the heading. */
export interface RunInfo {
  name: string;
  source: string;
  /** First seed and number of seeds. */
  seed: number;
  seeds: number;
  duration: number;
  warmup: number;
}

const GAP = '   ';

/** [value, spread, ratio] of one cell; '' parts are omitted (the table and the LKML form share it). */
export function cellParts(s: FigureSummary | undefined, unit: Unit, c: Combination): Cell {
  if (s === undefined) return ['-', '', ''];
  const r = relativeSpread(s);
  const partial = s.seeds < c.runs.length ? `(${s.seeds}/${c.runs.length})` : '';
  const spread = [partial, r === null ? '' : formatSpread(r)].filter((x) => x !== '').join(' ');
  const ratio = c.fault !== REFERENCE_FAULT_STRATEGY && s.ratio !== undefined ? formatRatio(s.ratio) : '';
  return [formatValue(s.median, unit), spread, ratio];
}

function header(c: Combination): string[] {
  const [base, ...opts] = c.fault.split('+');
  return [base!, ...opts.map((o) => `+${o}`), c.fork];
}

export type Cell = [value: string, spread: string, ratio: string];
type Line = { label: string; cells: Cell[] } | string;

/** Column widths: of each cell part, and of the whole column. */
function columnWidths(lines: readonly Line[], heads: readonly string[][], i: number): { parts: number[]; total: number } {
  const parts = [0, 1, 2].map((k) => Math.max(0, ...lines.map((l) => (typeof l === 'string' ? 0 : l.cells[i]![k]!.length))));
  const cell = parts[0]! + (parts[1]! && parts[1]! + 1) + (parts[2]! && parts[2]! + 1);
  return { parts, total: Math.max(cell, ...heads[i]!.map((h) => h.length)) };
}

function renderCell([v, s, r]: Cell, w: { parts: number[]; total: number }): string {
  let cell = v.padStart(w.parts[0]!);
  if (w.parts[1]! > 0) cell += ' ' + s.padEnd(w.parts[1]!);
  if (w.parts[2]! > 0) cell += ' ' + r.padStart(w.parts[2]!);
  return cell.padEnd(w.total);
}

export function renderTable(cmp: Comparison, info: RunInfo): string {
  const combos = cmp.combinations;
  const lines: Line[] = [];
  for (const sec of visibleSections(combos)) {
    lines.push(sec.heading);
    for (const r of sec.rows) lines.push({ label: `  ${r.label}`, cells: combos.map((c) => cellParts(c.summary[r.figure], r.unit, c)) });
  }
  const heads = combos.map(header);
  const depth = Math.max(...heads.map((h) => h.length));
  const labelW = Math.max(...lines.map((l) => (typeof l === 'string' ? 0 : l.label.length)));
  const widths = combos.map((_, i) => columnWidths(lines, heads, i));
  const row = (label: string, cols: string[]) => `${label.padEnd(labelW)}${GAP}${cols.join(GAP)}`.trimEnd();
  const seeds = info.seeds === 1 ? `seed ${info.seed}` : `seeds ${info.seed}..${info.seed + info.seeds - 1}`;
  const out = [`scenario ${info.name} (${info.source}): ${seeds}, ${formatNs(info.duration)} simulated, warm-up ${formatNs(info.warmup)}`, ''];
  const summary = renderSummary(whatDiffers(cmp), { seeds: info.seeds, rest: ' (in the table below)' });
  if (summary.length !== 0) out.push(...summary, '');
  for (let d = 0; d < depth; d++) {
    // Header lines are bottom-aligned: the fork strategy is always the last line.
    out.push(row('', heads.map((h, i) => (h[d - (depth - h.length)] ?? '').padEnd(widths[i]!.total))));
  }
  for (const l of lines) out.push(typeof l === 'string' ? l : row(l.label, l.cells.map((c, i) => renderCell(c, widths[i]!))));
  out.push('', ...chainLines(combos), ...legend(info, combos));
  return out.join('\n') + '\n';
}

function chainLines(combos: readonly Combination[]): string[] {
  const out: string[] = [];
  for (const c of combos) {
    let best: { len: number; text: string } | null = null;
    for (const r of c.runs) {
      const lc = r.inversion.longestChain;
      if (lc !== null && (best === null || lc.length > best.len)) {
        best = { len: lc.length, text: `${lc.length} task${lc.length === 1 ? '' : 's'} (seed ${r.seed}, at ${formatNs(lc.at)}): ${lc.chain}` };
      }
    }
    if (best !== null) out.push(`  ${c.fault} / ${c.fork}: ${best.text}`);
  }
  return out.length === 0 ? [] : ['longest blocking chain (over seeds)', ...out, ''];
}

function legend(info: RunInfo, combos: readonly Combination[]): string[] {
  const hasRef = combos.some((c) => c.fault === REFERENCE_FAULT_STRATEGY);
  const ratio = hasRef ? ', ratio of medians to mainline with the same fork strategy' : '';
  const cells = info.seeds === 1
    ? `cells: value for seed ${info.seed}${ratio.replace('of medians ', '')}`
    : `cells: median over ${info.seeds} seeds, ±half the min-max range as % of the median${ratio}; (k/n): only k of the n seeds have the figure`;
  return [
    `${cells}; -: no value.`,
    'Simulated time after warm-up; percentiles from HdrHistogram (3 significant digits). Definitions: README, "What the figures mean".',
    'hints: --json for every figure and per-seed values; --seeds N for the spread over seeds; `faultline list` for scenarios and strategies.',
  ];
}
