/**
 * Aggregation of runs over seeds, per strategy combination (fault x fork),
 * with ratios to the `mainline` combination of the same fork strategy.
 */
import type { RunMetrics } from '../metrics/index.js';
import { flatten } from './flatten.js';
import { ratioTo, summarise, type FigureSummary } from './stats.js';

export const REFERENCE_FAULT_STRATEGY = 'mainline';

export interface Combination {
  fault: string;
  fork: string;
  /** One per seed, in seed order. */
  runs: RunMetrics[];
  /** Figure name (see flatten.ts) -> summary over seeds. */
  summary: Record<string, FigureSummary>;
}

export interface Comparison {
  combinations: Combination[];
}

/** `fault / fork`, the name of a combination in summaries and plots. */
export function comboName(c: { fault: string; fork: string }): string {
  return `${c.fault} / ${c.fork}`;
}

/** Group `runs` by combination (in order of first appearance) and summarise each figure. */
export function compare(runs: readonly RunMetrics[]): Comparison {
  const groups = new Map<string, RunMetrics[]>();
  for (const r of runs) {
    const key = `${r.fault}\u0000${r.fork}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, g = []);
    g.push(r);
  }
  const combinations: Combination[] = [];
  for (const g of groups.values()) {
    const sorted = [...g].sort((a, b) => a.seed - b.seed);
    combinations.push({ fault: sorted[0]!.fault, fork: sorted[0]!.fork, runs: sorted, summary: summariseRuns(sorted) });
  }
  for (const c of combinations) {
    const ref = combinations.find((o) => o.fault === REFERENCE_FAULT_STRATEGY && o.fork === c.fork);
    if (ref === undefined) continue;
    for (const [name, s] of Object.entries(c.summary)) {
      const r = ratioTo(s, ref.summary[name]);
      if (r !== undefined) s.ratio = r;
    }
  }
  return { combinations };
}

function summariseRuns(runs: readonly RunMetrics[]): Record<string, FigureSummary> {
  const values = new Map<string, number[]>();
  for (const r of runs) {
    for (const [name, v] of flatten(r)) {
      let list = values.get(name);
      if (list === undefined) values.set(name, list = []);
      list.push(v);
    }
  }
  const out: Record<string, FigureSummary> = {};
  for (const [name, list] of values) out[name] = summarise(list);
  return out;
}
