/**
 * mm/oom_kill.c: reaping a dying process's memory before it has exited --
 * the OOM reaper kthread (oom_reap_task, mmap_read_trylock) and
 * process_mrelease(2) (mmap_read_lock_killable, called by Android's lmkd).
 * Both unmap only private or anonymous VMAs (__oom_reap_task_mm); shared file
 * mappings are left to exit_mmap.
 *
 * Model-only state, kept beside the mm rather than in it: MMF_OOM_SKIP (set
 * by exit_mmap, or by the reaper when it gives up) and which VMAs were
 * reaped (their page tables are empty, so exit_mmap's unmap costs nothing).
 */
import { cpu, sleep, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { VM_PFNMAP, VM_SHARED, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { mmap_read_lock_killable, mmap_read_trylock, mmap_read_unlock, PT } from './mmap_lock.js';
import { sched_points } from './sched.js';
import { EINTR } from './signal.js';

/** mm/oom_kill.c MAX_OOM_REAP_RETRIES */
export const MAX_OOM_REAP_RETRIES = 10;
/** schedule_timeout_idle(HZ/10) between the reaper's attempts, in ns (locking.md §4.1: interval UNVERIFIED). */
export const OOM_REAP_RETRY_NS = 100_000_000;

/** Outcome of a reap attempt: the anonymous memory was unmapped; exit_mmap had taken over (MMF_OOM_SKIP); the trylock failed every time. */
export const OOM_REAPED = 1, OOM_SKIPPED = 2, OOM_REAP_FAILED = 0;

const oomSkip = new WeakSet<MmStruct>();
const reaped = new WeakSet<VmAreaStruct>();

/** set_bit(MMF_OOM_SKIP, &mm->flags) */
export function set_mmf_oom_skip(mm: MmStruct): void {
  oomSkip.add(mm);
}
/** test_bit(MMF_OOM_SKIP, &mm->flags) */
export function test_mmf_oom_skip(mm: MmStruct): boolean {
  return oomSkip.has(mm);
}
/** Model-only: the reaper already unmapped this VMA's pages. */
export function vma_oom_reaped(vma: VmAreaStruct): boolean {
  return reaped.has(vma);
}

/** Model-only: clear MMF_OOM_SKIP of an mm, or the reaped mark of a VMA, as for a fresh object (the checker reuses its initial objects: src/check/world.ts). */
export function oom_state_reset(o: MmStruct | VmAreaStruct): void {
  oomSkip.delete(o as MmStruct);
  reaped.delete(o as VmAreaStruct);
}

/**
 * __oom_reap_task_mm: for each VMA, skip VM_HUGETLB | VM_PFNMAP (no hugetlb
 * in the model); unmap_page_range the anonymous and the private ones. The
 * caller holds mmap_lock for read.
 */
export function* __oom_reap_task_mm(mm: MmStruct): KPath {
  for (const vma of mm.vmas.slice()) {
    if ((vma.vm_flags & VM_PFNMAP) !== 0) continue;
    if (!(!vma.vm_file || (vma.vm_flags & VM_SHARED) === 0) || reaped.has(vma)) continue;
    yield cpu(Cost.zap_pte, Math.round(vma.pages * vma.resident));
    reaped.add(vma);
  }
}

/**
 * oom_reap_task_mm: one attempt. mmap_read_trylock (it fails whenever a
 * writer holds or waits: rule R3); skip an mm exit_mmap has taken over
 * (MMF_OOM_SKIP). Returns OOM_REAPED, OOM_SKIPPED, or OOM_REAP_FAILED when
 * the trylock failed.
 */
export function* oom_reap_task_mm(mm: MmStruct): KPath<number> {
  if (sched_points) yield PT.mmap_read_trylock;
  if (!mmap_read_trylock(mm)) return OOM_REAP_FAILED; // trace_skip_task_reaping
  const skip = test_mmf_oom_skip(mm);
  if (!skip) yield* __oom_reap_task_mm(mm);
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return skip ? OOM_SKIPPED : OOM_REAPED;
}

/**
 * oom_reap_task: up to MAX_OOM_REAP_RETRIES attempts, HZ/10 apart; then
 * MMF_OOM_SKIP either way. `failed` is called after each failed trylock.
 * Returns the last attempt's outcome.
 */
export function* oom_reap_task(mm: MmStruct, failed: () => void): KPath<number> {
  let attempts = 0;
  let r = OOM_REAP_FAILED;
  while (attempts++ < MAX_OOM_REAP_RETRIES) {
    r = yield* oom_reap_task_mm(mm);
    if (r !== OOM_REAP_FAILED) break;
    failed();
    if (attempts < MAX_OOM_REAP_RETRIES) yield sleep(OOM_REAP_RETRY_NS); // schedule_timeout_idle(HZ/10)
  }
  set_mmf_oom_skip(mm); // oom_reap_task: "Drop a reference taken by queue_oom_reaper" after MMF_OOM_SKIP
  return r;
}

/**
 * process_mrelease(2) once the target is dying: mmap_read_lock_killable (the
 * caller, lmkd, is not being killed, so it waits), then reap unless exit_mmap
 * has taken over. Returns OOM_REAPED, OOM_SKIPPED or -EINTR.
 */
export function* process_mrelease(mm: MmStruct): KPath<number> {
  if ((yield* mmap_read_lock_killable(mm)) < 0) return -EINTR;
  const skip = test_mmf_oom_skip(mm);
  if (!skip) yield* __oom_reap_task_mm(mm);
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return skip ? OOM_SKIPPED : OOM_REAPED;
}
