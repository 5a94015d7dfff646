/**
 * Experiment 13 (issue 12): a warm app launch under memory pressure
 * (scenarios/android-launch.yaml): kswapd reclaiming from the first
 * allocations, half of the app's files in the page cache, zram. What does
 * each strategy do to the UI threads' faults and to mmap_lock, with and
 * without the pressure?
 */
import type { Scenario } from '../scenario/types.js';
import { cellOf, total } from './run.js';
import type { Experiment } from './types.js';

/** 1 GiB (262,144 pages) more free memory: the launch never reaches the low watermark. */
export function noPressure(base: Scenario): Scenario {
  const sc = structuredClone(base);
  sc.memory = { ...sc.memory!, other: sc.memory!.other - 262144 };
  return sc;
}

export const launch: Experiment = {
  name: 'launch',
  number: 13,
  title: 'a warm app launch under memory pressure',
  question: 'Under memory pressure (kswapd busy, half the page cache cold), how do the strategies change the UI threads\' faults and mmap_lock, against the same launch with free memory?',
  source: 'issue 12 (the Android figures in the v2 thread come from phones under memory pressure during app launch); parameters.md §9.7',
  scenario: 'android-launch',
  variants: (base) => [
    { label: 'pressure', scenario: base },
    { label: 'free memory', scenario: noPressure(base) },
  ],
  faults: ['mainline', 'retry-vma', 'hold-io'],
  forks: ['fork-lock-all'],
  seeds: 2,
  seed: 1,
  tables: [
    {
      title: 'UI threads (main, RenderThread) and mmap_lock',
      columns: [
        { label: 'UI faults', unit: 'count', figure: 'ops.USER_INTERACTIVE.fault.count', agg: 'sum' },
        { label: 'UI p99', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.p99' },
        { label: 'UI p99.9', unit: 'ns', figure: 'ops.USER_INTERACTIVE.fault.p99.9' },
        { label: 'mmap_lock reads', unit: 'count', figure: 'mmap_lock.read_acquisitions', agg: 'sum' },
        { label: 'down_read waits', unit: 'count', figure: 'mmap_lock.read_wait.count', agg: 'sum' },
        { label: 'GC mprotect max', unit: 'ns', figure: 'ops.all.mprotect.max' },
      ],
    },
    {
      title: 'memory (counts summed over seeds)',
      columns: [
        { label: 'major faults', unit: 'count', figure: 'vm_events.PGMAJFAULT', agg: 'sum' },
        { label: 'file refaults', unit: 'count', figure: 'vm_events.WORKINGSET_REFAULT_FILE', agg: 'sum' },
        { label: 'swap-ins', unit: 'count', figure: 'vm_events.PSWPIN', agg: 'sum' },
        { label: 'kswapd wakes', unit: 'count', figure: 'vm_events.KSWAPD_WAKE', agg: 'sum' },
        { label: 'kswapd pgsteal', unit: 'count', figure: 'vm_events.PGSTEAL_KSWAPD', agg: 'sum' },
        { label: 'direct stalls', unit: 'count', figure: 'vm_events.ALLOCSTALL', agg: 'sum' },
        { label: 'PSI some', unit: 'share', figure: 'memory.psi_some.share' },
      ],
    },
  ],
  notes: [
    'android-launch, 2 s from the start of the launch, no warm-up; free memory: the same with 1 GiB less of other apps, so free memory stays above the watermarks.',
    'mmap_lock reads: successful read acquisitions (under mainline, mostly the retries of faults that dropped the VMA lock for I/O); GC mprotect max: HeapTaskDaemon\'s mprotect of 2 MB heap pieces, an mmap_lock writer.',
    'direct stalls: ALLOCSTALL (the allocating task reclaimed itself below the min watermark); PSI some: share of time some app thread was in a memory stall (docs/metrics.md, "Memory").',
    'All reclaim falls on the launching app (other apps\' memory is never reclaimed in the model) and the LRU is the classic one, not MGLRU: docs/fidelity.md.',
  ],
  headline(r) {
    const reads = (f: string, v: string) => total(cellOf(r, f, { variant: v }), 'mmap_lock.read_acquisitions');
    const wakes = (v: string) => total(cellOf(r, 'mainline', { variant: v }), 'vm_events.KSWAPD_WAKE');
    const text = `under pressure kswapd woke ${wakes('pressure')} times (${wakes('free memory')} with free memory); ` +
      `mmap_lock read acquisitions: mainline ${reads('mainline', 'pressure')}, retry-vma ${reads('retry-vma', 'pressure')}, hold-io ${reads('hold-io', 'pressure')} (two seeds).`;
    return { text, holds: wakes('pressure') > 0 && wakes('free memory') === 0 && reads('retry-vma', 'pressure') * 10 < reads('mainline', 'pressure') };
  },
};
