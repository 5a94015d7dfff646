/**
 * Which locks a task holds, read from the model's state at the task's own
 * events. The model has no tracepoints for VMA and folio locks (the kernel has
 * none either), but a task takes and drops locks only inside its own steps,
 * and every step that takes time ends in an event of that task (it runs,
 * queues for a CPU, blocks, or ends its op); a lock handed over by another
 * task comes with a `woken` event. So comparing the state at consecutive
 * events of a task gives exact hold intervals. Holds that begin and end in
 * one step take no simulated time and are not shown.
 */
import type { Folio, MmStruct, Task, VmAreaStruct } from '../model/index.js';

/**
 * One pass over the mm: the VMA `task` holds for read (or null), and the
 * folios it holds locked (into `out`). A full scan, cheap enough for tracing.
 */
export function scanHeld(mm: MmStruct, task: Task, out: Folio[]): VmAreaStruct | null {
  let held: VmAreaStruct | null = null;
  for (const v of mm.vmas) {
    if (held === null && v.nrReaders !== 0 && v.readers.includes(task)) held = v;
    if (v.cache.size !== 0) ownedFolios(v, task, out);
  }
  return held;
}

/** Folios of `vma`'s page/swap cache whose PG_locked `task` holds. */
export function ownedFolios(vma: VmAreaStruct, task: Task, out: Folio[]): void {
  for (const f of vma.cache.values()) if (f.owner === task) out.push(f);
}

/** VMAs write-locked in the current mmap write section (vm_lock_seq == mm_lock_seq, odd). */
export function countWriteLockedVmas(mm: MmStruct): number {
  const seq = mm.mm_lock_seq;
  if ((seq & 1) === 0) return 0;
  let n = 0;
  for (const v of mm.vmas) if (v.vm_lock_seq === seq) n++;
  return n;
}

/** A wait's blockers, each with what it does that blocks the waiter. */
export function describeBlocker(mm: MmStruct | null, res: unknown, b: Task): string {
  if (mm !== null && res === mm.mmap_lock) {
    const sem = mm.mmap_lock;
    if (sem.writer === b) return `${b.comm} (holds write)`;
    if (sem.readers.includes(b)) return `${b.comm} (holds read)`;
    return `${b.comm} (writer queued ahead)`;
  }
  const f = res as Partial<Folio>;
  if (f.lockClass === 'folio') return f.owner === 'io' ? `${b.comm} (I/O it submitted)` : `${b.comm} (holds the folio lock)`;
  return `${b.comm} (holds read)`;
}
