/**
 * The fit of the `fork-anon-after-sleep` bench (native/calibrate-fork.c):
 * dup_mmap's copy on cold caches, Cost.copy_pte_after_sleep per present PTE
 * (docs/calibration.md "Fork below the real kernel: cold page tables").
 */
import type { BenchSamples } from './bench-output.js';
import type { SleepPoint, Spread } from './profile.js';
import { nonNeg, spreadOf } from './fit.js';

/** The present anonymous pages of the bench's fork (its P argument in SUITE: calib-fork-file's heap, 16,384 pages half resident). */
export const FORK_AFTER_SLEEP_PAGES = 8192;

/** X = 10 S + k: k = 0 back to back, 1 right after a sleep of S, 2 after a sleep and a walk of W MiB; + 5 the child ran first on the parent's CPU. */
export const FORK_AFTER_SLEEP_KIND = { back: 0, sleep: 1, walk: 2, child_first: 5 } as const;

export interface ForkAfterSleepFit {
  /** Per present PTE, ns: (p50 of the cold forks − p50 of the forks back to back) / pages, at least 0. */
  value: number;
  /** Which cold forks the value is from: `walk` (k = 2) when the bench walked a buffer, else `sleep` (k = 1). */
  cold: 'walk' | 'sleep';
  /** The cold forks' spread (ns, the whole fork). */
  after: Spread;
  /** The p50 of the forks back to back (ns). */
  back: number;
  sleeps: number[];
  /** The same per S (the cold forks of that S against the forks back to back of that S). */
  bySleep: SleepPoint[];
  /** The sleep-only forks per S (k = 1), when `cold` is `walk`: what a sleep alone leaves cold. */
  sleepOnly: SleepPoint[];
  /** The sleep-only forks' spread per S (ns, the whole fork), when `cold` is `walk`. */
  sleepOnlySpread: Array<{ x: number; spread: Spread }>;
  /** Samples left out because the child ran first on the parent's CPU (its exit is in them). */
  childFirst: number;
}

/**
 * The `fork-anon-after-sleep` bench: per present PTE, the p50 of the forks
 * after a sleep and a walk (k = 2; the sleep-only forks k = 1 when the bench
 * walked nothing) − the p50 of the forks back to back (k = 0), / `pages`,
 * pooled over every S and at each S (at least 0, rounded to the ns). Only the
 * forks whose parent returned first count: a child that ran first on the
 * parent's CPU puts its whole exit into the sample (k + 5). Null without
 * both kinds.
 */
export function fitForkAfterSleep(bench: BenchSamples, pages: number): ForkAfterSleepFit | null {
  const K = FORK_AFTER_SLEEP_KIND;
  const by = (k: number): Map<number, number[]> => {
    const m = new Map<number, number[]>();
    for (const [x, v] of bench.samples) if (x % 10 === k && v.length > 0) m.set(Math.floor(x / 10), [...(m.get(Math.floor(x / 10)) ?? []), ...v]);
    return m;
  };
  const back = by(K.back), sleep = by(K.sleep), walk = by(K.walk);
  const cold = walk.size > 0 ? 'walk' : 'sleep';
  const coldBy = cold === 'walk' ? walk : sleep;
  const all = (m: Map<number, number[]>): number[] => [...m.values()].flat();
  if (back.size === 0 || coldBy.size === 0) return null;
  let childFirst = 0;
  for (const [x, v] of bench.samples) if (x % 10 >= K.child_first) childFirst += v.length;
  const a = spreadOf(all(coldBy)), z = spreadOf(all(back)).p50;
  const sleeps = [...coldBy.keys()].filter((s) => back.has(s)).sort((p, q) => p - q);
  const points = (m: Map<number, number[]>): SleepPoint[] => sleeps.filter((s) => m.has(s))
    .map((s) => ({ sleep_us: s, value: nonNeg((spreadOf(m.get(s)!).p50 - spreadOf(back.get(s)!).p50) / pages), n: m.get(s)!.length }));
  return {
    value: nonNeg((a.p50 - z) / pages), cold, after: a, back: z, sleeps, bySleep: points(coldBy),
    sleepOnly: cold === 'walk' ? points(sleep) : [],
    sleepOnlySpread: cold === 'walk' ? sleeps.filter((s) => sleep.has(s)).map((s) => ({ x: s, spread: spreadOf(sleep.get(s)!) })) : [],
    childFirst,
  };
}
