/**
 * Experiment 4. Barry Song, 2026-05-19 22:01: "thread 4 has to wait for the
 * I/O of VMA1, VMA2, and VMA3 to complete, and thread 5 then has to wait for
 * thread 4 to release mmap_lock. Both thread 4 and thread 5 can become
 * extremely slow"; 2026-05-04 13:35: "some threads handle the UI and require
 * higher priority, such as the main thread and RenderThread; otherwise,
 * frame drops may occur."
 *
 * The chained wait at scale: the longest blocking chain, the time main and
 * RenderThread spend behind lower-priority I/O, and the frames that miss a
 * 16.67 ms and an 8.33 ms deadline, per strategy; with UFS reads and with the
 * background threads' reads throttled.
 */
import type { Law, Scenario } from '../scenario/types.js';
import { cellOf, med } from './run.js';
import type { Column, Experiment } from './types.js';

/**
 * A background cgroup's reads throttled: 10 to 250 ms (parameters.md §2.4
 * [D]: blkcg_maybe_throttle_blkg clamps the delay per return to user space
 * at 250 ms; "a background thread's read I/O can plausibly take 10 ms to
 * several hundred ms under throttling"; no published measurement).
 */
export const THROTTLED_READ: Law = { law: 'uniform', min: 10_000_000, max: 250_000_000 };

/** Every BACKGROUND thread gets `read` as its own read law (a throttled cgroup). */
export function throttleBackground(base: Scenario, read: Law = THROTTLED_READ): Scenario {
  const sc = structuredClone(base);
  for (const th of sc.threads) if (th.class === 'BACKGROUND') th.io = { ...th.io, read };
  return sc;
}

export const frameColumns: Column[] = [
  { label: 'frames', unit: 'count', figure: 'frames.any.count', agg: 'sum' },
  { label: 'skipped', unit: 'count', figure: 'frames.any.skipped', agg: 'sum' },
  { label: '>16.7ms', unit: 'count', figure: 'frames.any.missed_16.7ms', agg: 'sum' },
  { label: '>8.33ms', unit: 'count', figure: 'frames.any.missed_8.33ms', agg: 'sum' },
  { label: 'frame p99', unit: 'ns', figure: 'frames.any.p99' },
  { label: 'frame max', unit: 'ns', figure: 'frames.any.max' },
];

export const chain: Experiment = {
  name: 'chain',
  number: 4,
  title: 'the chained wait at scale, and frame deadlines',
  question: 'How long is the longest blocking chain, how long do main and RenderThread wait behind lower-priority I/O, and how many frames miss 16.67 ms and 8.33 ms, per strategy?',
  source: 'Barry Song, 2026-05-19 22:01 UTC (chain); 2026-05-04 13:35 UTC (main thread and RenderThread)',
  scenario: 'exp-frames',
  variants: (base) => [
    { label: 'UFS reads', scenario: base },
    { label: 'bg throttled', scenario: throttleBackground(base) },
  ],
  faults: ['mainline', 'retry-vma', 'hold-io'],
  forks: ['fork-lock-all', 'fork-lock-anon-vma'],
  include: (_v, fault, fork) => fork === 'fork-lock-all' || fault === 'hold-io',
  seeds: 3,
  seed: 1,
  tables: [
    {
      title: 'blocking chains and priority inversion (main and RenderThread are USER_INTERACTIVE)',
      columns: [
        { label: 'longest chain', unit: 'count', figure: 'inversion.longest_chain' },
        { label: 'UI chain', unit: 'count', figure: 'inversion.USER_INTERACTIVE.max_chain' },
        { label: 'UI inverted', unit: 'ns', figure: 'inversion.USER_INTERACTIVE.inverted_time' },
        { label: 'UI mmap_lock', unit: 'share', figure: 'time.USER_INTERACTIVE.mmap_lock.share' },
        { label: 'fork max', unit: 'ns', figure: 'ops.all.fork.max' },
      ],
    },
    { title: 'frames of main and RenderThread (a vsync counts once; it misses when either thread misses)', columns: frameColumns },
  ],
  notes: [
    'longest chain: tasks on the longest blocking chain seen (waiter first, e.g. main -> pool-1-thread-1 -> AsyncTask #1 -> io is 3 tasks). UI inverted: time main and RenderThread slept behind a lower-class task, per seed. UI mmap_lock: share of their time in faults spent asleep on mmap_lock.',
    'frames: frames begun after warm-up, summed over seeds; skipped: vsyncs at which no frame began because the previous one overran them (dropped frames); >16.7ms, >8.33ms: frames longer than that; frame time: from the vsync to the end of the later of the two threads\' work.',
    'bg throttled: the BACKGROUND threads (three AsyncTasks and the forking thread) read at 10-250 ms (uniform; parameters.md §2.4 [D], no measurement).',
  ],
  headline(r) {
    const v = 'bg throttled';
    const c = (fault: string, fork = 'fork-lock-all') => cellOf(r, fault, { fork, variant: v });
    const miss = (fault: string, fork = 'fork-lock-all') => c(fault, fork).runs.reduce((s, x) => s + (x.figures.get('frames.any.missed_16.7ms') ?? 0), 0);
    const frames = c('hold-io').runs.reduce((s, x) => s + (x.figures.get('frames.any.count') ?? 0), 0);
    const chainLen = (fault: string) => med(c(fault), 'inversion.longest_chain');
    const inv = (fault: string) => med(c(fault), 'inversion.USER_INTERACTIVE.inverted_time');
    const ufsWorst = Math.max(...['mainline', 'retry-vma', 'hold-io'].map((f) =>
      cellOf(r, f, { fork: 'fork-lock-all', variant: 'UFS reads' }).runs.reduce((s, x) => s + (x.figures.get('frames.any.missed_16.7ms') ?? 0), 0)));
    const text = `with throttled background reads: hold-io missed 16.7 ms in ${miss('hold-io')} of ${frames} frames ` +
      `(longest chain ${chainLen('hold-io')} tasks, UI inverted ${(inv('hold-io') / 1e6).toFixed(0)} ms/seed), ` +
      `mainline ${miss('mainline')} (chain ${chainLen('mainline')}, ${(inv('mainline') / 1e6).toFixed(1)} ms), ` +
      `retry-vma ${miss('retry-vma')}; hold-io with fork-lock-anon-vma ${miss('hold-io', 'fork-lock-anon-vma')}. ` +
      `With UFS reads the most any strategy misses is ${ufsWorst}.`;
    const holds = miss('hold-io') > 5 * Math.max(1, miss('mainline')) && chainLen('hold-io') > chainLen('mainline') &&
      inv('hold-io') > 10 * Math.max(inv('mainline'), 1e5);
    return { text, holds };
  },
};
