/**
 * Experiment 8. Barry Song, 2026-04-30 22:49: "VMA sizes can be highly
 * uneven: some VMAs may be very large while others are small. We used to
 * have many reasons to release mmap_lock when we did not have a per-VMA lock.
 * Since VMA sizes are not uniform, those same considerations may still apply
 * to the per-VMA lock when a small number of VMAs account for most of a
 * process's address space. I recall that Suren also mentioned this."
 *
 * One VMA takes most faults: does its per-VMA lock act like a process-wide
 * lock? The same pages as one VMA and as 64 VMAs.
 */
import type { Scenario } from '../scenario/types.js';
import { WriterWaits } from './observers.js';
import { cellOf, pooled } from './run.js';
import type { Experiment } from './types.js';

/** The `big` group split into `n` VMAs of equal size (same pages in all). */
export function split(base: Scenario, n: number): Scenario {
  const sc = structuredClone(base);
  const g = sc.vmas.find((v) => v.name === 'big');
  if (g === undefined) throw new Error(`scenario ${base.name}: no 'big' VMA group`);
  const pages = g.pages.reduce((a, b) => a + b, 0);
  g.count = n;
  g.pages = new Array<number>(n).fill(Math.floor(pages / n));
  return sc;
}

export const uneven: Experiment = {
  name: 'uneven',
  number: 8,
  title: 'uneven VMA sizes: one VMA takes most faults',
  question: 'When one large VMA takes most faults, does its per-VMA lock behave like a process-wide lock for the writers of that VMA and the threads behind them?',
  source: 'Barry Song, 2026-04-30 22:49 UTC (citing Suren Baghdasaryan)',
  scenario: 'exp-uneven',
  variants: (base) => [
    { label: '1 x 256MB', scenario: base },
    { label: '64 x 4MB', scenario: split(base, 64) },
  ],
  faults: ['pre-vma', 'mainline', 'retry-vma', 'hold-io'],
  forks: ['fork-lock-all'],
  seeds: 3,
  seed: 1,
  extras: (sc) => [new WriterWaits(sc.warmup)],
  tables: [
    {
      title: 'the writer (mprotect of 2 MB): vma_start_write sleeps (pooled over seeds) and latency',
      columns: [
        { label: 'mprotects', unit: 'count', figure: 'ops.all.mprotect.count', agg: 'sum' },
        { label: 'slept', unit: 'count', samples: 'vma_wait.mprotect', stat: 'count' },
        { label: 'on I/O', unit: 'count', samples: 'vma_wait_io.mprotect', stat: 'count' },
        { label: 'p99', unit: 'ns', figure: 'ops.all.mprotect.p99' },
        { label: 'max', unit: 'ns', figure: 'ops.all.mprotect.max' },
      ],
    },
    {
      title: 'the threads behind it: faults that fell back to mmap_lock and waited, fault latency',
      columns: [
        { label: 'waits', unit: 'count', samples: 'mmap_wait_behind.mprotect', stat: 'count' },
        { label: 'wait total', unit: 'ns', figure: (r) => (r.samples['mmap_wait_behind.mprotect'] ?? []).reduce((a, b) => a + b, 0), agg: 'sum' },
        { label: 'UI fault p99.9', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.p99.9' },
        { label: 'UI fault max', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.max' },
        { label: 'fault p99.9', unit: 'ns', figure: 'ops.all.fault.p99.9' },
      ],
    },
  ],
  notes: [
    '1 x 256MB: the hot mapping is one VMA; 64 x 4MB: the same pages as 64 VMAs, faults spread over them uniformly. The writer mprotects one VMA of the group (the model does not split VMAs, docs/fidelity.md).',
    'waits: mmap_lock sleeps of other threads that began while the mprotect held mmap_lock or was queued ahead; wait total: their sum over seeds.',
  ],
  headline(r) {
    const sleeps = (f: string, v: string) => pooled(cellOf(r, f, { variant: v }), 'vma_wait.mprotect');
    const io = (f: string, v: string) => pooled(cellOf(r, f, { variant: v }), 'vma_wait_io.mprotect');
    const sum = (x: number[]) => x.reduce((a, b) => a + b, 0);
    const U = '1 x 256MB', E = '64 x 4MB';
    const text = `hold-io: the writer of the one big VMA slept on fault I/O ${io('hold-io', U).length} times (${(sum(sleeps('hold-io', U)) / 1e6).toFixed(1)} ms in all), ` +
      `with 64 VMAs ${io('hold-io', E).length} times (${(sum(sleeps('hold-io', E)) / 1e6).toFixed(1)} ms); mainline: ${io('mainline', U).length} and ${io('mainline', E).length} ` +
      `(${(sum(sleeps('mainline', U)) / 1e6).toFixed(2)} ms, ${(sum(sleeps('mainline', E)) / 1e6).toFixed(2)} ms asleep).`;
    const holds = sum(sleeps('hold-io', U)) > 5 * sum(sleeps('hold-io', E)) && io('mainline', U).length === 0 &&
      sum(sleeps('hold-io', U)) > 20 * Math.max(sum(sleeps('mainline', U)), 1e3);
    return { text, holds };
  },
};
