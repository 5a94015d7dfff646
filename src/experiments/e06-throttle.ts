/**
 * Experiment 6. Jan Kara, 2026-05-03 13:13: "if there are realistic loads
 * where one thread needs VMA write lock while another thread is faulting the
 * VMA, then the latencies can be indeed extreme. For example things like
 * cgroup IO throttling happen on the IO path and thus can throttle IO of a
 * low-priority thread for a long time."
 *
 * One background thread's reads take 100 ms, 500 ms or 2 s (its cgroup is
 * throttled); writer (munmap + mmap) and fork latency under each strategy.
 */
import type { Scenario } from '../scenario/types.js';
import { WriterWaits } from './observers.js';
import { cellOf, pooled } from './run.js';
import type { Experiment } from './types.js';

/** The throttled thread (`sync`) reads at a constant `ns` per read. */
export function throttledAt(base: Scenario, ns: number): Scenario {
  const sc = structuredClone(base);
  const th = sc.threads.find((t) => t.name === 'sync');
  if (th === undefined) throw new Error(`scenario ${base.name}: no thread 'sync'`);
  th.io = { ...th.io, read: { law: 'constant', value: ns } };
  return sc;
}

const LATENCIES: Array<[string, number]> = [['100ms', 100e6], ['500ms', 500e6], ['2s', 2e9]];

export const throttle: Experiment = {
  name: 'throttle',
  number: 6,
  title: 'cgroup I/O throttling: a low-priority thread\'s reads take 100 ms to seconds',
  question: 'With one background thread\'s reads throttled to 100 ms - 2 s, what are writer (munmap, mmap) and fork latencies under each strategy?',
  source: 'Jan Kara, 2026-05-03 13:13 UTC',
  scenario: 'exp-throttle',
  variants: (base) => LATENCIES.map(([label, ns]) => ({ label: `read ${label}`, scenario: throttledAt(base, ns) })),
  faults: ['mainline', 'retry-vma', 'hold-io', 'hold-io-file'],
  forks: ['fork-lock-all'],
  seeds: 2,
  seed: 1,
  extras: (sc) => [new WriterWaits(sc.warmup)],
  tables: [
    {
      title: 'writers: munmap of an asset mapping (binder threads) and fork',
      columns: [
        { label: 'munmap p50', unit: 'ns', figure: 'ops.all.munmap.p50' },
        { label: 'munmap max', unit: 'ns', figure: 'ops.all.munmap.max' },
        { label: 'fork p50', unit: 'ns', figure: 'ops.all.fork.p50' },
        { label: 'fork max', unit: 'ns', figure: 'ops.all.fork.max' },
        { label: 'unfinished', unit: 'count', figure: (r) => (r.figures.get('ops.all.fork.unfinished') ?? 0) + (r.figures.get('ops.all.munmap.unfinished') ?? 0), agg: 'sum' },
        { label: 'slept on I/O', unit: 'count', samples: 'vma_wait_io.all', stat: 'count' },
      ],
    },
    {
      title: 'everyone else: mmap_lock waits behind a writer (pooled), UI faults, inversion',
      columns: [
        { label: 'waits', unit: 'count', samples: 'mmap_wait_behind.all', stat: 'count' },
        { label: 'wait max', unit: 'ns', samples: 'mmap_wait_behind.all', stat: 'max' },
        { label: 'UI fault p99.9', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.p99.9' },
        { label: 'UI fault max', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.max' },
        { label: 'UI inverted', unit: 'ns', figure: 'inversion.USER_INTERACTIVE.inverted_time' },
      ],
    },
  ],
  notes: [
    'The throttled thread (sync, BACKGROUND) misses the page cache on half its faults; its reads take the variant\'s latency (constant; parameters.md §2.4 documents the mechanism, no measurement). Everyone else reads at UFS speed.',
    'unfinished: fork and munmap calls still running when the run ended (summed over seeds); their latency is not in the percentiles. slept on I/O: writers\' vma_start_write sleeps behind a fault asleep on a read.',
    'waits: other threads\' mmap_lock waits that began while a writer held mmap_lock or was queued ahead.',
  ],
  headline(r) {
    const v = 'read 2s';
    const c = (f: string) => cellOf(r, f, { variant: v });
    const worst = (f: string) => Math.max(...c(f).runs.map((x) => Math.max(x.figures.get('ops.all.fork.max') ?? 0, x.figures.get('ops.all.munmap.max') ?? 0)));
    const stuck = (f: string) => c(f).runs.reduce((s, x) => s + (x.figures.get('ops.all.fork.unfinished') ?? 0) + (x.figures.get('ops.all.munmap.unfinished') ?? 0), 0);
    const behind = (f: string) => { const p = pooled(c(f), 'mmap_wait_behind.all'); return p.length === 0 ? 0 : Math.max(...p); };
    const text = `reads throttled to 2 s: under hold-io the slowest fork/munmap took ${(worst('hold-io') / 1e9).toFixed(2)} s ` +
      `(${stuck('hold-io')} still stuck at the end) and other threads waited up to ${(behind('hold-io') / 1e9).toFixed(2)} s for mmap_lock behind them; ` +
      `mainline ${(worst('mainline') / 1e6).toFixed(1)} ms and ${(behind('mainline') / 1e6).toFixed(1)} ms; retry-vma ${(worst('retry-vma') / 1e6).toFixed(1)} ms.`;
    const holds = worst('hold-io') > 0.5e9 && worst('mainline') < 50e6 && worst('retry-vma') < 50e6 && behind('hold-io') > 100 * Math.max(behind('mainline'), 1e5);
    return { text, holds };
  },
};
