/**
 * The fits of the two mprotect benches (native/calibrate-split.c):
 * `mprotect-split` (the own-VMA line, one __split_vma, one three-piece merge)
 * and `mprotect-after-sleep` (change_pte_range's cold lines). Moved out of
 * fit.ts, which uses them in fitProfile and re-exports them.
 */
import type { BenchSamples } from './bench-output.js';
import type { LinearFit, SleepPoint, Spread } from './profile.js';
import { fitPoints, nonNeg, spreadOf } from './fit.js';

/** The pages of the `mprotect-after-sleep` bench's mprotect (its P argument in SUITE: the calib scenarios' 2 MB piece). */
export const MPROTECT_AFTER_SLEEP_PAGES = 512;

/**
 * The `mprotect-after-sleep` bench (native/calibrate-split.c, X = 10 S + k:
 * k = 1 the protect right after a sleep of S µs, k = 0 the same protect again
 * back to back): per page, (the p50 after the sleeps − the p50 back to back) /
 * `pages`, pooled and at each S (at least 0); null without both kinds.
 */
export function fitMprotectAfterSleep(bench: BenchSamples, pages: number): { value: number; after: Spread; back: number; sleeps: number[]; bySleep: SleepPoint[] } | null {
  const after: number[] = [], back: number[] = [];
  const cold = new Map<number, number[]>(), warm = new Map<number, number[]>();
  for (const [x, v] of bench.samples) {
    const s = Math.floor(x / 10);
    if (x % 10 === 1) { after.push(...v); cold.set(s, [...(cold.get(s) ?? []), ...v]); }
    else if (x % 10 === 0) { back.push(...v); warm.set(s, [...(warm.get(s) ?? []), ...v]); }
  }
  if (after.length === 0 || back.length === 0) return null;
  const a = spreadOf(after), z = spreadOf(back).p50;
  const sleeps = [...cold.keys()].filter((s) => warm.has(s)).sort((p, q) => p - q);
  const bySleep = sleeps.map((s) => ({ sleep_us: s, value: nonNeg((spreadOf(cold.get(s)!).p50 - spreadOf(warm.get(s)!).p50) / pages), n: cold.get(s)!.length }));
  return { value: nonNeg((a.p50 - z) / pages), after: a, back: z, sleeps, bySleep };
}

/** mprotect-split's parameter: X = 10 P + k (native/calibrate-split.c). */
export const MPROTECT_SPLIT_KIND = { own_protect: 0, own_unprotect: 1, mid_protect: 2, mid_unprotect: 3 } as const;

export interface MprotectSplitFit {
  /** P values measured. */
  ps: number[];
  /** The VMA of its own: per P, the mean of the protect's and the unprotect's medians; the line through them. */
  own: LinearFit;
  /** Per pair of calls (the same iteration), (middle protect − own protect) / 2: one __split_vma. */
  split: Spread;
  /** Per pair of calls, middle unprotect − own unprotect: one vma_merge_existing_range of three pieces. */
  merge: Spread;
  /** Per P, the four medians (ns): own protect, own unprotect, middle protect, middle unprotect. */
  medians: Array<{ p: number; own_protect: number; own_unprotect: number; mid_protect: number; mid_unprotect: number }>;
}

/**
 * The mprotect-split bench: the own-VMA line, and the split and merge from
 * the differences of samples taken in the same iteration (the two layouts
 * run back to back, so a load change hits both), pooled over every P (the
 * split and the merge touch no PTE: they do not grow with P). A spread
 * below 0 (noise at large P) is clamped at 0; figures are rounded to the ns.
 */
export function fitMprotectSplit(b: BenchSamples): MprotectSplitFit {
  const K = MPROTECT_SPLIT_KIND;
  const ps = [...new Set([...b.samples.keys()].map((x) => Math.floor(x / 10)))].sort((p, q) => p - q);
  const get = (p: number, k: number): number[] => {
    const v = b.samples.get(10 * p + k);
    if (v === undefined || v.length === 0) throw new Error(`calibrate: mprotect-split has no samples at X = ${10 * p + k}`);
    return v;
  };
  const split: number[] = [], merge: number[] = [];
  const medians: MprotectSplitFit['medians'] = [];
  const points: LinearFit['points'] = [];
  for (const p of ps) {
    const [op, up, mp, mu] = [get(p, K.own_protect), get(p, K.own_unprotect), get(p, K.mid_protect), get(p, K.mid_unprotect)];
    if (new Set([op.length, up.length, mp.length, mu.length]).size !== 1) throw new Error(`calibrate: mprotect-split at P = ${p}: unequal sample counts`);
    op.forEach((v, i) => { split.push((mp[i]! - v) / 2); merge.push(mu[i]! - up[i]!); });
    const m = { p, own_protect: spreadOf(op).p50, own_unprotect: spreadOf(up).p50, mid_protect: spreadOf(mp).p50, mid_unprotect: spreadOf(mu).p50 };
    medians.push(m);
    points.push({ x: p, median: (m.own_protect + m.own_unprotect) / 2, n: op.length + up.length });
  }
  const clamp = (s: Spread): Spread => ({ n: s.n, p10: nonNeg(s.p10), p50: nonNeg(s.p50), p90: nonNeg(s.p90) });
  return { ps, own: fitPoints(points), split: clamp(spreadOf(split)), merge: clamp(spreadOf(merge)), medians };
}
