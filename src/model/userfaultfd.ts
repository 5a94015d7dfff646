/**
 * userfaultfd's ioctls under per-VMA locks (mm/userfaultfd.c, 867a43a34ff8
 * "userfaultfd: use per-vma locks in userfaultfd operations", v6.9):
 * UFFDIO_COPY (mfill_atomic -> mfill_atomic_pte_copy) into one page of a
 * private VMA, and UFFDIO_MOVE (move_pages -> move_pages_pte ->
 * move_present_pte) of one anonymous page between two VMAs of one mm. The
 * checker runs them (check ops `uffdio_copy`, `uffdio_move`); the simulator
 * has no userfaultfd. What is left out is in docs/fidelity.md
 * ("userfaultfd").
 */
import { cpu, point, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { VM_EXEC, VM_READ, VM_WRITE, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { mmap_read_lock, mmap_read_unlock, PT } from './mmap_lock.js';
import { lock_vma_under_rcu, lock_vma_under_rcu_steps, vma_end_read, vma_start_read_locked } from './vma_lock.js';
import { __anon_vma_prepare, anon_vma_lock_write, anon_vma_unlock_write, folio_move_anon_rmap, folio_add_new_anon_rmap } from './rmap.js';
import { folio_alloc_mpol } from './mempolicy.js';
import { anon_charge_and_add } from './memcontrol.js';
import { folio_add_lru } from './swap.js';
import { pte_alloc, pte_offset_map_lock } from './pgtable.js';
import { flush_tlb_mm_range } from './tlb.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { sched_points } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';
import { UFPT, wake_userfault } from './userfaultfd_fs.js';

/** Scheduling points of the userfaultfd paths. */
const UPT = {
  install_pte: point('mfill_atomic_install_pte: pte_offset_map_lock(dst_mm, dst_pmd, dst_addr, &ptl)'),
  move_pages_pte: point('move_pages_pte: pte_offset_map_nolock(src), pte_offset_map_nolock(dst), spin_lock(src_ptl)'),
};

/** The ioctls' error returns the model can reach. */
export const ENOENT = 2, EEXIST = 17, EINVAL = 22;

/**
 * find_vma_and_prepare_anon (mm/userfaultfd.c), mmap_lock held:
 * vma_lookup, and for a private VMA anon_vma_prepare. Null: -ENOENT.
 */
function* find_vma_and_prepare_anon(mm: MmStruct, addr: number): KPath<VmAreaStruct | null> {
  const vma = mm.find_vma(addr); // vma_lookup
  if (vma === null) return null;
  if (!vma.vm_shared && vma.anon_vma === null) {
    yield cpu(Cost.anon_vma_prepare);
    yield* __anon_vma_prepare(vma); // anon_vma_prepare (rmap.ts; hook anon_vma_prepare: I6, mmap_lock held)
    count_vm_event(VmEvent.ANON_VMA_PREPARE);
  }
  return vma;
}

/** lock_vma_under_rcu, as the fault path calls it: the kernel's steps under the checker. */
function* lock_vma_rcu(mm: MmStruct, addr: number): KPath<VmAreaStruct | null> {
  if (!sched_points) return lock_vma_under_rcu(mm, addr);
  yield PT.lock_vma_under_rcu;
  return yield* lock_vma_under_rcu_steps(mm, addr);
}

/**
 * uffd_lock_vma (mm/userfaultfd.c): lock_vma_under_rcu; a private VMA
 * without an anon_vma is given up (vma_end_read: "We know we're going to
 * need to use anon_vma, so check that early"); then the fallback:
 * mmap_read_lock, find_vma_and_prepare_anon, vma_start_read_locked (which
 * cannot fail under mmap_lock in the model: no vm_refcnt overflow),
 * mmap_read_unlock. Returns the VMA read-locked, or null (-ENOENT) with no
 * lock held.
 */
export function* uffd_lock_vma(mm: MmStruct, addr: number): KPath<VmAreaStruct | null> {
  const vma = yield* lock_vma_rcu(mm, addr);
  if (vma !== null) {
    if (vma.vm_shared || vma.anon_vma !== null) return vma;
    if (sched_points) yield PT.vma_end_read;
    vma_end_read(vma);
  }
  yield* mmap_read_lock(mm);
  const v = yield* find_vma_and_prepare_anon(mm, addr);
  if (v !== null) vma_start_read_locked(v);
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return v;
}

/**
 * uffd_mfill_lock: uffd_lock_vma, then validate_dst_vma (the page lies
 * inside the VMA; the model counts every VMA as registered with the
 * userfaultfd context: vm_userfaultfd_ctx is not modelled).
 */
function* uffd_mfill_lock(mm: MmStruct, dst: number): KPath<VmAreaStruct | null> {
  return yield* uffd_lock_vma(mm, dst); // validate_dst_vma: [dst, dst + PAGE_SIZE) is inside the VMA uffd_lock_vma found at dst
}

/**
 * ioctl(UFFDIO_COPY) of one page to `dst` (mfill_atomic, mode
 * MFILL_ATOMIC_COPY): uffd_mfill_lock; mfill_atomic_pte_copy with the
 * anonymous ops for a private VMA (a private file VMA gets anonymous memory,
 * as a COW fault would): alloc_folio (policy, memcg charge),
 * mfill_copy_folio_locked (copy_from_user with page faults disabled: the
 * source is always readable here, so the retry outside the lock,
 * mfill_copy_folio_retry, never runs), mfill_establish_pmd (__pte_alloc),
 * mfill_atomic_install_pte under the PTL (-EEXIST over a swap entry or a
 * present PTE the model tracks: `anon_present`, kept in VMAs registered for
 * missing userfaults and by these ioctls; a present page the model does not
 * track is installed over), uffd_mfill_unlock (vma_end_read). Returns 0 or
 * -errno. No CPU cost is charged for the copy (only the checker runs
 * userfaultfd).
 */
export function* mfill_atomic_copy(mm: MmStruct, dst: number): KPath<number> {
  return yield* mfill_atomic(mm, dst, false);
}

/**
 * ioctl(UFFDIO_ZEROPAGE)'s mfill_atomic_zeropage of one page to `dst` (mode
 * MFILL_ATOMIC_ZEROPAGE): uffd_mfill_lock as UFFDIO_COPY (it prepares the
 * anon_vma too); mfill_atomic_pte_zeropage: mfill_establish_pmd, then under
 * the PTL the zero page's special PTE (-EEXIST unless pte_none); no folio,
 * no rmap. Returns 0 or -errno.
 */
export function* mfill_atomic_zeropage(mm: MmStruct, dst: number): KPath<number> {
  return yield* mfill_atomic(mm, dst, true);
}

/** mfill_atomic (mm/userfaultfd.c) of one page, MFILL_ATOMIC_COPY or MFILL_ATOMIC_ZEROPAGE. */
function* mfill_atomic(mm: MmStruct, dst: number, zeropage: boolean): KPath<number> {
  const vma = yield* uffd_mfill_lock(mm, dst);
  if (vma === null) return -ENOENT;
  if (vma.vm_shared) { // shmem_mfill_atomic_pte (shared memory) is not modelled: the scenario loader refuses it
    if (sched_points) yield PT.vma_end_read;
    vma_end_read(vma);
    return -EINVAL;
  }
  hooks.vma_use(vma, mm, dst, 'mfill_atomic'); // model-only hook
  const pgoff = vma.pgoff_of(dst);
  if (!zeropage) {
    // anon_uffd_ops.alloc_folio: vma_alloc_folio (its policy), mem_cgroup_charge
    if (vma.vm_policy !== null) yield* folio_alloc_mpol(vma.vm_policy);
    if (mm.memory !== null) yield* anon_charge_and_add(mm, vma, pgoff);
  }
  const pt = hooks_on ? pte_alloc(mm, dst) : null; // mfill_establish_pmd: mm_alloc_pmd, __pte_alloc
  if (sched_points) yield UPT.install_pte;
  let ret = 0;
  if (vma.swapped.has(pgoff) || vma.anon_present.has(pgoff)) ret = -EEXIST; // !pte_none(ptep_get(dst_pte))
  else if (!pte_offset_map_lock(mm, pt, dst)) ret = -EINVAL; // (pmd changed: the model's khugepaged only retracts file tables)
  else if (zeropage) {
    // mfill_atomic_pte_zeropage: set_pte_at(dst_vma->vm_mm, dst_addr, dst_pte, pte_mkspecial(zero pfn))
    vma.anon_present.add(pgoff);
    vma.anon_ptes_mapped++; // model-only (tlb.ts)
    if (hooks_on) hooks.set_pte_at(vma, pgoff, 'zero'); // model-only hook
  } else {
    const drain = folio_add_lru(); // folio_add_new_anon_rmap + folio_add_lru_vma
    if (drain !== null) yield drain;
    folio_add_new_anon_rmap(vma); // folio->mapping = vma->anon_vma (model-only bookkeeping, rmap.ts)
    vma.anon_present.add(pgoff);
    vma.anon_ptes_mapped++; // model-only (tlb.ts)
    if ((vma.vm_flags & VM_WRITE) !== 0) vma.anon_ptes_writable++; // pte_mkwrite: a writable, exclusive anonymous PTE
    if (hooks_on) hooks.set_pte_at(vma, pgoff, 'anon'); // model-only hook: set_pte_at(dst_mm, dst_addr, dst_pte, _dst_pte)
  }
  if (sched_points) yield PT.vma_end_read;
  vma_end_read(vma); // mfill_put_vma -> uffd_mfill_unlock
  return ret;
}

/**
 * userfaultfd_copy / userfaultfd_zeropage (fs/userfaultfd.c) of one page:
 * mfill_atomic_copy or mfill_atomic_zeropage, then, when it filled the
 * page, wake_userfault of the range (no UFFDIO_COPY_MODE_DONTWAKE), with
 * no lock held. The mmap_changing check (-EAGAIN) is not modelled.
 */
export function* userfaultfd_copy(mm: MmStruct, dst: number, zeropage = false): KPath<number> {
  const ret = yield* mfill_atomic(mm, dst, zeropage);
  if (ret < 0) return ret;
  if (sched_points) yield UFPT.wake_userfault;
  wake_userfault(mm, dst, 1); // range.start = dst, range.len = ret (one page)
  return 0;
}

/** Both VMAs of a UFFDIO_MOVE, read-locked (the same object twice when both pages lie in one VMA). */
export interface UffdMoveVmas {
  readonly dst: VmAreaStruct;
  readonly src: VmAreaStruct;
}

/**
 * uffd_move_lock (mm/userfaultfd.c, CONFIG_PER_VMA_LOCK): the destination
 * with uffd_lock_vma (it needs an anon_vma); the source, when it is
 * another VMA, with lock_vma_under_rcu only ("Using uffd_lock_vma() to get
 * src_vma can lead to following deadlock": its fallback would take
 * mmap_lock under the destination's VMA lock); if that fails, vma_end_read
 * of the destination, then mmap_read_lock, find_vmas_mm_locked, both
 * vma_start_read_locked (the second _nested), mmap_read_unlock. With
 * `--inject uffd-move-lock-src-fallback` the source is locked with
 * uffd_lock_vma while the destination is held (the linux-next version
 * syzbot reported, "possible deadlock in lock_vma").
 */
export function* uffd_move_lock(mm: MmStruct, dst: number, src: number): KPath<UffdMoveVmas | null> {
  const dv = yield* uffd_lock_vma(mm, dst);
  if (dv === null) return null;
  // "Skip finding src_vma if src_start is in dst_vma. This also ensures that we don't lock the same vma twice."
  if (src >= dv.vm_start && src < dv.vm_end) return { dst: dv, src: dv };
  if (fault_inject.uffd_move_lock_src_fallback) {
    // Before the fix: lock_vma(mm, src_start) -> mmap_read_lock(mm) with dst_vma read-locked.
    const sv = yield* uffd_lock_vma(mm, src);
    if (sv !== null) return { dst: dv, src: sv };
    if (sched_points) yield PT.vma_end_read;
    vma_end_read(dv);
    return null;
  }
  const sv = yield* lock_vma_rcu(mm, src);
  if (sv !== null) return { dst: dv, src: sv };
  // "Undo any locking and retry in mmap_lock critical section"
  if (sched_points) yield PT.vma_end_read;
  vma_end_read(dv);
  yield* mmap_read_lock(mm);
  let out: UffdMoveVmas | null = null;
  const d = yield* find_vma_and_prepare_anon(mm, dst); // find_vmas_mm_locked
  const s = d === null ? null : src >= d.vm_start && src < d.vm_end ? d : mm.find_vma(src); // vma_lookup(mm, src_start)
  if (d !== null && s !== null) {
    vma_start_read_locked(d);
    if (s !== d) vma_start_read_locked(s); // vma_start_read_locked_nested(*src_vmap, SINGLE_DEPTH_NESTING)
    out = { dst: d, src: s };
  }
  if (sched_points) yield PT.mmap_read_unlock;
  mmap_read_unlock(mm);
  return out;
}

/** uffd_move_unlock: vma_end_read of the source, then of the destination if it is another VMA. */
function* uffd_move_unlock(v: UffdMoveVmas): KPath {
  if (sched_points) yield PT.vma_end_read;
  vma_end_read(v.src);
  if (v.dst !== v.src) vma_end_read(v.dst);
}

const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

/**
 * ioctl(UFFDIO_MOVE) of the anonymous page at `src` to `dst` (move_pages,
 * one page, no UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES): uffd_move_lock;
 * validate_move_areas (both private and anonymous, the same access flags:
 * -EINVAL); move_pages_pte: both PTLs, a source hole is -ENOENT (the model:
 * the source VMA maps no anonymous folio), a non-none destination -EEXIST
 * (the model: a swap entry); move_present_pte: folio_move_anon_rmap (the
 * folio's anon_vma becomes the destination's, under the source anon_vma's
 * lock), the destination PTE set, the source PTE cleared and flushed;
 * uffd_move_unlock. Returns 0 or -errno.
 */
export function* move_pages(mm: MmStruct, dst: number, src: number): KPath<number> {
  const v = yield* uffd_move_lock(mm, dst, src);
  if (v === null) return -ENOENT;
  const { dst: dv, src: sv } = v;
  let ret = 0;
  if (dv.vm_file || sv.vm_file || dv.vm_shared || sv.vm_shared || ((dv.vm_flags ^ sv.vm_flags) & VM_ACCESS_FLAGS) !== 0) {
    ret = -EINVAL; // validate_move_areas / "Only allow moving if both have the same access and protection"
  } else {
    hooks.vma_use(dv, mm, dst, 'move_pages'); // model-only hooks: both VMAs are the ones looked up
    hooks.vma_use(sv, mm, src, 'move_pages');
    const dpt = hooks_on ? pte_alloc(mm, dst) : null; // move_pages: mm_alloc_pmd(dst), __pte_alloc
    const spt = hooks_on ? pte_alloc(mm, src) : null; // mm_find_pmd(src): the source has a table if it maps a folio
    if (sched_points) yield UPT.move_pages_pte;
    const spgoff = sv.pgoff_of(src), dpgoff = dv.pgoff_of(dst);
    const av = sv.folio_anon_vmas[0] ?? null; // the folio at src (model-only: the one the source VMA maps, rmap_walk.ts anon_folio_at)
    if (av === null || sv.swapped.has(spgoff)) ret = -ENOENT; // pte_none(orig_src_pte) (a swap entry moves by move_swap_pte: not modelled)
    else if (dv.swapped.has(dpgoff) || dv.anon_present.has(dpgoff)) ret = -EEXIST; // !pte_none(orig_dst_pte)
    else {
      // move_pages_pte: folio_lock, folio_get_anon_vma; anon_vma_lock_write(src_anon_vma)
      // sleeps, so it is taken with the PTLs dropped and the PTEs re-checked under them after
      yield* anon_vma_lock_write(av, mm, 'anon_vma_lock_write in move_pages_pte');
      if (!pte_offset_map_lock(mm, dpt, dst) || !pte_offset_map_lock(mm, spt, src)) ret = -EINVAL; // (a pmd changed: not reached in the model)
      else {
        folio_move_anon_rmap(dv, av); // move_present_pte
        if (sv.anon_ptes_mapped > 0) sv.anon_ptes_mapped--; // ptep_clear_flush(src_vma, src_addr, src_pte) (a resident page of the scenario is not counted there)
        if (sv.anon_ptes_writable > 0) sv.anon_ptes_writable--;
        sv.anon_present.delete(spgoff);
        dv.anon_present.add(dpgoff);
        dv.anon_ptes_mapped++; // set_pte_at(mm, dst_addr, dst_pte, orig_dst_pte)
        if ((dv.vm_flags & VM_WRITE) !== 0) dv.anon_ptes_writable++;
        if (hooks_on) {
          hooks.set_pte_at(sv, spgoff, 'none'); // model-only hooks
          hooks.set_pte_at(dv, dpgoff, 'anon');
        }
        const flush = flush_tlb_mm_range(true); // ptep_clear_flush of the source PTE
        if (flush !== null) yield flush;
      }
      anon_vma_unlock_write(av); // move_pages_pte: anon_vma_unlock_write(src_anon_vma)
    }
  }
  yield* uffd_move_unlock(v);
  return ret;
}

/**
 * userfaultfd_move (fs/userfaultfd.c) of one page: move_pages, then, when
 * it moved the page, wake_userfault of the destination range (no
 * UFFDIO_MOVE_MODE_DONTWAKE). mmap_changing (-EAGAIN) is not modelled.
 */
export function* userfaultfd_move(mm: MmStruct, dst: number, src: number): KPath<number> {
  const ret = yield* move_pages(mm, dst, src);
  if (ret < 0) return ret;
  if (sched_points) yield UFPT.wake_userfault;
  wake_userfault(mm, dst, 1); // range.start = uffdio_move.dst
  return 0;
}
