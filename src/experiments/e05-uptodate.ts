/**
 * Experiment 5. Patches 4-5/5 (Barry Song, 2026-04-30 04:04): "if the folio
 * is uptodate, we are likely only waiting for a concurrent PTE update to
 * finish. Retrying the entire page fault seems excessive." Matthew Wilcox,
 * 2026-05-01 16:11: "We sometimes wait for writeback while holding the folio
 * lock, and that's a similar latency to reads (or with cheap NAND, maybe
 * longer!) So I think the test needs to be: if (folio_test_uptodate(folio)
 * && !folio_test_writeback(folio))".
 *
 * Retries and re-walks saved by not dropping the lock for an uptodate folio,
 * and what holding costs when the lock holder is slow (writeback), with and
 * without `writeback-aware`, on UFS and on slower ("cheap NAND") writeback.
 */
import type { Scenario } from '../scenario/types.js';
import { scaleLaw } from './e02-fork.js';
import { WriterWaits } from './observers.js';
import { formatNs } from '../report/index.js';
import { cellOf, pooled, total } from './run.js';
import type { Experiment } from './types.js';

/** Writeback 10x slower than the UFS write law (assumption: "cheap NAND", no measurement). */
export function cheapNand(base: Scenario): Scenario {
  const sc = structuredClone(base);
  sc.io.writeback = scaleLaw(sc.io.writeback, 10);
  return sc;
}

export const uptodate: Experiment = {
  name: 'uptodate',
  number: 5,
  title: 'patches 4-5: skip the retry when the folio is uptodate',
  question: 'How many retries and re-walks does the uptodate skip save, and what does it cost when the folio lock holder is slow (writeback on cheap NAND), with and without writeback-aware?',
  source: 'Barry Song, 2026-04-30 04:04 UTC (patches 4-5/5); Matthew Wilcox, 2026-05-01 16:11 UTC',
  scenario: 'exp-uptodate',
  variants: (base) => [
    { label: 'UFS', scenario: base },
    { label: 'cheap NAND', scenario: cheapNand(base) },
  ],
  faults: ['mainline', 'retry-vma', 'retry-vma+uptodate-skip', 'retry-vma+uptodate-skip+writeback-aware'],
  forks: ['fork-lock-all'],
  seeds: 3,
  seed: 1,
  extras: (sc) => [new WriterWaits(sc.warmup)],
  tables: [
    {
      title: 'retries and re-walks (counts summed over seeds)',
      columns: [
        { label: 'faults', unit: 'count', figure: 'ops.all.fault.count', agg: 'sum' },
        { label: 'retries', unit: 'count', figure: 'vm_events.FAULT_RETRY', agg: 'sum' },
        { label: 'via mmap_lock', unit: 'count', figure: 'vm_events.FAULT_MMAP_PATH', agg: 'sum' },
        { label: 'held waits', unit: 'count', figure: 'vm_events.FAULT_HOLD_WAIT', agg: 'sum' },
        { label: 'fault p99', unit: 'ns', figure: 'ops.all.fault.p99' },
        { label: 'fault p99.9', unit: 'ns', figure: 'ops.all.fault.p99.9' },
      ],
    },
    {
      title: 'the cost of holding: writers asleep in vma_start_write (pooled), fork and GC',
      columns: [
        { label: 'slept', unit: 'count', samples: 'vma_wait.all', stat: 'count' },
        { label: 'on I/O', unit: 'count', samples: 'vma_wait_io.all', stat: 'count' },
        { label: 'sleep p99', unit: 'ns', samples: 'vma_wait.all', stat: 'p99' },
        { label: 'sleep max', unit: 'ns', samples: 'vma_wait.all', stat: 'max' },
        { label: 'fork max', unit: 'ns', figure: 'ops.all.fork.max' },
        { label: 'GC max', unit: 'ns', figure: 'ops.UTILITY.mprotect.max' },
      ],
    },
  ],
  notes: [
    'retries: VM_FAULT_RETRY returns (each one a re-walk of the page tables and, for mainline, an mmap_lock acquisition); via mmap_lock: fault attempts under mmap_lock; held waits: faults that slept on a folio keeping their VMA (or mmap) lock.',
    'on I/O: vma_start_write sleeps that began while a fault held the VMA and slept on a folio under writeback or read I/O.',
    'cheap NAND: the writeback law x10 (p50 1.1 ms, p99.99 164 ms; assumption after Willy\'s "with cheap NAND, maybe longer").',
  ],
  headline(r) {
    const ret = (fault: string, v: string) => total(cellOf(r, fault, { variant: v }), 'vm_events.FAULT_RETRY');
    const io = (fault: string, v: string) => pooled(cellOf(r, fault, { variant: v }), 'vma_wait_io.all');
    const sum = (x: number[]) => x.reduce((a, b) => a + b, 0);
    const maxOf = (x: number[]) => (x.length === 0 ? 0 : Math.max(...x));
    const saved = 1 - ret('retry-vma+uptodate-skip', 'UFS') / Math.max(1, ret('retry-vma', 'UFS'));
    const n = 'cheap NAND';
    const skip = io('retry-vma+uptodate-skip', n), aware = io('retry-vma+uptodate-skip+writeback-aware', n);
    const savedAware = 1 - ret('retry-vma+uptodate-skip+writeback-aware', 'UFS') / Math.max(1, ret('retry-vma', 'UFS'));
    const text = `uptodate-skip cuts retries by ${(saved * 100).toFixed(0)}% on UFS (${ret('retry-vma', 'UFS')} -> ${ret('retry-vma+uptodate-skip', 'UFS')}), ` +
      `but on cheap NAND writers then slept behind faults waiting on writeback ${skip.length} times (${formatNs(sum(skip))} in all, longest ${formatNs(maxOf(skip))}); ` +
      `writeback-aware: ${aware.length} such sleeps, and it still cuts retries by ${(savedAware * 100).toFixed(0)}%.`;
    const holds = saved > 0.3 && sum(skip) > 3 * sum(aware) &&
      ret('retry-vma+uptodate-skip+writeback-aware', 'UFS') < ret('retry-vma', 'UFS');
    return { text, holds };
  },
};
