/**
 * The comparison for a mail (`--format lkml`): every line fits 72 columns.
 * First what differs from mainline (summary.ts), then the figures with the
 * strategy combinations side by side — each cell the median and the ratio to
 * mainline, `*` where it differs — then the spread over seeds in a second,
 * narrower table. Thread classes are abbreviated (legend at the end). When
 * the combinations do not fit side by side, they are split into blocks, each
 * repeating the row labels. Deterministic.
 */
import { PRIORITY_CLASSES, type PriorityClass } from '../scenario/types.js';
import { REFERENCE_FAULT_STRATEGY, type Combination, type Comparison } from './compare.js';
import { whatDiffers } from './differs.js';
import { formatNs, formatRatio, formatSpread, formatValue } from './format.js';
import { columnsPerBlock, layout, renderGrid, wrap as wrapTo, type GridColumn, type GridGroup } from './lkml-grid.js';
import { visibleSections, type Section } from './rows.js';
import { relativeSpread } from './stats.js';
import { renderSummary } from './summary.js';
import { cellParts, type RunInfo } from './table.js';

export const LKML_WIDTH = 72;

/** Spreads below this (half the min-max range over the median) stay out of the spread table. */
export const LKML_SPREAD_SHOWN = 0.1;

/** Short names of the thread classes, explained in the legend. */
export const CLASS_ABBREV: Record<PriorityClass, string> = {
  USER_INTERACTIVE: 'UI',
  USER_INITIATED: 'UIN',
  DEFAULT: 'DEF',
  UTILITY: 'UTL',
  BACKGROUND: 'BG',
};

/** Replace class names by their abbreviations, `all threads` by `all`. */
export function abbreviate(label: string): string {
  let out = label.replace(/\ball threads\b/g, 'all');
  for (const c of PRIORITY_CLASSES) out = out.split(c).join(CLASS_ABBREV[c]);
  return out;
}

/** Word-wrap `text` to `width` (default 72) columns; continuation lines get `indent`. */
export function wrap(text: string, width = LKML_WIDTH, indent = ''): string[] {
  return wrapTo(text, width, indent);
}

/** Header words of a column: fault strategy, its +options, and the fork strategy when forks differ. */
function header(c: Combination, withFork: boolean): string[] {
  const [base, ...opts] = c.fault.split('+');
  return [base!, ...opts.map((o) => `+${o}`), ...(withFork ? [c.fork] : [])];
}

/**
 * Main cells: `median ratio` (ratio right-aligned), `*` when the figure
 * differs from mainline; with `spread`, `median ±spread ratio` as in the
 * plain table.
 */
function mainColumns(combos: readonly Combination[], sections: readonly Section[], marked: ReadonlySet<string>, withFork: boolean, spread: boolean): { cols: GridColumn[]; cellW: number } {
  const parts = combos.map((c) => sections.flatMap((sec) => sec.rows.map((r) => {
    const s = c.summary[r.figure];
    if (s === undefined) return ['-', '', ''];
    const ratio = c.fault !== REFERENCE_FAULT_STRATEGY && s.ratio !== undefined ? formatRatio(s.ratio) : '';
    const mark = marked.has(`${c.fault}\u0000${c.fork}\u0000${r.figure}`) ? '*' : ratio === '' ? '' : ' ';
    return [formatValue(s.median, r.unit), spread ? cellParts(s, r.unit, c)[1] : '', ratio + mark];
  })));
  const all = parts.flat();
  const w = [0, 1, 2].map((k) => Math.max(...all.map((p) => p[k]!.length)));
  const cells = parts.map((col) => col.map((p) => {
    let out = p[0]!.padStart(w[0]!);
    if (w[1]! > 0) out += ` ${p[1]!.padEnd(w[1]!)}`;
    if (w[2]! > 0) out += ` ${p[2]!.padStart(w[2]!)}`;
    return out;
  }));
  const cellW = w[0]! + (w[1]! && w[1]! + 1) + (w[2]! && w[2]! + 1);
  return { cols: combos.map((c, i) => ({ head: header(c, withFork), cells: cells[i]! })), cellW };
}

export function renderLkml(cmp: Comparison, info: RunInfo): string {
  const combos = cmp.combinations;
  const classes = PRIORITY_CLASSES.filter((cls) => combos.some((c) => c.runs.some((r) => r.classes.includes(cls))));
  const sections = visibleSections(combos);
  const forks = [...new Set(combos.map((c) => c.fork))];
  const withFork = forks.length > 1;
  const diffs = whatDiffers(cmp);
  const marked = new Set(diffs.flatMap((d) => d.differences.map((x) => `${d.combo.fault}\u0000${d.combo.fork}\u0000${x.figure}`)));

  const seeds = info.seeds === 1 ? `seed ${info.seed}` : `seeds ${info.seed}..${info.seed + info.seeds - 1}`;
  const forkNote = withFork ? '' : `, fork strategy ${forks[0]}`;
  const out = wrap(`scenario ${info.name} (${info.source}): ${seeds}, ${formatNs(info.duration)} simulated, warm-up ${formatNs(info.warmup)}${forkNote}`, LKML_WIDTH, '  ');
  const summary = renderSummary(diffs, { seeds: info.seeds, width: LKML_WIDTH, label: abbreviate, rest: ' (marked * below)' });
  if (summary.length !== 0) out.push('', ...summary);

  const groups: GridGroup[] = sections.map((sec) => ({ heading: sec.heading, labels: sec.rows.map((r) => `  ${abbreviate(r.label)}`) }));
  // The spread stays in the cells when every combination still fits side by side; else it moves to a second table.
  const inline = mainColumns(combos, sections, marked, withFork, info.seeds > 1);
  const inlineLayout = layout(groups, inline.cellW, inline.cols.map((c) => c.head), LKML_WIDTH);
  if (columnsPerBlock(inlineLayout) >= combos.length) {
    out.push('', ...renderGrid(groups, inline.cols, inlineLayout));
  } else {
    const main = mainColumns(combos, sections, marked, withFork, false);
    out.push('', ...renderGrid(groups, main.cols, layout(groups, main.cellW, main.cols.map((c) => c.head), LKML_WIDTH)));
    out.push(...spreadTable(combos, sections, info, withFork));
  }
  out.push('', ...chains(combos), ...legend(info, combos, classes));
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
}

/**
 * The spread over seeds of the rows where some cell spreads by at least
 * LKML_SPREAD_SHOWN or misses seeds; nothing with one seed.
 */
function spreadTable(combos: readonly Combination[], sections: readonly Section[], info: RunInfo, withFork: boolean): string[] {
  if (info.seeds < 2) return [];
  const groups: GridGroup[] = [];
  const cols: string[][] = combos.map(() => []);
  for (const sec of sections) {
    const labels: string[] = [];
    for (const r of sec.rows) {
      const cells = combos.map((c) => {
        const s = c.summary[r.figure];
        if (s === undefined) return { text: '-', show: false };
        const sp = relativeSpread(s);
        const partial = s.seeds < c.runs.length ? `(${s.seeds}/${c.runs.length})` : '';
        // A median of 0 with values that differ: half the range over 0.
        const range = sp === null && s.seeds > 1 ? '±inf' : '';
        return { text: `${sp === null ? range : formatSpread(sp)}${partial}` || '-', show: partial !== '' || sp === null || sp >= LKML_SPREAD_SHOWN };
      });
      if (!cells.some((x) => x.show)) continue;
      labels.push(`  ${abbreviate(r.label)}`);
      cells.forEach((x, i) => cols[i]!.push(x.text));
    }
    if (labels.length !== 0) groups.push({ heading: sec.heading, labels });
  }
  const pct = Math.round(LKML_SPREAD_SHOWN * 100);
  const head = wrap(`spread over seeds: ±half the min..max range as % of the median; (k/n): only k of the n seeds have the figure. Rows where every cell is below ±${pct}% and in every seed are left out${groups.length === 0 ? ' (all of them)' : ''}.`);
  if (groups.length === 0) return ['', ...head];
  const columns = combos.map((c, i) => ({ head: header(c, withFork), cells: cols[i]! }));
  const cellW = Math.max(...cols.flat().map((x) => x.length));
  const named = layout(groups, cellW, columns.map((c) => c.head), LKML_WIDTH);
  if (columnsPerBlock(named) < combos.length) {
    // Names too wide for one block: number the columns (#1 is the first column of the figures) so they fit side by side.
    const numbered = columns.map((c, i) => ({ ...c, head: [`#${i + 1}`] }));
    const tight = layout(groups, cellW, numbered.map((c) => c.head), LKML_WIDTH, ' ');
    if (columnsPerBlock(tight) >= combos.length) {
      const key = wrap(`columns: ${combos.map((c, i) => `#${i + 1} ${withFork ? `${c.fault} / ${c.fork}` : c.fault}`).join(', ')}.`, LKML_WIDTH, '  ');
      return ['', ...head, ...key, '', ...renderGrid(groups, numbered, tight)];
    }
  }
  return ['', ...head, '', ...renderGrid(groups, columns, named)];
}

function chains(combos: readonly Combination[]): string[] {
  const out: string[] = [];
  for (const c of combos) {
    let best: { len: number; text: string } | null = null;
    for (const r of c.runs) {
      const lc = r.inversion.longestChain;
      if (lc !== null && (best === null || lc.length > best.len)) {
        best = { len: lc.length, text: `${lc.length} task${lc.length === 1 ? '' : 's'} (seed ${r.seed}, at ${formatNs(lc.at)}): ${lc.chain}` };
      }
    }
    if (best !== null) out.push(...wrap(`  ${c.fault} / ${c.fork}: ${best.text}`, LKML_WIDTH, '      '));
  }
  return out.length === 0 ? [] : ['longest blocking chain (over seeds)', ...out, ''];
}

function legend(info: RunInfo, combos: readonly Combination[], classes: readonly PriorityClass[]): string[] {
  const hasRef = combos.some((c) => c.fault === REFERENCE_FAULT_STRATEGY);
  const ratio = hasRef ? ', ratio of medians to mainline with the same fork strategy (* differs: see the top)' : '';
  const cells = info.seeds === 1
    ? `cells: value for seed ${info.seed}${ratio.replace('of medians ', '')}`
    : `cells: median over ${info.seeds} seeds, ±half the min-max range as % of the median (in the cells, or in a second table when the columns do not fit beside it)${ratio}; (k/n): only k of the n seeds have the figure`;
  const abbrev = classes.map((c) => `${CLASS_ABBREV[c]} = ${c}`).join(', ');
  return [
    ...wrap(`${cells}; -: no value.`),
    ...wrap(`Classes: ${abbrev}; all = all threads.`),
    ...wrap('Simulated time after warm-up; percentiles from HdrHistogram (3 significant digits). Definitions: README, "What the figures mean".'),
  ];
}
