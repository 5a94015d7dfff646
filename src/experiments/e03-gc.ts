/**
 * Experiment 3. Barry Song, 2026-05-03 19:55: "Java GC may use mprotect or
 * userfaultfd on a small portion of a large Java heap while other portions
 * are still under do_swap_page()." Jan Kara, 2026-05-04 13:03: "the example
 * with Java where GC thread can presumably have higher priority than
 * ordinary Java threads is an interesting one."
 *
 * The GC pause each strategy adds (the GC thread's mprotect latency and its
 * vma_start_write sleeps) and the GC thread's priority-inversion time, with
 * zram (synchronous swap-in) and with an asynchronous swap device.
 */
import type { Scenario } from '../scenario/types.js';
import { UFS_READ_8_JOBS } from './e01-writer-io.js';
import { WriterWaits } from './observers.js';
import { formatNs } from '../report/index.js';
import { cellOf, med, pooled } from './run.js';
import type { Experiment } from './types.js';

/**
 * The same app with an asynchronous swap device: swap-in is block I/O with
 * the latency of a UFS read under load (8-job UFS, [M] parameters.md §2.1).
 * Not Android's default (zram is synchronous); stands for zram with a
 * backing device or a swap file on UFS (assumption).
 */
export function asyncSwap(base: Scenario): Scenario {
  const sc = structuredClone(base);
  sc.io.swap_synchronous = false;
  sc.io.swap = UFS_READ_8_JOBS;
  return sc;
}

/**
 * The GC's mprotects as the kernel does them (prot set: vma_modify splits and
 * merges the heap VMA, write-locking only the VMAs it changes) in protect /
 * unprotect pairs (each 2 MB piece made read-only, then read-write again at
 * once: split, then merge back), with asynchronous swap. With `unpaired`,
 * the GC also runs cycles of mprotects that are not undone: read-only
 * fragments accumulate, the heap becomes many VMAs, and later mprotects
 * split and lock only the fragment they fall in.
 */
export function gcSplitMerge(base: Scenario, unpaired: boolean): Scenario {
  const sc = asyncSwap(base);
  const gcThread = sc.threads.find((t) => t.name === 'HeapTaskDaemon');
  if (gcThread === undefined) throw new Error('exp-gc: no HeapTaskDaemon thread');
  const pair = gcThread.ops.map((o) => (o.op === 'mprotect' ? { ...o, prot: 'r' as const, restore: true } : o));
  const fragments = unpaired ? gcThread.ops.filter((o) => o.op === 'mprotect').map((o) => ({ ...o, prot: 'r' as const, restore: false })) : [];
  gcThread.ops = [...pair, ...fragments];
  return sc;
}

export const gc: Experiment = {
  name: 'gc',
  number: 3,
  title: 'Java GC mprotects a large heap VMA while mutators swap it in',
  question: 'What GC pause does each strategy add when the GC thread mprotects part of a large heap VMA while other threads swap in other parts of it, and how long is the GC thread inverted?',
  source: 'Barry Song, 2026-05-03 19:55 UTC; Jan Kara, 2026-05-04 13:03 UTC',
  scenario: 'exp-gc',
  variants: (base) => [
    { label: 'zram', scenario: base },
    { label: 'async swap', scenario: asyncSwap(base) },
    { label: 'async, split+merge pairs', scenario: gcSplitMerge(base, false) },
    { label: 'async, fragmented heap', scenario: gcSplitMerge(base, true) },
  ],
  faults: ['mainline', 'retry-vma+uptodate-skip', 'retry-vma+uptodate-skip+writeback-aware', 'hold-io', 'hold-io-file'],
  forks: ['fork-lock-all'],
  seeds: 3,
  seed: 1,
  extras: (sc) => [new WriterWaits(sc.warmup)],
  tables: [
    {
      title: 'GC thread: mprotect latency and vma_start_write sleeps (sleeps pooled over seeds)',
      columns: [
        { label: 'mprotects', unit: 'count', figure: 'ops.UTILITY.mprotect.count', agg: 'sum' },
        { label: 'p50', unit: 'ns', figure: 'ops.UTILITY.mprotect.p50' },
        { label: 'p99', unit: 'ns', figure: 'ops.UTILITY.mprotect.p99' },
        { label: 'max', unit: 'ns', figure: 'ops.UTILITY.mprotect.max' },
        { label: 'slept', unit: 'count', samples: 'vma_wait.mprotect', stat: 'count' },
        { label: 'on I/O', unit: 'count', samples: 'vma_wait_io.mprotect', stat: 'count' },
      ],
    },
    {
      title: 'GC pause and inversion; mutators behind the GC',
      columns: [
        { label: 'sleep total', unit: 'ns', figure: (r) => (r.samples['vma_wait.mprotect'] ?? []).reduce((a, b) => a + b, 0) },
        { label: 'GC inverted', unit: 'ns', figure: 'inversion.UTILITY.inverted_time' },
        { label: 'UI inverted', unit: 'ns', figure: 'inversion.USER_INTERACTIVE.inverted_time' },
        { label: 'UI fault p99', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.p99' },
        { label: 'UI fault max', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.max' },
      ],
    },
  ],
  notes: [
    'The GC thread is the only UTILITY thread, so the UTILITY rows are the GC. slept: its vma_start_write sleeps; on I/O: those behind a fault asleep on I/O or writeback while holding the heap VMA lock.',
    'sleep total: the GC\'s vma_start_write sleep time per seed (the pause added by waiting for faults). GC inverted: time the GC slept behind a lower-class (BACKGROUND) task; UI inverted: main and RenderThread behind lower classes (the GC included).',
    'zram: swap-in decompresses on the faulting CPU with the VMA lock held in every strategy (SWP_SYNCHRONOUS_IO). async swap: the swap-in is block I/O (8-job UFS read law, [M]); assumption, not Android\'s default.',
  ],
  headline(r) {
    const sleep = (fault: string, variant: string) => pooled(cellOf(r, fault, { variant }), 'vma_wait.mprotect');
    const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
    const maxOf = (v: number[]) => (v.length === 0 ? 0 : Math.max(...v));
    const p99 = (fault: string, variant: string) => med(cellOf(r, fault, { variant }), 'ops.UTILITY.mprotect.max');
    const inv = (fault: string, variant: string) => med(cellOf(r, fault, { variant }), 'inversion.UTILITY.inverted_time');
    const a = 'async swap';
    const n = r.seeds;
    const text = `with an asynchronous swap device the GC thread slept behind swap-ins ${formatNs(sum(sleep('hold-io', a)) / n)} per seed under hold-io ` +
      `(longest ${formatNs(maxOf(sleep('hold-io', a)))}; slowest mprotect ${formatNs(p99('hold-io', a))}; inverted ${formatNs(inv('hold-io', a))}) ` +
      `against ${formatNs(sum(sleep('mainline', a)) / n)} under mainline (slowest mprotect ${formatNs(p99('mainline', a))}); hold-io-file, which keeps ` +
      `dropping the lock for swap, is mainline. With zram (synchronous swap-in, the lock held in every strategy): ` +
      `${formatNs(sum(sleep('hold-io', 'zram')) / n)} vs ${formatNs(sum(sleep('mainline', 'zram')) / n)} per seed.`;
    const holds = sum(sleep('hold-io', a)) > 5 * sum(sleep('mainline', a)) && p99('hold-io', a) > p99('mainline', a) &&
      sum(sleep('hold-io-file', a)) < sum(sleep('hold-io', a));
    return { text, holds };
  },
};
