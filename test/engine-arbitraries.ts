/** fast-check arbitraries shared by the engine property tests (test/cpu-identity.test.ts, test/rwsem-spin.test.ts, test/runqueues.test.ts). */
import fc from 'fast-check';
import { scenarioFromObject, type Scenario } from '../src/scenario/index.js';

/** One op of a thread: the writers (mprotect, fork, munmap, madvise) and faults that race them. */
export const engineOp = fc.constantFrom(
  { op: 'mprotect', vma: 'heap', pages: 8 },
  { op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } },
  { op: 'fault', vma: 'lib', states: { cached: 0.7, absent: 0.3 } },
  { op: 'fork' },
  { op: 'munmap', vma: 'small' },
  { op: 'madvise_dontneed', vma: 'heap', pages: 4 },
);

/** A generated thread of the CPU properties: its think time (µs), ops and class. */
export interface PropertyThread { think: number; ops: unknown[]; cls: string }

/**
 * The small scenario the CPU properties run (test/cpu-identity.test.ts,
 * test/runqueues.test.ts): three VMAs, the generated threads, a 50 µs read,
 * fixed costs with `costUs` of mprotect_fixup, and the property's own
 * scheduler keys (`sched`: cpus, preempt, sched) and costs on top.
 */
export function cpuPropertyScenario(sched: Record<string, unknown>, threads: readonly PropertyThread[], costUs: number, spin: boolean, costs: Record<string, string>): Scenario {
  return scenarioFromObject({
    name: 'p', description: 'property', duration: '20ms', warmup: '0ms', ...sched,
    mmap_lock: { writer_spin: spin },
    vmas: [
      { name: 'heap', kind: 'anon', write: true, pages: 256, resident: 0.5 },
      { name: 'small', kind: 'anon', write: true, pages: 8, count: 4, resident: 1 },
      { name: 'lib', kind: 'file', pages: 256 },
    ],
    threads: threads.map((t, i) => ({ name: `t${i}`, think: `${t.think}us`, class: t.cls, ops: t.ops })),
    io: { read: '50us' },
    costs: {
      mprotect_fixup: `${costUs}us`, dup_vma: '2us', wakeup: '3us', flush_tlb_multi: '5us', anon_vma_fork: '1us', copy_pte_range: '1us',
      wrprotect_pte: '10ns', timer_wakeup: '4us', ...costs,
    },
  });
}
