/**
 * Experiment 12 (issue 12): where each readahead path drops the fault lock,
 * and so where retry-vma retries. Read-around drops it in
 * do_sync_mmap_readahead and its retry carries VM_FAULT_RETRY_VMA; with
 * MADV_RANDOM (or read_ahead_kb = 0, or mmap_miss above MMAP_LOTSAMISS) the
 * drop happens in filemap_fault's page_not_uptodate, whose plain
 * VM_FAULT_RETRY patch 1/5 does not mark: those faults retry under mmap_lock
 * even with the series applied.
 */
import type { Scenario } from '../scenario/types.js';
import { looser } from './e11-retry-misses.js';
import { cellOf, total } from './run.js';
import type { Experiment } from './types.js';

/** Every file VMA group madvise(MADV_RANDOM)'d. */
export function madvRandom(base: Scenario): Scenario {
  const sc = structuredClone(base);
  sc.vmas = sc.vmas.map((g) => (g.kind === 'file' ? { ...g, readahead: 'random' as const } : g));
  return sc;
}

/**
 * The readers fault at random instead of in rounds (memcg-thrash as it was
 * first written), at memory.high = files/16: far more misses than hits, the
 * condition under which do_sync_mmap_readahead's mmap_miss > MMAP_LOTSAMISS
 * turns read-around off (thrash detection).
 */
export function randomAccess(base: Scenario): Scenario {
  const sc = structuredClone(base);
  for (const th of sc.threads) {
    th.ops = th.ops.map((o) => {
      if (o.op !== 'fault') return o;
      const { order: _order, ...rest } = o;
      return rest;
    });
  }
  return sc;
}

export const readaheadPaths: Experiment = {
  name: 'readahead',
  number: 12,
  title: 'readahead paths: read-around, MADV_RANDOM, thrashing',
  question: 'Where does each readahead path drop the lock, and does retry-vma keep the retry on the VMA lock for each?',
  source: 'issue 12; patch 1/5 (Oven Liyang, Barry Song, 2026-04-30) marks VM_FAULT_RETRY_VMA only at filemap_fault\'s `if (fpin)` exit',
  scenario: 'memcg-thrash',
  variants: (base) => [
    { label: 'read-around', scenario: looser(base) },
    { label: 'MADV_RANDOM', scenario: madvRandom(looser(base)) },
    { label: 'random access', scenario: randomAccess(base) },
  ],
  faults: ['mainline', 'retry-vma'],
  forks: ['fork-lock-all'],
  seeds: 2,
  seed: 1,
  tables: [
    {
      title: 'where faults retried (counts summed over seeds)',
      columns: [
        { label: 'faults', unit: 'count', figure: 'ops.all.fault.count', agg: 'sum' },
        { label: 'retries', unit: 'count', figure: 'vm_events.FAULT_RETRY', agg: 'sum' },
        { label: 'to VMA lock', unit: 'count', figure: 'vm_events.FAULT_RETRY_VMA', agg: 'sum' },
        { label: 'via mmap_lock', unit: 'count', figure: 'vm_events.FAULT_MMAP_PATH', agg: 'sum' },
        { label: 'page_not_uptodate', unit: 'count', figure: 'vm_events.PAGE_NOT_UPTODATE_READ', agg: 'sum' },
        { label: 'async RA', unit: 'count', figure: 'vm_events.ASYNC_READAHEAD', agg: 'sum' },
      ],
    },
    {
      title: 'why misses were read without readahead (counts summed over seeds)',
      columns: [
        { label: 'page_not_uptodate', unit: 'count', figure: 'vm_events.PAGE_NOT_UPTODATE_READ', agg: 'sum' },
        { label: 'mmap_miss cut-off', unit: 'count', figure: 'vm_events.MMAP_LOTSAMISS', agg: 'sum' },
        { label: 'window uncharged', unit: 'count', figure: 'vm_events.RA_WINDOW_UNCHARGED', agg: 'sum' },
        { label: 'RA pages reclaimed unused', unit: 'count', figure: 'vm_events.RA_UNUSED_RECLAIMED', agg: 'sum' },
      ],
    },
    {
      title: 'reads and the mmap_lock writer (GC mprotect)',
      columns: [
        { label: 'reads', unit: 'count', figure: 'vm_events.IO_READ', agg: 'sum' },
        { label: 'fault p99', unit: 'ns', figure: 'ops.all.fault.p99' },
        { label: 'down_read waits', unit: 'count', figure: 'mmap_lock.read_wait.count', agg: 'sum' },
        { label: 'down_write waits', unit: 'count', figure: 'mmap_lock.write_wait.count', agg: 'sum' },
        { label: 'mprotect p99', unit: 'ns', figure: 'ops.all.mprotect.p99' },
      ],
    },
  ],
  notes: [
    'read-around and MADV_RANDOM: memcg-thrash with memory.high at a quarter of the files (retry misses are rare there; see experiment 11 for them).',
    'to VMA lock: retries that went back to lock_vma_under_rcu (VM_FAULT_RETRY_VMA); via mmap_lock: fault attempts under mmap_lock; page_not_uptodate: misses read by filemap_fault itself, without readahead; async RA: PG_readahead hits that started the next window.',
    'MADV_RANDOM: every file VMA has VM_RAND_READ: no readahead, one 4 KiB read per miss.',
    'random access: the readers fault at random pages (not in rounds) at memory.high = files/16, where misses far outnumber hits: the condition for thrash detection (mmap_miss > MMAP_LOTSAMISS) to turn read-around off; page_not_uptodate counts the misses read without it.',
    'mmap_miss cut-off: misses for which do_sync_mmap_readahead read no window because mmap_miss > MMAP_LOTSAMISS (100); window uncharged: read-around or async windows whose __GFP_NORETRY charge failed after one reclaim pass (the fault then reads its page in page_not_uptodate); RA pages reclaimed unused: pages a window brought in that reclaim took before any fault mapped them (model-only counters).',
  ],
  headline(r) {
    const at = (f: string, v: string, fig: string) => total(cellOf(r, f, { variant: v }), fig);
    const ra = at('retry-vma', 'read-around', 'vm_events.FAULT_RETRY_VMA') / Math.max(1, at('retry-vma', 'read-around', 'vm_events.FAULT_RETRY'));
    const rnd = at('retry-vma', 'MADV_RANDOM', 'vm_events.FAULT_RETRY_VMA') / Math.max(1, at('retry-vma', 'MADV_RANDOM', 'vm_events.FAULT_RETRY'));
    const mmapRnd = at('retry-vma', 'MADV_RANDOM', 'vm_events.FAULT_MMAP_PATH');
    const thr = at('retry-vma', 'random access', 'vm_events.FAULT_RETRY_VMA') / Math.max(1, at('retry-vma', 'random access', 'vm_events.FAULT_RETRY'));
    const pnu = at('retry-vma', 'random access', 'vm_events.PAGE_NOT_UPTODATE_READ');
    const cut = at('retry-vma', 'random access', 'vm_events.MMAP_LOTSAMISS');
    const unch = at('retry-vma', 'random access', 'vm_events.RA_WINDOW_UNCHARGED');
    const text = `retry-vma: ${(100 * ra).toFixed(0)}% of retries stay on the VMA lock with read-around, ${(100 * rnd).toFixed(0)}% with MADV_RANDOM ` +
      `(${mmapRnd} attempts under mmap_lock, as many as mainline's ${at('mainline', 'MADV_RANDOM', 'vm_events.FAULT_MMAP_PATH')}), ` +
      `${(100 * thr).toFixed(0)}% with random access, where ${cut} of its ${pnu} page_not_uptodate reads follow the mmap_miss cut-off ` +
      `(thrash detection) and ${unch} an uncharged window.`;
    return { text, holds: ra > 0.8 && rnd < 0.05 && mmapRnd > 0 && thr < ra && cut > unch };
  },
};
