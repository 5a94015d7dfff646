/**
 * The two reference counts of `struct mm_struct` (include/linux/sched/mm.h,
 * kernel/fork.c): mm_count pins the mm_struct itself (mmgrab / mmdrop: the
 * last mmdrop frees it, __mmdrop), mm_users pins the address space (mmget /
 * mmput: the last mmput tears it down, __mmput -> exit_mmap, then drops the
 * one mm_count reference the users hold together). A task exits its mm with
 * exit_mm -> mmput (kernel/exit.c).
 *
 * `MmStruct.freed` is model-only: the object went back to mm_cachep. A path
 * that touches a freed mm reports it through hook `mm_use` (the checker's
 * use-after-free invariant).
 */
import type { KPath } from './effects.js';
import type { MmStruct } from './mm_types.js';
import { hooks } from './custom.js';
import { exit_mmap } from './mmap.js';

/** mmgrab: mm_count++ (the caller keeps the mm_struct, not the address space). */
export function mmgrab(mm: MmStruct): void {
  hooks.mm_use(mm, 'mmgrab'); // model-only hook
  mm.mm_count++;
}

/** mmdrop: mm_count--; the last reference frees the mm_struct (__mmdrop -> free_mm). */
export function mmdrop(mm: MmStruct): void {
  hooks.mm_use(mm, 'mmdrop'); // model-only hook
  if (mm.mm_count <= 0) throw new Error(`mmdrop(${mm.comm}): mm_count is already 0`);
  if (--mm.mm_count === 0) {
    mm.freed = true; // __mmdrop: mm_free_pgd, destroy_context, free_mm
    hooks.mm_free(mm); // model-only hook
  }
}

/** mmget: mm_users++ (the caller may use the address space). */
export function mmget(mm: MmStruct): void {
  hooks.mm_use(mm, 'mmget'); // model-only hook
  mm.mm_users++;
}

/**
 * mmput: mm_users--; the last user runs __mmput: exit_mmap (unmap and free
 * every VMA and the page tables), then mmdrop of the users' mm_count
 * reference (which frees the mm unless someone mmgrab'ed it).
 */
export function* mmput(mm: MmStruct): KPath {
  hooks.mm_use(mm, 'mmput'); // model-only hook
  if (mm.mm_users <= 0) throw new Error(`mmput(${mm.comm}): mm_users is already 0`);
  if (--mm.mm_users !== 0) return;
  yield* exit_mmap(mm); // __mmput
  mmdrop(mm);
}

/** exit_mm (kernel/exit.c): the exiting task leaves its mm (current->mm = NULL), then mmput. */
export function* exit_mm(mm: MmStruct): KPath {
  yield* mmput(mm);
}
