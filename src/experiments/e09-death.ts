/**
 * Experiment 9. Barry Song, 2026-05-18 21:14 (quoted by Liam R. Howlett,
 * 2026-05-19 14:17): "when lowmemorykiller decides to kill an app, we want
 * the memory to be released as quickly as possible ... if the app being
 * killed is performing I/O while holding the VMA lock, the unmapping
 * procedure could end up being blocked as well." Liam R. Howlett, 2026-05-19
 * 14:17: "The oom killer only cleans out anon/not shared vmas. So, what this
 * would hold up would be the actual process exit path."
 *
 * A process killed while its threads fault with I/O: time until its
 * anonymous memory is reaped and until exit completes, hold-io vs mainline.
 */
import type { Scenario } from '../scenario/types.js';
import { KillSnapshot } from './observers.js';
import { cellOf, pooled } from './run.js';
import type { Experiment } from './types.js';

/**
 * The kernel's OOM killer instead of lmkd: the OOM reaper kthread runs
 * OOM_REAPER_DELAY (2*HZ, mm/oom_kill.c) after the kill and takes
 * mmap_read_trylock, up to 10 times 100 ms apart. The run is longer so the
 * reaper gets its turn.
 */
export function oomReaper(base: Scenario): Scenario {
  const sc = structuredClone(base);
  sc.kill = { ...sc.kill!, reaper: 'oom_reaper', reaper_delay: 2_000_000_000 };
  sc.duration = Math.max(sc.duration, sc.kill.at + 2_500_000_000);
  return sc;
}

export const death: Experiment = {
  name: 'death',
  number: 9,
  title: 'process death while threads fault with I/O',
  question: 'When a process is killed while its threads fault with I/O, how long until its anonymous memory is reaped and until exit completes, under hold-io vs mainline?',
  source: 'Barry Song, 2026-05-18 21:14 UTC; Liam R. Howlett, 2026-05-19 14:17 UTC',
  scenario: 'exp-death',
  variants: (base) => [
    { label: 'lmkd', scenario: base },
    { label: 'OOM reaper', scenario: oomReaper(base) },
  ],
  faults: ['mainline', 'retry-vma', 'hold-io'],
  forks: ['fork-lock-all'],
  seeds: 5,
  seed: 1,
  extras: (sc) => [new KillSnapshot(sc.warmup)],
  tables: [
    {
      title: 'at the kill: the app\'s threads asleep (summed over seeds), all ended by SIGKILL',
      columns: [
        { label: 'on I/O', unit: 'count', figure: 'x.kill.io', agg: 'sum' },
        { label: 'in vma_start_write', unit: 'count', figure: 'x.kill.vma_writer', agg: 'sum' },
        { label: 'on mmap_lock', unit: 'count', figure: 'x.kill.mmap_lock', agg: 'sum' },
        { label: 'forks (run)', unit: 'count', figure: 'ops.all.fork.count', agg: 'sum' },
      ],
    },
    {
      title: 'after the kill (pooled over seeds)',
      columns: [
        { label: 'threads gone', unit: 'ns', samples: 'death.threads_exit', stat: 'max' },
        { label: 'reaped p50', unit: 'ns', samples: 'death.reaped', stat: 'p50' },
        { label: 'reaped max', unit: 'ns', samples: 'death.reaped', stat: 'max' },
        { label: 'exit p50', unit: 'ns', samples: 'death.exit', stat: 'p50' },
        { label: 'exit max', unit: 'ns', samples: 'death.exit', stat: 'max' },
        { label: 'trylock fails', unit: 'count', figure: 'death.reap_trylock_failures', agg: 'sum' },
      ],
    },
  ],
  notes: [
    'on I/O: threads asleep on a folio locked for read I/O or writeback at the kill (under hold-io they hold their VMA lock); in vma_start_write: a fork (or mprotect) waiting for those readers; on mmap_lock: threads queued behind it.',
    'threads gone: kill -> the last thread has left (max over seeds); reaped: kill -> lmkd\'s process_mrelease (or the OOM reaper) finished unmapping private and anonymous memory (- when exit_mmap got there first: MMF_OOM_SKIP); exit: kill -> exit_mmap done.',
    'lmkd: process_mrelease 10 us after the kill (mmap_read_lock_killable). OOM reaper: the kthread 2 s after the kill (OOM_REAPER_DELAY, mm/oom_kill.c), mmap_read_trylock up to 10 times 100 ms apart.',
    'Every sleep a fault takes while holding its VMA lock (__folio_lock_killable, folio_wait_locked_killable) and fork\'s vma_start_write_killable end on SIGKILL; the I/O itself is not cancelled. Uninterruptible sleeps during bio submission (block-layer throttling) are not modelled (docs/experiments.md).',
  ],
  headline(r) {
    const c = (f: string, v = 'lmkd') => cellOf(r, f, { variant: v });
    const sum = (f: string, fig: string) => c(f).runs.reduce((s, x) => s + (x.figures.get(fig) ?? 0), 0);
    const maxOf = (v: number[]) => (v.length === 0 ? 0 : Math.max(...v));
    const reap = (f: string) => maxOf(pooled(c(f), 'death.reaped'));
    const exit = (f: string) => maxOf(pooled(c(f), 'death.exit'));
    const gone = (f: string) => maxOf(pooled(c(f), 'death.threads_exit'));
    const text = `at the kill, hold-io had ${sum('hold-io', 'x.kill.io')} faults asleep on I/O (holding VMA locks) and ${sum('hold-io', 'x.kill.vma_writer')} forks waiting for them ` +
      `over ${c('hold-io').runs.length} seeds; still, reaping took at most ${(reap('hold-io') / 1e6).toFixed(2)} ms and exit ${(exit('hold-io') / 1e6).toFixed(2)} ms ` +
      `(mainline ${(reap('mainline') / 1e6).toFixed(2)} ms and ${(exit('mainline') / 1e6).toFixed(2)} ms): the kill ends every killable sleep, so neither waits for the I/O.`;
    const holds = sum('hold-io', 'x.kill.io') > 0 && gone('hold-io') < 1e6 && reap('hold-io') > 0 &&
      reap('hold-io') < 1.5 * reap('mainline') + 1e5 && exit('hold-io') < 1.5 * exit('mainline') + 1e5;
    return { text, holds };
  },
};
