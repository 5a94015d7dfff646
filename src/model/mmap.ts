/** mm/mmap.c: dup_mmap (fork) and exit_mmap. */
import { cpu, cpu_plus, CpuStep, type CpuEffect, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { flush_tlb_mm_range } from './tlb.js';
import { VM_COPY_ON_FORK, VM_DONTCOPY, VM_UFFD_MISSING, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_lock_killable, mmap_write_unlock, PT } from './mmap_lock.js';
import { vma_mark_detached, vma_start_write_killable } from './vma_lock.js';
import { vm_area_dup_to, vm_area_free } from './vma.js';
import { anon_rmap_dup, anon_rmap_zap, anon_vma_fork, unlink_anon_vmas } from './rmap.js';
import { free_all_pgtables, populate_pgtables } from './pgtable.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { set_mmf_oom_skip, vma_oom_reaped } from './oom_kill.js';
import { current, fatal_signal_pending, sched_points } from './sched.js';
import { EINTR } from './signal.js';

/** mm/memory.c vma_needs_copy: copy_page_range only when it has work to do. */
export function vma_needs_copy(vma: VmAreaStruct): boolean {
  if (vma.vm_flags & VM_COPY_ON_FORK) return true;
  return vma.anon_vma !== null;
}

/**
 * The present PTEs of `mpnt` that copy_pte_range copies (and the child's
 * zap_pte_range zaps): the scenario's `resident` share, plus every PTE an
 * anonymous fault has mapped since the VMA was created
 * (vma.anon_ptes_mapped: do_anonymous_page, do_swap_page, do_cow_fault,
 * UFFDIO_COPY), at most one per page. A fault's page state is drawn per fault
 * ("zero": not present), so each such fault adds a present PTE, as the
 * generator's zero faults on pages never touched do: copy_present_ptes then
 * copies it at every later fork (docs/calibration.md "The fork's spread").
 * Zaps (MADV_DONTNEED, munmap) do not lower the count (docs/fidelity.md).
 */
export function present_ptes(mpnt: VmAreaStruct): number {
  return Math.min(mpnt.pages, Math.round(mpnt.pages * mpnt.resident) + mpnt.anon_ptes_mapped);
}

/** PTRS_PER_PTE (x86-64, arm64 4K): the entries of one PTE table. */
const PTRS_PER_PTE = 512;

/**
 * copy_page_range (mm/memory.c) of one parent VMA, its CPU by page-table
 * kind, in one step:
 * - copy_pte (per present PTE: copy_present_ptes -> folio_try_dup_anon_rmap_ptes
 *   or folio_dup_file_rmap_ptes, folio_ref_add, set_ptes in the child): the
 *   scenario's `resident` share and the PTEs anonymous faults mapped since
 *   (present_ptes);
 * - copy_pte_range (per populated PTE table: copy_pmd_range skips pmd_none
 *   ranges; copy_pte_range allocates the child's table, takes both PTLs and
 *   scans the entries, pte_none ones skipped): the PTE tables the VMA spans
 *   (by its addresses, PTRS_PER_PTE pages each), at most one per populated
 *   page, and a table the previous copied VMA already counted is not counted
 *   again (the child's table exists then; that VMA's own walk of it is in
 *   anon_vma_fork's per-VMA part);
 * - wrprotect_pte (per anonymous PTE still writable, vma.anon_ptes_writable:
 *   __copy_present_ptes write-protects it in the parent, is_cow_mapping &&
 *   pte_write, and folio_try_dup_anon_rmap_ptes clears PageAnonExclusive).
 *   After the copy every PTE of the parent is write-protected: the count
 *   starts again from 0;
 * - copy_file_pte (per present file PTE of a copied file VMA, its `resident`
 *   share, on top of copy_pte: copy_present_ptes on a file folio,
 *   folio_dup_file_rmap_ptes; the private copies do_cow_fault mapped are
 *   anonymous);
 * - copy_pte_after_sleep (per present PTE, `walk.refill` units of it: the
 *   lines copy_pte_range and copy_present_ptes read, refilled when the mm's
 *   tables were last walked long ago: copy_pte is fitted back to back).
 * The last three cost 0 unless a cost profile sets them.
 */
function copy_page_range_cpu(mpnt: VmAreaStruct, walk: ForkWalk): CpuEffect {
  const present = present_ptes(mpnt);
  const files = mpnt.vm_file ? Math.round(mpnt.pages * mpnt.resident) : 0;
  const populated = present;
  let tables = 0;
  if (populated > 0) {
    const first = Math.floor(mpnt.vm_start / PTRS_PER_PTE), last = Math.floor((mpnt.vm_end - 1) / PTRS_PER_PTE);
    tables = Math.min(populated, last - first + 1 - (first === walk.lastTable ? 1 : 0));
    walk.lastTable = last;
  }
  const writable = Math.min(mpnt.anon_ptes_writable, mpnt.pages);
  mpnt.anon_ptes_writable = 0;
  const refill = walk.refill > 0 ? Math.round(present * walk.refill) : 0;
  // cpu_plus(Cost.copy_pte, present, [Cost.copy_pte_range, tables, Cost.wrprotect_pte, writable, Cost.copy_file_pte, files, Cost.copy_pte_after_sleep, refill])
  return walk.step.set(present, tables, writable, files, refill);
}

/**
 * One dup_mmap's walk: the child's last PTE table allocated
 * (copy_page_range_cpu), and the copy's CPU step, one effect reused for every
 * VMA (model-only: fewer allocations per fork).
 */
interface ForkWalk {
  lastTable: number;
  readonly step: CpuStep;
  /** Units of Cost.copy_pte_after_sleep per present PTE (dup_mmap's `refill`). */
  readonly refill: number;
}

/** vm_area_dup + anon_vma_fork of a VMA with an anon_vma (dup_mmap). */
const DUP_VMA_ANON = cpu_plus(Cost.dup_vma, 1, [Cost.anon_vma_fork, 1]);

/**
 * dup_mmap: mmap_write_lock_killable(oldmm) for the whole copy; for each parent
 * VMA in address order, vma_start_write_killable (if the fork strategy says so,
 * mainline: always, fb49c455323f, 7974b09c143f), vm_area_dup + anon_vma_fork,
 * and copy_page_range when vma_needs_copy (the fork strategy's needs_copy:
 * Yang Shi's literal rule copies only with an anon_vma). Returns 0, or
 * -EINTR when a fatal signal interrupts it (goto loop_out).
 *
 * With `dup_mm` (the checker's fork: kernel/fork.c dup_mm's allocate_mm and
 * mm_init, called here once the parent's lock is held, which no other task
 * can tell apart from before it), the child is built as the kernel builds it: per copied VMA, `tmp =
 * vm_area_dup(mpnt); tmp->vm_mm = mm`, anon_vma_fork(tmp, mpnt) (rmap.ts:
 * the child's VMA joins the parent's anon_vma chain, and gets its own
 * anon_vma or reuses an idle one), vma_iter_bulk_store + map_count++, and
 * copy_page_range gives it the parent's page tables and anonymous folios.
 * The child's own mmap_write_lock_nested is not taken: nothing but an rmap
 * walk (which takes no mmap_lock) reaches the child before fork returns.
 * Without `dup_mm` (the simulator) no child is built: its CPU is the same
 * (Cost.dup_vma, Cost.anon_vma_fork per VMA) and nothing runs on it
 * (docs/fidelity.md, "fork").
 *
 * `refill`: copy_page_range's walk over lines that are not in the CPU's
 * caches, in units of Cost.copy_pte_after_sleep per present PTE copied
 * (copy_page_range_cpu; the simulator chooses the units from the time since
 * the mm's last fork, src/sim/fork-walk.ts); 0 (the checker, and a
 * simulator without that cost): nothing more is charged.
 */
export function* dup_mmap(oldmm: MmStruct, dup_mm: (() => MmStruct) | null = null, refill = 0): KPath<number> {
  if ((yield* mmap_write_lock_killable(oldmm)) < 0) return -EINTR;
  const mm = dup_mm !== null ? dup_mm() : null; // the caller's allocate_mm + mm_init, private to this task until fork returns
  let retval = 0;
  const vmas = oldmm.vmas.slice(); // for_each_vma(vmi, mpnt)
  const walk: ForkWalk = { lastTable: -1, step: new CpuStep(Cost.copy_pte, [Cost.copy_pte_range, Cost.wrprotect_pte, Cost.copy_file_pte, Cost.copy_pte_after_sleep]), refill };
  for (let i = 0; i < vmas.length; i++) {
    // Live at each VMA: oldmm (the argument), vmas, i, walk.lastTable and
    // retval (0 here: the loop breaks on an error); every value read for the
    // VMAs before is dead (walk.step is a reused CPU effect, written before
    // each yield).
    if (hooks_on) hooks.frame?.('dup_mmap_vma', [i, walk.lastTable, mm, ...vmas]); // model-only hook
    const mpnt = vmas[i]!;
    const lock = oldmm.fork.lock_vma(mpnt);
    if (lock && !fault_inject.dup_mmap_skip_vma_start_write) {
      const r = vma_start_write_killable(mpnt);
      if ((typeof r === 'number' ? r : yield* r) < 0) {
        retval = -EINTR;
        break; // goto loop_out
      }
    }
    if (mpnt.vm_flags & VM_DONTCOPY) continue;
    if (fatal_signal_pending(current)) { // "Don't duplicate many vmas if we've been oom-killed"
      retval = -EINTR;
      break;
    }
    hooks.anon_vma_fork(mpnt); // model-only hook: the child's anon_vma
    let tmp: VmAreaStruct | null = null;
    if (mm !== null) {
      tmp = vm_area_dup_to(mpnt, mm); // tmp = vm_area_dup(mpnt); tmp->vm_mm = mm
      tmp.vm_flags &= ~VM_UFFD_MISSING; // dup_userfaultfd: no UFFD_FEATURE_EVENT_FORK, so userfaultfd_reset_ctx(tmp)
      yield* anon_vma_fork(tmp, mpnt); // VM_WIPEONFORK is not modelled
      mm.link(tmp); // vma_iter_bulk_store(&vmi, tmp); mm->map_count++
    }
    // Live here: oldmm, vmas, i, walk.lastTable, retval (0), mm, lock (pt_update_begin's) and tmp (the
    // child's VMA); what vma_start_write_killable and anon_vma_fork read is dead.
    if (hooks_on) hooks.frame?.('dup_mmap_dup', [i, walk.lastTable, mm, lock, tmp, ...vmas]); // model-only hook
    // vm_area_dup; anon_vma_fork (mm/rmap.c: returns at once without an anon_vma) and,
    // folded into the same cost, copy_page_range's per-VMA fixed part (Cost.anon_vma_fork).
    yield mpnt.anon_vma !== null ? DUP_VMA_ANON : cpu(Cost.dup_vma);
    const copy = oldmm.fork.needs_copy(mpnt); // copy_page_range: if (!vma_needs_copy(dst_vma, src_vma)) return 0;
    hooks.dup_mmap_copy(mpnt, copy); // model-only hook: does the child get every page table it needs?
    if (copy) {
      hooks.pt_update_begin(mpnt, 'copy_page_range', lock); // model-only hook
      if (tmp !== null) {
        populate_pgtables(tmp.mm, tmp.vm_start, tmp.vm_end); // copy_pte_range: the child's tables (pte_alloc_map_lock)
        anon_rmap_dup(tmp, mpnt); // copy_present_ptes -> folio_try_dup_anon_rmap_ptes
      }
      // Live here: oldmm, vmas, i, walk.lastTable, retval (0) and mm; lock and tmp are dead.
      if (hooks_on) hooks.frame?.('dup_mmap_copy', [i, walk.lastTable, mm, ...vmas]); // model-only hook
      yield copy_page_range_cpu(mpnt, walk);
      hooks.pt_update_end(mpnt, 'copy_page_range');
    }
  }
  if (hooks_on) hooks.frame?.('dup_mmap_end', [retval]); // model-only hook: live is retval (and oldmm)
  if (sched_points) yield PT.flush_tlb_mm;
  const flush = flush_tlb_mm_range(); // flush_tlb_mm(oldmm): the parent's PTEs were write-protected
  if (flush !== null) yield flush;
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(oldmm);
  return retval;
}

/**
 * The CPU of a forked child that exits at once (the `fork` op's child,
 * `exit_group(0)`), in one step: kernel/exit.c do_exit (Cost.do_exit) with
 * exit_mm -> mmput -> mm/mmap.c exit_mmap of the copied mm: unmap_vmas and
 * free_pgtables / remove_vma for every VMA dup_mmap gave the child
 * (Cost.exit_mmap_vma; not the VM_DONTCOPY ones), unlink_anon_vmas for those
 * with an anon_vma (Cost.unlink_anon_vmas), and zap_present_ptes for each
 * PTE copy_page_range copied (Cost.exit_mmap_pte: the `resident` share of
 * the VMAs that vma_needs_copy copies, present_ptes as copy_page_range_cpu counts them).
 * The simulator builds no child mm (dup_mmap without dup_mm), so this reads
 * the parent's VMAs right after dup_mmap (the caller yields it before any other task runs, and only
 * when one of the four costs is set).
 */
export function fork_child_exit_cpu(oldmm: MmStruct): CpuEffect {
  let vmas = 0, anon = 0, ptes = 0;
  for (const mpnt of oldmm.vmas) {
    if (mpnt.vm_flags & VM_DONTCOPY) continue;
    vmas++;
    if (mpnt.anon_vma !== null) anon++;
    if (oldmm.fork.needs_copy(mpnt)) ptes += present_ptes(mpnt);
  }
  return cpu_plus(Cost.do_exit, 1, [Cost.exit_mmap_vma, vmas, Cost.unlink_anon_vmas, anon, Cost.exit_mmap_pte, ptes]);
}

/**
 * exit_mmap after the last thread left (mm_users == 0): unmap_vmas under
 * mmap read (pages the OOM reaper already unmapped cost nothing), set
 * MMF_OOM_SKIP, then free page tables and VMAs under mmap write.
 */
export function* exit_mmap(mm: MmStruct): KPath {
  yield* mmap_read_lock(mm);
  for (const vma of mm.vmas) {
    if (!vma_oom_reaped(vma)) yield cpu(Cost.zap_pte, Math.round(vma.pages * vma.resident));
  }
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  set_mmf_oom_skip(mm);
  yield* mmap_write_lock(mm);
  yield cpu(Cost.exit_vma, mm.vmas.length); // free_pgtables + remove_vma
  free_all_pgtables(mm); // free_pgtables(&tlb, &vmi.mas, vma, FIRST_USER_ADDRESS, USER_PGTABLES_CEILING, true)
  for (const vma of mm.vmas.slice()) { // exit_mmap: free_pgtables (unlink_anon_vmas), vma_mark_detached + remove_vma -> vm_area_free, each VMA
    anon_rmap_zap(vma); // unmap_vmas zapped the PTEs above
    yield* unlink_anon_vmas(vma);
    yield* vma_mark_detached(vma);
    mm.unlink(vma);
    vm_area_free(vma);
  }
  mm.mm_mt.destroy(); // __mt_destroy
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
}
