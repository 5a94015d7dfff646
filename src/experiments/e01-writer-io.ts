/**
 * Experiment 1. Matthew Wilcox, 2026-05-01 14:56: "But does that actually
 * happen? I find it hard to believe that thread A unmaps a VMA while thread B
 * is in the middle of taking a page fault in that same VMA."
 *
 * How often, and for how long, do writers (mprotect, munmap, fork; madvise
 * never write-locks) sleep in vma_start_write, and how many of those sleeps
 * are behind a fault that holds the VMA lock across I/O?
 */
import type { Law, Scenario } from '../scenario/types.js';
import { WriterWaits } from './observers.js';
import { cellOf, percentile, pooled, total } from './run.js';
import type { Column, Experiment } from './types.js';

const us = (x: number): number => Math.round(x * 1000);

/** UFS 4K random read, 8 jobs, QD1 [M] (parameters.md §2.1): reads under load. */
export const UFS_READ_8_JOBS: Law = {
  law: 'empirical',
  points: [[50, us(281)], [90, us(416)], [95, us(474)], [99, us(611)], [99.9, us(824)], [99.99, us(2507)], [100, us(2507)]],
};

/**
 * "Cold start": the same app with reads under load (8-job UFS) and ten times
 * the page-cache miss weight of every file fault op (assumption: a launch
 * faults in code and resources that are not cached; no measurement found).
 */
export function coldStart(base: Scenario): Scenario {
  const sc = structuredClone(base);
  sc.io.read = UFS_READ_8_JOBS;
  for (const th of sc.threads) {
    for (const op of th.ops) {
      if (op.op !== 'fault') continue;
      op.states = op.states.map(([s, w]) => [s, s === 'absent' ? w * 10 : w]);
    }
  }
  return sc;
}

/**
 * "Fork storm": the cold start with the forking thread forking every 100 ms
 * on average instead of every 2 s (assumption; parameters.md §3.4: 41% of
 * top apps fork at runtime, some from several threads, rates unknown).
 */
export function forkStorm(base: Scenario): Scenario {
  const sc = coldStart(base);
  for (const th of sc.threads) {
    if (th.ops.some((o) => o.op === 'fork')) th.think = { law: 'exponential', mean: 100_000_000 };
  }
  return sc;
}

const WRITERS = ['mprotect', 'munmap', 'mmap', 'fork'] as const;
const writerOps: Column = {
  label: 'writer ops', unit: 'count', agg: 'sum',
  figure: (r) => WRITERS.reduce((n, op) => n + (r.figures.get(`ops.all.${op}.count`) ?? 0), 0),
};

export const writerIo: Experiment = {
  name: 'writer-io',
  number: 1,
  title: 'does a writer block behind a fault\'s I/O?',
  question: 'How often, and for how long, do mprotect / munmap / madvise (and fork) wait for a fault\'s I/O under hold-io, against mainline and retry-vma, on android-app?',
  source: 'Matthew Wilcox, 2026-05-01 14:56 UTC',
  scenario: 'android-app',
  variants: (base) => [
    { label: 'android-app', scenario: base },
    { label: 'cold-start', scenario: coldStart(base) },
    { label: 'fork-storm', scenario: forkStorm(base) },
  ],
  faults: ['mainline', 'retry-vma', 'hold-io'],
  forks: ['fork-lock-all'],
  seeds: 10,
  seed: 1,
  extras: (sc) => [new WriterWaits(sc.warmup)],
  tables: [
    {
      title: 'vma_start_write sleeps of writers (counts summed over seeds)',
      columns: [
        writerOps,
        { label: 'slept', unit: 'count', samples: 'vma_wait.all', stat: 'count' },
        { label: 'behind I/O', unit: 'count', samples: 'vma_wait_io.all', stat: 'count' },
        { label: 'fork', unit: 'count', samples: 'vma_wait.fork', stat: 'count' },
        { label: 'mprotect', unit: 'count', samples: 'vma_wait.mprotect', stat: 'count' },
        { label: 'munmap', unit: 'count', samples: 'vma_wait.munmap', stat: 'count' },
      ],
    },
    {
      title: 'how long: vma_start_write sleep, pooled over seeds (all writers; behind I/O)',
      columns: [
        { label: 'p50', unit: 'ns', samples: 'vma_wait.all', stat: 'p50' },
        { label: 'p90', unit: 'ns', samples: 'vma_wait.all', stat: 'p90' },
        { label: 'max', unit: 'ns', samples: 'vma_wait.all', stat: 'max' },
        { label: 'I/O p50', unit: 'ns', samples: 'vma_wait_io.all', stat: 'p50' },
        { label: 'I/O max', unit: 'ns', samples: 'vma_wait_io.all', stat: 'max' },
        { label: 'fork p99', unit: 'ns', figure: 'ops.all.fork.p99' },
      ],
    },
  ],
  notes: [
    'writer ops: mprotect + munmap + mmap + fork calls; madvise(MADV_DONTNEED) takes the VMA read lock and never sleeps in vma_start_write.',
    'slept: vma_start_write sleeps; behind I/O: those that began while a reader of the VMA slept on a folio locked for I/O (read, writeback) or by reclaim.',
    'android-app: the built-in app, 9 s measured per seed. cold-start: reads under load (8-job UFS, [M]) and 10x the page-cache miss weights (assumption). fork-storm: cold-start with the forking thread forking every 100 ms instead of 2 s (assumption).',
  ],
  headline(r) {
    const io = (fault: string, variant: string) => pooled(cellOf(r, fault, { variant }), 'vma_wait_io.all');
    const forkIo = (variant: string) => pooled(cellOf(r, 'hold-io', { variant }), 'vma_wait_io.fork').length;
    const ops = (variant: string) => cellOf(r, 'hold-io', { variant }).runs.reduce((n, run) =>
      n + WRITERS.reduce((m, op) => m + (run.figures.get(`ops.all.${op}.count`) ?? 0), 0), 0);
    const forks = (variant: string) => total(cellOf(r, 'hold-io', { variant }), 'ops.all.fork.count');
    const none = r.cells.every((c) => c.fault === 'hold-io' || pooled(c, 'vma_wait_io.all').length === 0);
    const micro = (v: number) => `${(v / 1e3).toFixed(0)} us`;
    const [app, cold, storm] = ['android-app', 'cold-start', 'fork-storm'].map((v) => io('hold-io', v));
    const text = `under hold-io, writers slept behind a fault's I/O ${app!.length} times in ${ops('android-app')} writer calls ` +
      `(${forks('android-app')} forks) on the steady app, ${cold!.length} in ${ops('cold-start')} on a cold start, and ` +
      `${storm!.length} in ${ops('fork-storm')} (${forks('fork-storm')} forks) in the fork storm, ${forkIo('fork-storm')} of them fork, ` +
      `for p50 ${micro(percentile(storm!, 50))}, max ${micro(storm!.length === 0 ? 0 : Math.max(...storm!))}: about one read. ` +
      `Under mainline and retry-vma: ${none ? 'never' : 'sometimes (unexpected)'}.`;
    // It happens under hold-io only, rarely unless a writer that locks every VMA (fork) is frequent, and lasts about one I/O.
    const holds = none && app!.length <= cold!.length + 2 && storm!.length >= 10 && forkIo('fork-storm') >= storm!.length / 2 &&
      Math.max(...storm!) < 5e6;
    return { text, holds };
  },
};
