/**
 * The hand-built fork scenario shared by test/fork-child-exit.test.ts and
 * test/model-side.test.ts: heap, an anonymous VMA with an anon_vma, 64 pages,
 * 32 present; lib, a shared file VMA (not copied). The forker forks once, at
 * 1 ms: dup_mmap = 2 VMAs x dup_vma + 32 PTEs x 10 ns. Readers fault on the
 * heap at 1.05 ms, meet the heap VMA write-locked by the fork, fall back to
 * mmap_lock and sleep behind the fork's mmap_write_lock until it unlocks.
 */
import { scenarioFromObject } from '../src/scenario/index.js';

export type Extra = Record<string, string>;

/** The child's exit: do_exit 50 us + 2 VMAs x 1 us + 1 anon_vma x 2 us + 32 copied PTEs x 100 ns = 57.2 us. */
export const CHILD_EXIT: Extra = { do_exit: '50us', exit_mmap_vma: '1us', unlink_anon_vmas: '2us', exit_mmap_pte: '100ns' };

export interface ForkScenario {
  cpus: number;
  /** Costs on top of the fault's and the fork's (CHILD_EXIT for the child's exit). */
  costs: Extra;
  /** One reader thread, named `reader`. */
  reader?: boolean;
  /** That many reader threads, named `reader{i}`. */
  readers?: number;
  dupVma?: string;
  duration?: string;
}

export const forkScenario = (o: ForkScenario) => scenarioFromObject({
  name: 'fx', description: 'test', duration: o.duration ?? '3500us', warmup: '0ms', cpus: o.cpus,
  vmas: [
    { name: 'heap', kind: 'anon', write: true, pages: 64, resident: 0.5 },
    { name: 'lib', kind: 'file', shared: true, pages: 16 },
  ],
  threads: [
    { name: 'forker', think: '1ms', ops: [{ op: 'fork' }] },
    ...(o.reader ? [{ name: 'reader', think: '1050us', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } }] }] : []),
    ...(o.readers ? [{ name: 'reader{i}', count: o.readers, think: '1050us', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } }] }] : []),
  ],
  costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', dup_vma: o.dupVma ?? '1ms', copy_pte: '10ns', ...o.costs },
});
