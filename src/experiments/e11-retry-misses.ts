/**
 * Experiment 11 (issue 12). The series' premise, from the cover letter and
 * Matthew Wilcox's forward-progress concern: under memory pressure a fault
 * that dropped its lock for a read may find, when it retries, that reclaim
 * took the folio again; mainline's retry runs with FAULT_FLAG_TRIED under
 * mmap_lock and reads again holding it, so mmap_lock writers queue behind
 * the read. The misses emerge from the memory model (scenario `memory:`).
 */
import type { Scenario } from '../scenario/types.js';
import { cellOf, total } from './run.js';
import type { Experiment, RunResult } from './types.js';

/** Pages of each reader's file (scenarios/memcg-thrash.yaml). */
const FILE_PAGES = 512;

/**
 * Rounds per second: every reader reads its file in order (`order:
 * sequential`) and every access is a fault, so a round is FILE_PAGES faults
 * of a reader (class DEFAULT); per second of the measured window, all
 * readers together.
 */
function roundsPerSecond(r: RunResult): number | undefined {
  const faults = r.figures.get('ops.DEFAULT.fault.count');
  const window = r.metrics.window.end - r.metrics.window.warmup;
  return faults === undefined || window <= 0 ? undefined : faults / FILE_PAGES / (window / 1e9);
}

/** memory.high at a quarter of the files instead of a sixteenth (max = high + 10%). */
export function looser(base: Scenario): Scenario {
  const sc = structuredClone(base);
  sc.memory = { ...sc.memory!, high: 2048, max: 2253 };
  return sc;
}

export const retryMisses: Experiment = {
  name: 'retry-misses',
  number: 11,
  title: 'retry misses under memory pressure',
  question: 'How often does a retry find its folio reclaimed and read it again, under which lock, and what does that cost mmap_lock writers, per strategy?',
  source: 'Barry Song, cover letter of v2 (2026-04-30); Matthew Wilcox on forward progress in the v2 thread; issue 12',
  scenario: 'memcg-thrash',
  variants: (base) => [
    { label: 'high = files/16', scenario: base },
    { label: 'high = files/4', scenario: looser(base) },
  ],
  faults: ['mainline', 'retry-vma', 'retry-vma+uptodate-skip', 'hold-io', 'hold-io-file'],
  forks: ['fork-lock-all'],
  seeds: 2,
  seed: 1,
  tables: [
    {
      title: 'retries and retry misses (counts summed over seeds)',
      columns: [
        { label: 'rounds/s', unit: 'count', figure: roundsPerSecond },
        { label: 'retries', unit: 'count', figure: 'vm_events.FAULT_RETRY', agg: 'sum' },
        { label: 'misses', unit: 'count', figure: 'vm_events.RETRY_IO_MISS', agg: 'sum' },
        { label: 'miss share', unit: 'share', figure: 'memory.retry_miss_share' },
        { label: 'under VMA', unit: 'count', figure: 'vm_events.RETRY_IO_MISS_VMA', agg: 'sum' },
        { label: 'pgsteal', unit: 'count', figure: 'vm_events.PGSTEAL_DIRECT', agg: 'sum' },
        { label: 'fault p99', unit: 'ns', figure: 'ops.all.fault.p99' },
      ],
    },
    {
      title: 'the mmap_lock writer (GC mprotect) and mmap_lock read holds',
      columns: [
        { label: 'mprotect p99', unit: 'ns', figure: 'ops.all.mprotect.p99' },
        { label: 'mprotect max', unit: 'ns', figure: 'ops.all.mprotect.max' },
        { label: 'down_write waits', unit: 'count', figure: 'mmap_lock.write_wait.count', agg: 'sum' },
        { label: 'down_write max', unit: 'ns', figure: 'mmap_lock.write_wait.max' },
        { label: 'read hold max', unit: 'ns', figure: 'mmap_lock.read_hold.max' },
      ],
    },
  ],
  notes: [
    'rounds/s: passes over a reader\'s 512-page file per second, all 16 readers together (median over seeds); miss share: misses / retries (median over seeds).',
    'misses: RETRY_IO_MISS, retries (FAULT_FLAG_TRIED) that missed the page cache for the page an earlier attempt had read and read it again holding their lock; under VMA: those that held the VMA lock (RETRY_IO_MISS_VMA), the rest held mmap_lock for read.',
    'retry-vma misses under mmap_lock come from page_not_uptodate reads (a readahead window that could not be charged, or mmap_miss above MMAP_LOTSAMISS): their plain VM_FAULT_RETRY is not marked VM_FAULT_RETRY_VMA.',
    'hold-io never retries, so it has no misses.',
    'Scaled-down shape of the series\' stress test; every number and the scaling are in scenarios/memcg-thrash.yaml.',
  ],
  headline(r) {
    const v = 'high = files/16';
    const miss = (f: string) => total(cellOf(r, f, { variant: v }), 'vm_events.RETRY_IO_MISS');
    const vmaMiss = (f: string) => total(cellOf(r, f, { variant: v }), 'vm_events.RETRY_IO_MISS_VMA');
    const mp = (f: string) => Math.max(...cellOf(r, f, { variant: v }).runs.map((x) => x.figures.get('ops.all.mprotect.p99') ?? 0));
    const text = `memory.high = files/16: mainline ${miss('mainline')} retry misses, all read again under mmap_lock; ` +
      `retry-vma ${miss('retry-vma')}, ${vmaMiss('retry-vma')} of them under the VMA lock; ` +
      `mprotect p99 (worst seed) ${(mp('mainline') / 1e3).toFixed(0)} us under mainline, ${(mp('retry-vma') / 1e3).toFixed(0)} us under retry-vma.`;
    const holds = miss('mainline') > 0 && vmaMiss('mainline') === 0 && vmaMiss('retry-vma') > miss('retry-vma') / 2 && mp('retry-vma') < mp('mainline');
    return { text, holds };
  },
};
