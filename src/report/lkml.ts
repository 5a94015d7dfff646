/**
 * The comparison table for a mail (`--format lkml`): every line fits 72
 * columns. Thread classes are abbreviated (legend at the end), and the
 * strategy combinations are split into blocks of as many columns as fit,
 * each block repeating the row labels. Same figures and cells as the plain
 * table (table.ts); deterministic.
 */
import { PRIORITY_CLASSES, type PriorityClass } from '../scenario/types.js';
import { REFERENCE_FAULT_STRATEGY, type Combination, type Comparison } from './compare.js';
import { formatNs } from './format.js';
import { reportSections, scenarioSections, type Row } from './rows.js';
import { cellParts, type Cell, type RunInfo } from './table.js';

export const LKML_WIDTH = 72;
const GAP = '  ';

/** Short names of the thread classes, explained in the legend. */
export const CLASS_ABBREV: Record<PriorityClass, string> = {
  USER_INTERACTIVE: 'UI',
  USER_INITIATED: 'UIN',
  DEFAULT: 'DEF',
  UTILITY: 'UTL',
  BACKGROUND: 'BG',
};

/** Replace class names by their abbreviations, `all threads` by `all`. */
function abbreviate(label: string): string {
  let out = label.replace(/\ball threads\b/g, 'all');
  for (const c of PRIORITY_CLASSES) out = out.split(c).join(CLASS_ABBREV[c]);
  return out;
}

/** Cut `s` to `w` columns, marking the cut with `~`. */
function fit(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, Math.max(0, w - 1))}~`;
}

/** Word-wrap `text` to `width` columns; continuation lines get `indent`. Words longer than a line are split. */
export function wrap(text: string, width = LKML_WIDTH, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lead = text.match(/^\s*/)![0];
  for (let w of words) {
    for (;;) {
      const prefix = out.length === 0 && line === '' ? lead : line === '' ? indent : '';
      const cand = line === '' ? prefix + w : `${line} ${w}`;
      if (cand.length <= width) {
        line = cand;
        break;
      }
      if (line !== '') {
        out.push(line);
        line = '';
        continue;
      }
      const room = width - prefix.length;
      out.push(prefix + w.slice(0, room));
      w = w.slice(room);
      if (w === '') break;
    }
  }
  if (line !== '' || out.length === 0) out.push(line);
  return out;
}

/** Header lines of a column: fault strategy, its +options, fork strategy. */
function header(c: Combination): string[] {
  const [base, ...opts] = c.fault.split('+');
  return [base!, ...opts.map((o) => `+${o}`), c.fork];
}

export function renderLkml(cmp: Comparison, info: RunInfo): string {
  const combos = cmp.combinations;
  const classes = PRIORITY_CLASSES.filter((cls) => combos.some((c) => c.runs.some((r) => r.classes.includes(cls))));
  const figures = combos.flatMap((c) => Object.keys(c.summary));
  const sections: Array<{ heading: string; rows: Row[] }> = [];
  for (const sec of [...reportSections(classes), ...scenarioSections(figures)]) {
    const rows = sec.rows.filter((r) => {
      const sums = combos.map((c) => c.summary[r.figure]).filter((s) => s !== undefined);
      return sums.length !== 0 && (!r.hideIfZero || sums.some((s) => s.max !== 0));
    });
    if (rows.length !== 0) sections.push({ heading: sec.heading, rows });
  }
  const cells = combos.map((c) => sections.map((sec) => sec.rows.map((r) => cellParts(c.summary[r.figure], r.unit, c))));
  // Cell part widths over every combination, so all blocks line up alike.
  const all = cells.flat(2);
  const parts = [0, 1, 2].map((k) => Math.max(0, ...all.map((x) => x[k]!.length)));
  const cellW = Math.max(parts[0]! + (parts[1]! && parts[1]! + 1) + (parts[2]! && parts[2]! + 1), ...combos.flatMap(header).map((h) => h.length));
  const colW = Math.min(cellW, LKML_WIDTH - 2 - GAP.length - 12);
  const labels = sections.map((sec) => sec.rows.map((r) => `  ${abbreviate(r.label)}`));
  const labelW = Math.min(Math.max(...labels.flat().map((l) => l.length)), LKML_WIDTH - GAP.length - colW);
  const perBlock = Math.max(1, Math.floor((LKML_WIDTH - labelW) / (GAP.length + colW)));
  const render = ([v, s, r]: Cell) => {
    let out = v.padStart(parts[0]!);
    if (parts[1]! > 0) out += ' ' + s.padEnd(parts[1]!);
    if (parts[2]! > 0) out += ' ' + r.padStart(parts[2]!);
    return fit(out.trimEnd(), colW).padEnd(colW);
  };
  const row = (label: string, cols: string[]) => `${fit(label, labelW).padEnd(labelW)}${GAP}${cols.join(GAP)}`.trimEnd();

  const seeds = info.seeds === 1 ? `seed ${info.seed}` : `seeds ${info.seed}..${info.seed + info.seeds - 1}`;
  const out = wrap(`scenario ${info.name} (${info.source}): ${seeds}, ${formatNs(info.duration)} simulated, warm-up ${formatNs(info.warmup)}`, LKML_WIDTH, '  ');
  for (let b = 0; b < combos.length; b += perBlock) {
    const idx = combos.slice(b, b + perBlock).map((_, i) => b + i);
    const heads = idx.map((i) => header(combos[i]!));
    const depth = Math.max(...heads.map((h) => h.length));
    out.push('');
    for (let d = 0; d < depth; d++) out.push(row('', heads.map((h) => fit(h[d - (depth - h.length)] ?? '', colW).padEnd(colW))));
    sections.forEach((sec, si) => {
      out.push(...wrap(sec.heading));
      sec.rows.forEach((_, ri) => out.push(row(labels[si]![ri]!, idx.map((i) => render(cells[i]![si]![ri]!)))));
    });
  }
  out.push('', ...chains(combos), ...legend(info, combos, classes));
  return out.map((l) => l.trimEnd()).join('\n') + '\n';
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
  const ratio = hasRef ? ', ratio of medians to mainline with the same fork strategy' : '';
  const cells = info.seeds === 1
    ? `cells: value for seed ${info.seed}${ratio.replace('of medians ', '')}`
    : `cells: median over ${info.seeds} seeds, ±half the min-max range as % of the median${ratio}; (k/n): only k of the n seeds have the figure`;
  const abbrev = classes.map((c) => `${CLASS_ABBREV[c]} = ${c}`).join(', ');
  return [
    ...wrap(`${cells}; -: no value.`),
    ...wrap(`Classes: ${abbrev}; all = all threads.`),
    ...wrap('Simulated time after warm-up; percentiles from HdrHistogram (3 significant digits). Definitions: README, "What the figures mean".'),
  ];
}
