/**
 * Experiment 2. Barry Song, 2026-05-17 08:45: with I/O done under the VMA
 * lock, "We observed many cases where `vma_start_write()` is blocked by
 * page-fault I/O in some applications. The blocking occurs in the
 * `dup_mmap()` path during fork()."
 *
 * Fork latency, and how long other threads wait for mmap_lock behind the
 * fork, per fault strategy and fork strategy, sweeping the number of VMAs
 * (100 to 2,000) and the read latency.
 */
import type { Law, Scenario } from '../scenario/types.js';
import { WriterWaits } from './observers.js';
import { cellOf, pooled } from './run.js';
import type { Experiment, Variant } from './types.js';

/** Every point of a law multiplied by `k` (the shape is kept). */
export function scaleLaw(law: Law, k: number): Law {
  const r = (x: number) => Math.round(x * k);
  switch (law.law) {
    case 'constant': return { law: 'constant', value: r(law.value) };
    case 'exponential': return { law: 'exponential', mean: r(law.mean) };
    case 'lognormal': return { law: 'lognormal', median: r(law.median), sigma: law.sigma };
    case 'uniform': return { law: 'uniform', min: r(law.min), max: r(law.max) };
    case 'empirical': return { law: 'empirical', points: law.points.map(([p, v]) => [p, r(v)]) };
  }
}

/** The scenario with `n` VMAs in all: the `libs` group takes up the difference. */
export function withVmaCount(base: Scenario, n: number): Scenario {
  const sc = structuredClone(base);
  const libs = sc.vmas.find((g) => g.name === 'libs');
  if (libs === undefined) throw new Error(`scenario ${base.name}: no 'libs' VMA group to resize`);
  const others = sc.vmas.reduce((s, g) => s + (g === libs ? 0 : g.count), 0);
  const count = n - others;
  if (count < 1) throw new Error(`scenario ${base.name}: cannot have ${n} VMAs (${others} outside 'libs')`);
  libs.count = count;
  libs.pages = new Array<number>(count).fill(libs.pages[0]!);
  return sc;
}

export function withReadScale(base: Scenario, k: number): Scenario {
  const sc = structuredClone(base);
  sc.io.read = scaleLaw(sc.io.read, k);
  return sc;
}

const VMAS = [100, 500, 1000, 2000];

export const fork: Experiment = {
  name: 'fork',
  number: 2,
  title: 'fork with many VMAs while faults do I/O',
  question: 'Fork latency, and how long other threads wait for mmap_lock behind it, per fault strategy and fork strategy, for 100 to 2,000 VMAs and slower reads.',
  source: 'Barry Song, 2026-05-17 08:45 UTC',
  scenario: 'exp-fork',
  variants: (base) => {
    const v: Variant[] = VMAS.map((n) => ({ label: `${n} VMAs`, scenario: withVmaCount(base, n) }));
    v.push({ label: '1000, read x10', scenario: withReadScale(base, 10) });
    v.push({ label: '1000, read x100', scenario: withReadScale(base, 100) });
    return v;
  },
  faults: ['mainline', 'retry-vma', 'hold-io'],
  forks: ['fork-lock-all', 'fork-lock-cow', 'fork-lock-anon-vma'],
  // retry-vma only at the base point: for fork it behaves as mainline (it still drops the VMA lock for I/O).
  include: (variant, fault) => fault !== 'retry-vma' || variant === '1000 VMAs',
  seeds: 2,
  seed: 1,
  extras: (sc) => [new WriterWaits(sc.warmup)],
  tables: [
    {
      title: 'fork (dup_mmap) latency, and its vma_start_write sleeps behind fault I/O',
      columns: [
        { label: 'forks', unit: 'count', figure: 'ops.all.fork.count', agg: 'sum' },
        { label: 'fork p50', unit: 'ns', figure: 'ops.all.fork.p50' },
        { label: 'fork max', unit: 'ns', figure: 'ops.all.fork.max' },
        { label: 'slept on I/O', unit: 'count', samples: 'vma_wait_io.fork', stat: 'count' },
        { label: 'sleep max', unit: 'ns', samples: 'vma_wait.fork', stat: 'max' },
      ],
    },
    {
      title: 'other threads\' mmap_lock waits behind the fork (pooled), and UI fault latency',
      columns: [
        { label: 'waits', unit: 'count', samples: 'mmap_wait_behind.fork', stat: 'count' },
        { label: 'wait total', unit: 'ns', figure: (r) => (r.samples['mmap_wait_behind.fork'] ?? []).reduce((a, b) => a + b, 0), agg: 'sum' },
        { label: 'wait max', unit: 'ns', samples: 'mmap_wait_behind.fork', stat: 'max' },
        { label: 'UI fault p99', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.p99' },
        { label: 'UI fault max', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.max' },
      ],
    },
  ],
  notes: [
    'variants: the number of VMAs (the libs group resized; 1,000 is the file as is); read xK: every point of the UFS read law times K (x100: p50 17 ms, in the range of a throttled cgroup, parameters.md §2.4).',
    'slept on I/O: fork\'s vma_start_write sleeps that began while a fault holding that VMA slept on I/O. waits behind the fork: mmap_lock waits of other threads that began while the fork held mmap_lock or was queued ahead (faults whose VMA fork had write-locked fall back to mmap_lock).',
    'fork-lock-cow locks every private mapping, read-only library text included (VM_MAYWRITE is set on every private file mapping), so it locks almost what fork-lock-all locks.',
  ],
  headline(r) {
    const max = (v: number[]) => (v.length === 0 ? 0 : Math.max(...v));
    const at = (fault: string, forkS: string, variant: string) => cellOf(r, fault, { fork: forkS, variant });
    const ioSleeps = (fault: string, forkS: string, variant: string) => pooled(at(fault, forkS, variant), 'vma_wait_io.fork');
    const behind = (fault: string, forkS: string, variant: string) => max(pooled(at(fault, forkS, variant), 'mmap_wait_behind.fork'));
    const v = '1000, read x100';
    const holdAll = ioSleeps('hold-io', 'fork-lock-all', v), mainAll = ioSleeps('mainline', 'fork-lock-all', v);
    const holdAnon = ioSleeps('hold-io', 'fork-lock-anon-vma', v);
    const text = `at 1,000 VMAs with reads x100 (p50 17 ms): hold-io + fork-lock-all: fork slept behind fault I/O ${holdAll.length} times ` +
      `(longest ${(max(holdAll) / 1e6).toFixed(1)} ms) and other threads waited up to ${(behind('hold-io', 'fork-lock-all', v) / 1e6).toFixed(1)} ms behind it; ` +
      `mainline: ${mainAll.length} sleeps, longest wait behind fork ${(behind('mainline', 'fork-lock-all', v) / 1e6).toFixed(2)} ms; ` +
      `hold-io + fork-lock-anon-vma: ${holdAnon.length} sleeps on I/O.`;
    const holds = mainAll.length === 0 && holdAll.length > 0 && max(holdAll) > 1e6 &&
      behind('hold-io', 'fork-lock-all', v) > 5 * behind('mainline', 'fork-lock-all', v) && holdAnon.length < holdAll.length;
    return { text, holds };
  },
};
