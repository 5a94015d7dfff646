/**
 * The "what differs from mainline" summary as text, printed first by
 * `faultline run` (table and `--format lkml`) and `faultline experiment`.
 * Rule: differs.ts and docs/metrics.md, "What differs from mainline".
 */
import { comboName } from './compare.js';
import { DIFFERS_THRESHOLD, type ComboDifferences } from './differs.js';
import { formatRatio, formatValue } from './format.js';
import { wrap } from './lkml-grid.js';

export interface SummaryOptions {
  /** Most figures listed per combination; the rest are counted (default 8). */
  limit?: number;
  /** Line width: labels are cut to fit (default: none). */
  width?: number;
  /** Rewrites row labels, e.g. class abbreviations for the mail form. */
  label?: (label: string) => string;
  /** Number of seeds per combination (1: the threshold alone decides). */
  seeds: number;
  /** Where the rest is: ` (marked * in the tables)`. */
  rest?: string;
  t?: number;
  /** Start with the rule's sentence (default true). */
  rule?: boolean;
  /** Prefix of every line after the rule (default ''). */
  indent?: string;
}

/** The rule in one sentence, for the heading of every form. */
export function differsRule(seeds: number, t = DIFFERS_THRESHOLD): string {
  const band = `${formatRatio(1 / (1 + t))}..${formatRatio(1 + t)}`;
  return seeds < 2
    ? `what differs from mainline (same fork strategy): ratio of medians outside ${band}; one seed, so no spread is checked (--seeds 3 or more for that).`
    : `what differs from mainline (same fork strategy): ratio of medians outside ${band} and the min..max ranges over the ${seeds} seeds apart (by chance alone: ${chanceText(chanceOneIn(seeds))}); largest effect first.`;
}

function chanceText(oneIn: number): string {
  return oneIn >= 1e9 ? 'under 1 unchanged figure in 10^9' : `1 unchanged figure in ${oneIn}`;
}

/**
 * 1 in how many unchanged figures has its seed ranges apart by chance: with
 * n exchangeable seeds on each side, all n of one side fall above all n of
 * the other with probability 2 / C(2n, n).
 */
export function chanceOneIn(n: number): number {
  let c = 1;
  for (let k = 1; k <= n; k++) c = (c * (n + k)) / k; // C(2n, n)
  return Math.round(c / 2);
}

/** Summary lines (no trailing blank line); empty when no combination has a mainline to compare with. */
export function renderSummary(diffs: readonly ComboDifferences[], o: SummaryOptions): string[] {
  const width = o.width ?? Infinity;
  const limit = o.limit ?? 8;
  const label = o.label ?? ((s: string) => s);
  if (diffs.length === 0) return [];
  const head = o.rule === false ? [] : wrap(differsRule(o.seeds, o.t), width, '  ');
  const pre = o.indent ?? '';
  const w = width - pre.length;
  const out: string[] = [];
  for (const cd of diffs) {
    const name = comboName(cd.combo);
    if (cd.reference === null) {
      out.push(...wrap(`  ${name}: no mainline with fork strategy ${cd.combo.fork}, nothing compared`, w, '    '));
      continue;
    }
    const n = cd.differences.length;
    out.push(...wrap(`  ${name}: ${n === 0 ? 'no figure differs' : `${n} figure${n === 1 ? '' : 's'} differ${n === 1 ? 's' : ''}`} (of ${cd.compared} compared)`, w, '      '));
    const shown = cd.differences.slice(0, limit);
    const rows = shown.map((d) => [label(d.label), `${formatValue(d.reference.median, d.unit)} -> ${formatValue(d.value.median, d.unit)}`, formatRatio(d.ratio)] as const);
    const vw = Math.max(0, ...rows.map((r) => r[1].length));
    const rw = Math.max(0, ...rows.map((r) => r[2].length));
    const lw = Math.max(0, Math.min(Math.max(0, ...rows.map((r) => r[0].length)), w - 4 - 2 - vw - 2 - rw));
    for (const [l, v, r] of rows) {
      const cut = l.length <= lw ? l.padEnd(lw) : `${l.slice(0, Math.max(0, lw - 1))}~`;
      out.push(`    ${cut}  ${v.padStart(vw)}  ${r.padStart(rw)}`);
    }
    if (n > shown.length) out.push(`    and ${n - shown.length} more${o.rest ?? ''}`);
  }
  return [...head, ...out.map((l) => pre + l)];
}
