/**
 * "What differs from mainline": for each strategy combination, the figures
 * of the comparison table whose median moved by more than a threshold AND
 * whose values over seeds do not overlap mainline's. The rule and why it is
 * this rule: docs/metrics.md, "What differs from mainline".
 */
import { REFERENCE_FAULT_STRATEGY, type Combination, type Comparison } from './compare.js';
import { visibleSections, type Unit } from './rows.js';
import type { FigureSummary } from './stats.js';

/**
 * The threshold t: a ratio of medians inside [1/(1+t), 1+t] never differs.
 * 10%, the same line as the HTML table's red and green cells.
 */
export const DIFFERS_THRESHOLD = 0.1;

/** One figure of a combination that differs from mainline. */
export interface Difference {
  /** flatten.ts name, e.g. `ops.USER_INTERACTIVE.fault.p99`. */
  figure: string;
  /** Row label made unambiguous outside its section: `fault USER_INTERACTIVE p99`. */
  label: string;
  unit: Unit;
  /** Summary over seeds of mainline (same fork strategy) and of this combination. */
  reference: FigureSummary;
  value: FigureSummary;
  /** value.median / reference.median. */
  ratio: number;
  /** |ln ratio|: 2x and 0.5x are the same size; the sort key. */
  effect: number;
}

/** The differences of one combination (not mainline itself). */
export interface ComboDifferences {
  combo: Combination;
  /** Mainline with the same fork strategy; null when it was not run (nothing is compared). */
  reference: Combination | null;
  /** Figures that could be compared: present in every seed of both, mainline median not 0. */
  compared: number;
  /** Largest effect first; ties in table order. */
  differences: Difference[];
}

/**
 * Does `value` differ from `reference` under the rule? Both must come from
 * every seed (`n` of them). The ratio of medians must lie outside
 * [1/(1+t), 1+t], and with 2 or more seeds the min..max ranges must not
 * overlap (not even touch). With one seed there is no spread: the threshold
 * alone decides.
 */
export function differs(value: FigureSummary, reference: FigureSummary, t = DIFFERS_THRESHOLD): boolean {
  if (reference.median === 0) return false;
  const ratio = value.median / reference.median;
  if (ratio >= 1 / (1 + t) && ratio <= 1 + t) return false;
  if (value.seeds < 2 || reference.seeds < 2) return true;
  return value.min > reference.max || value.max < reference.min;
}

/** For every combination other than mainline, in order: what differs from mainline with the same fork strategy. */
export function whatDiffers(cmp: Comparison, t = DIFFERS_THRESHOLD): ComboDifferences[] {
  const combos = cmp.combinations;
  const sections = visibleSections(combos);
  const out: ComboDifferences[] = [];
  for (const combo of combos) {
    if (combo.fault === REFERENCE_FAULT_STRATEGY) continue;
    const reference = combos.find((o) => o.fault === REFERENCE_FAULT_STRATEGY && o.fork === combo.fork) ?? null;
    const found: Array<{ d: Difference; order: number }> = [];
    let compared = 0;
    let order = 0;
    for (const sec of sections) {
      for (const row of sec.rows) {
        order++;
        if (reference === null || row.compare === false) continue;
        const value = combo.summary[row.figure];
        const ref = reference.summary[row.figure];
        if (value === undefined || ref === undefined) continue;
        if (value.seeds < combo.runs.length || ref.seeds < reference.runs.length || ref.median === 0) continue;
        compared++;
        if (!differs(value, ref, t)) continue;
        const ratio = value.median / ref.median;
        const d: Difference = { figure: row.figure, label: `${sec.short}${row.label}`, unit: row.unit, reference: ref, value, ratio, effect: Math.abs(Math.log(ratio)) };
        found.push({ d, order });
      }
    }
    found.sort((a, b) => b.d.effect - a.d.effect || a.order - b.order);
    out.push({ combo, reference, compared, differences: found.map((f) => f.d) });
  }
  return out;
}
