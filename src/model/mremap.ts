/**
 * mm/mremap.c: do_mremap, shrinking (do_vmi_munmap of the tail), expansion
 * in place (vma_merge_extend -> vma_expand), moving a VMA (move_vma:
 * copy_vma, move_page_tables, then unmapping the source) and MREMAP_FIXED
 * (mremap_to), memory-and-vma.md §F.4. Locking as in v6.12 .. v7.0.
 */
import { flush_tlb_mm_range, ptes_changed } from './tlb.js';
import { cpu, point, type KPath } from './effects.js';
import { Cost } from './cost.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { mmap_write_lock_killable, mmap_write_unlock, PT } from './mmap_lock.js';
import { vma_mark_detached, vma_start_write } from './vma_lock.js';
import { fault_inject, hooks } from './custom.js';
import { sched_points } from './sched.js';
import { free_pgtables, pmd_index, PTRS_PER_PTE } from './pgtable.js';
import { __split_vma, do_vmi_munmap, vm_area_dup, vm_area_free, VPT } from './vma.js';
import { vma_merge_new_range } from './mmap_region.js';
import { anon_rmap_move, anon_rmap_zap, anon_vma_lock_write, anon_vma_unlock_write, unlink_anon_vmas } from './rmap.js';
import { i_mmap_lock_write, i_mmap_unlock_write, unlink_file_vma } from './i_mmap.js';

/** MREMAP_MAYMOVE: the kernel may move the mapping when it cannot grow in place. */
export const MREMAP_MAYMOVE = 1;
/** MREMAP_FIXED: move to `new_addr`, unmapping what is there first (needs MREMAP_MAYMOVE). */
export const MREMAP_FIXED = 2;
/** MREMAP_DONTUNMAP: move, and leave the old range mapped (its page tables empty). */
export const MREMAP_DONTUNMAP = 4;

/**
 * mremap(addr, old_len, new_len, flags, new_addr) of the VMA containing
 * `addr` (the range must end inside it). mmap_write_lock_killable;
 * vma_lookup; then:
 * - MREMAP_FIXED or MREMAP_DONTUNMAP: mremap_to (below);
 * - the same size: nothing (returns `addr`);
 * - shrinking: do_vmi_munmap of the tail [addr + new_len, addr + old_len)
 *   with unlock (split, detach, downgrade, zap, free, mmap_read_unlock);
 * - growing, with free space after the VMA: expand in place
 *   (vma_merge_extend -> vma_merge_new_range -> vma_expand:
 *   vma_start_write(vma), vm_end moves; a next VMA the range then touches
 *   and matches is swallowed, write-locked; VM_SPECIAL: -1);
 * - else, with MREMAP_MAYMOVE: move_vma to a free range above every VMA (the
 *   model's get_unmapped_area).
 * Returns the new address, or -1 (-ENOMEM / -EFAULT / -EINVAL / -EINTR).
 */
export function* do_mremap(mm: MmStruct, addr: number, old_len: number, new_len: number, flags: number, new_addr = 0): KPath<number> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return -1;
  let ret = -1;
  const vma = mm.find_vma(addr); // vma_lookup
  if (vma !== null && vma.vm_start <= addr && addr + old_len <= vma.vm_end && new_len > 0) {
    const dontunmap = (flags & MREMAP_DONTUNMAP) !== 0;
    const next = mm.mm_mt.next(vma);
    if ((flags & MREMAP_FIXED) !== 0 || (dontunmap && new_len === old_len && (flags & MREMAP_MAYMOVE) !== 0)) {
      ret = yield* mremap_to(mm, addr, old_len, new_addr, new_len, flags);
    } else if (new_len === old_len && !dontunmap) {
      ret = addr;
    } else if (new_len < old_len && !dontunmap) {
      // "Always allow a shrinking remap": do_vmi_munmap(..., unlock = true) drops the lock,
      // unless it fails (-ENOMEM at the map_count limit): then out: unlocks.
      if ((yield* do_vmi_munmap(mm, addr + new_len, old_len - new_len, true)) !== null) return addr;
    } else if (!dontunmap && new_len > old_len && addr + old_len === vma.vm_end && (next === null || next.vm_start >= addr + new_len)) {
      // expand_vma_in_place -> vma_merge_extend: vma_merge_new_range of [vm_end, addr + new_len)
      // with prev = vma (vma_expand write-locks it, and swallows next if it then touches and matches)
      const grown = yield* vma_merge_new_range(mm, vma, next, {
        group: vma.group, vm_start: vma.vm_end, vm_end: addr + new_len, vm_flags: vma.vm_flags, vm_file: vma.vm_file,
        has_map_pages: vma.has_map_pages, resident: vma.resident, mapping: vma.cache, vm_pgoff: vma.pgoff_of(vma.vm_end),
      }, vma);
      ret = grown === null ? -1 : addr;
    } else if ((flags & MREMAP_MAYMOVE) !== 0 && !dontunmap) {
      const last = mm.vmas[mm.vmas.length - 1]!;
      ret = yield* move_vma(mm, vma, addr, old_len, new_len, last.vm_end + 1, dontunmap);
    }
  }
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return ret;
}

/**
 * mremap_to (mm/mremap.c), under the write lock: needs MREMAP_MAYMOVE and,
 * with MREMAP_FIXED, a target that does not overlap the source (-EINVAL).
 * MREMAP_FIXED: do_munmap of [new_addr, new_addr + new_len) (do_vmi_munmap
 * without unlock: whatever was mapped there is split off, detached and
 * freed); a shrinking source loses its tail the same way; then move_vma of
 * the source (now `new_len` pages) to new_addr, or, without MREMAP_FIXED
 * (MREMAP_DONTUNMAP alone), above every VMA (get_unmapped_area).
 */
function* mremap_to(mm: MmStruct, addr: number, old_len: number, new_addr: number, new_len: number, flags: number): KPath<number> {
  const fixed = (flags & MREMAP_FIXED) !== 0, dontunmap = (flags & MREMAP_DONTUNMAP) !== 0;
  if ((flags & MREMAP_MAYMOVE) === 0 || (dontunmap && old_len !== new_len)) return -1;
  if (fixed) {
    if (addr + old_len > new_addr && new_addr + new_len > addr) return -1; // the ranges overlap
    // do_munmap(mm, new_addr, new_len, uf_unmap_early); if (ret) goto out: -ENOMEM (map_count) fails the call
    // (null is also "nothing mapped there", no error; at the limit move_vma fails anyway)
    if ((yield* do_vmi_munmap(mm, new_addr, new_len, false)) === null && mm.map_count >= mm.max_map_count) return -1;
  }
  if (old_len > new_len) {
    if ((yield* do_vmi_munmap(mm, addr + new_len, old_len - new_len, false)) === null) return -1; // do_munmap(mm, addr + new_len, ...)
    old_len = new_len;
  }
  const vma = mm.mm_mt.walk(addr); // vma_to_resize: the VMA at addr (the munmaps may have split it)
  if (vma === null || addr + old_len > vma.vm_end) return -1;
  const to = fixed ? new_addr : mm.vmas[mm.vmas.length - 1]!.vm_end + 1;
  return yield* move_vma(mm, vma, addr, old_len, new_len, to, dontunmap);
}

/**
 * move_vma (mm/mremap.c): vma_start_write(vma) ("We don't want racing
 * faults"); copy_vma: vma_merge_new_range into a neighbour of the target
 * range (the same mapping, flags and contiguous offsets: vma_expand
 * write-locks it), else vm_area_dup of the source range at `new_addr` and
 * vma_link: vma_start_write(new), attach (the unfaulted-anon pgoff reset is
 * not modelled); move_page_tables (the model's page state is
 * by page offset, so the PTEs "move" with the offset; charged as a copy);
 * then the source: do_vmi_munmap of the old range without the downgrade
 * (split at its edges, detach, clear from the tree, free), or with
 * MREMAP_DONTUNMAP the old VMA stays, its PTEs gone.
 */
export function* move_vma(
  mm: MmStruct, vma: VmAreaStruct, old_addr: number, old_len: number, new_len: number, new_addr: number, dontunmap: boolean,
): KPath<number> {
  // "We'd prefer to avoid failure later on in do_munmap: which may split one vma into three before unmapping."
  if (mm.map_count >= mm.max_map_count - 3) return -1;
  yield* vma_start_write(vma);
  const pgoff = vma.pgoff_of(old_addr);
  const len = Math.min(old_len, new_len); // move_page_tables(&pmc): pmc.len_in = old_len (the source was shrunk first)
  pte_move_begin(mm, old_addr, new_addr, len);
  // copy_vma: vma_merge_new_range into a neighbour of the target range ...
  const after = mm.mm_mt.find(new_addr);
  const before = after !== null ? mm.mm_mt.prev(after) : mm.vmas[mm.vmas.length - 1] ?? null;
  const merged = yield* vma_merge_new_range(mm, before, after, {
    group: vma.group, vm_start: new_addr, vm_end: new_addr + new_len, vm_flags: vma.vm_flags, vm_file: vma.vm_file,
    has_map_pages: vma.has_map_pages, resident: vma.resident, mapping: vma.cache, vm_pgoff: pgoff,
  }, vma);
  let new_vma = merged;
  // copy_vma: `*need_rmap_locks = (vma_start_pgoff(new_vma) <= vma_start_pgoff(vma))` after a merge (the VMA it
  // merged into may come before the source in rmap traversal order), false for a new VMA (linked after the source)
  const need_rmap_locks = merged !== null && merged.vm_pgoff <= vma.vm_pgoff;
  if (new_vma === null) { // ... else vm_area_dup + anon_vma_clone(new, vma, VMA_OP_REMAP) + vma_link
    const nw = yield* vm_area_dup(vma);
    nw.vm_start = new_addr;
    nw.vm_end = new_addr + new_len;
    nw.vm_pgoff = pgoff;
    yield* vma_start_write(nw); // vma_link
    mm.link(nw);
    new_vma = nw;
  }
  yield* move_page_tables(mm, vma, new_vma, old_addr, new_addr, len, need_rmap_locks);
  const moved = flush_tlb_mm_range(ptes_changed(len, vma)); // move_ptes: flush_tlb_range(old)
  if (moved !== null) yield moved;
  if (dontunmap) {
    pte_move_end(mm);
    hooks.pt_update_begin(vma, 'zap_page_range_single', true); // model-only hook: the old range's PTEs are gone
    hooks.pt_update_end(vma, 'zap_page_range_single');
    // dontunmap_complete: "anon_vma links of the old vma is no longer needed after its page table has been moved"
    if (new_vma !== vma && old_addr === vma.vm_start && old_addr + old_len === vma.vm_end) {
      anon_rmap_zap(vma);
      yield* unlink_anon_vmas(vma);
    }
    return new_addr;
  }
  // unmap_source_vma -> do_vmi_munmap(old range, unlock = false)
  let v = vma;
  if (old_addr > v.vm_start) v = yield* split_off(mm, v, old_addr);
  if (old_addr + old_len < v.vm_end) yield* __split_vma(mm, v, old_addr + old_len, false);
  yield* vma_start_write(v);
  if (sched_points) yield PT.vma_mark_detached;
  yield* vma_mark_detached(v);
  if (sched_points) yield VPT.vma_iter_clear;
  mm.unlink(v);
  yield cpu(Cost.zap_pte, Math.round(old_len * v.resident)); // unmap_region
  anon_rmap_zap(v);
  yield* unlink_file_vma(v); // unmap_region -> free_pgtables -> unlink_file_vma_batch_final, before free_pgd_range
  free_pgtables(mm, old_addr, old_addr + old_len); // unmap_region -> free_pgtables
  yield* unlink_anon_vmas(v); // free_pgtables -> unlink_anon_vmas
  if (sched_points) yield VPT.remove_vma;
  vm_area_free(v);
  pte_move_end(mm);
  return new_addr;
}

/** Scheduling points of move_page_tables, named as counterexamples print them. */
const MPT = {
  cond_resched: point('move_page_tables: cond_resched() (the next PMD extent)'),
};

/** Model-only: the PTE move of [old_addr, + len) to [new_addr, + len) starts (MmStruct.pte_move_*; rmap_walk.ts anon_pte_present). */
function pte_move_begin(mm: MmStruct, old_addr: number, new_addr: number, len: number): void {
  mm.pte_move_old = old_addr;
  mm.pte_move_new = new_addr;
  mm.pte_move_len = len;
  mm.pte_move_done = 0;
}

/** Model-only: the move is over (the source range is unmapped, or MREMAP_DONTUNMAP keeps it empty). */
function pte_move_end(mm: MmStruct): void {
  mm.pte_move_old = -1;
  mm.pte_move_new = -1;
  mm.pte_move_len = 0;
  mm.pte_move_done = 0;
}

/**
 * get_extent(NORMAL_PMD, pmc) (mm/mremap.c): the pages from `old_addr` to
 * the next PMD boundary, no further than the end of the range nor than the
 * next PMD boundary of `new_addr`.
 */
function get_extent(old_addr: number, new_addr: number, left: number): number {
  const old_next = (pmd_index(old_addr) + 1) * PTRS_PER_PTE, new_next = (pmd_index(new_addr) + 1) * PTRS_PER_PTE;
  return Math.min(old_next - old_addr, left, new_next - new_addr);
}

/**
 * take_rmap_locks (mm/mremap.c): i_mmap_lock_write(vma->vm_file->f_mapping)
 * of a file VMA (the model: one with an address_space), then
 * anon_vma_lock_write(vma->anon_vma): mm/rmap.c's order, i_mmap_rwsem before
 * anon_vma->rwsem, both before the PTL. Either may sleep behind an rmap walk.
 */
function* take_rmap_locks(vma: VmAreaStruct): KPath {
  if (vma.mapping !== null) yield* i_mmap_lock_write(vma.mapping, vma.mm);
  if (vma.anon_vma !== null) yield* anon_vma_lock_write(vma.anon_vma, vma.mm, 'take_rmap_locks');
}

/** drop_rmap_locks (mm/mremap.c): anon_vma_unlock_write, then i_mmap_unlock_write. */
function drop_rmap_locks(vma: VmAreaStruct): void {
  if (vma.anon_vma !== null) anon_vma_unlock_write(vma.anon_vma);
  if (vma.mapping !== null) i_mmap_unlock_write(vma.mapping);
}

/**
 * move_page_tables (mm/mremap.c) of [old_addr, + len) of `vma` to
 * [new_addr, + len) of `new_vma`, under the mmap write lock with both VMAs
 * write-locked: charged as `copy_pte` per resident page (one step, as
 * before the rmap locks were modelled), then per PMD extent (get_extent; a
 * scheduling point between extents: cond_resched) the move of its PTEs.
 * An extent of a whole PMD, aligned at both ends, is move_pgt_entry(NORMAL_PMD),
 * which always takes the rmap locks (should_take_rmap_locks; 97113eb39fa7
 * "mm/mremap: hold the rmap lock in write mode when moving page table
 * entries", v5.14, stable 5.13.3: try_to_unmap_one against a PMD moved
 * without them left a stale TLB entry to a freed page); the model then moves its PTEs as move_ptes does (the PTE
 * table object is not moved: docs/fidelity.md). Any other extent is
 * move_ptes: take_rmap_locks only with `need_rmap_locks` (38a76013ad80, "mm:
 * avoid taking rmap locks in move_ptes()": the rmap walkers visit the VMAs
 * of an anon_vma or file in vm_pgoff order, ties in insertion order, so a
 * destination after the source is always seen in time: "rmap will always
 * observe either the old pte, or the new pte, or both"), then
 * pte_offset_map_lock of the old table and the new PTL nested, the PTEs
 * moved, the PTLs and the rmap locks dropped: one step (the PTL is not a
 * lock in the model; nothing in the section sleeps). The PTEs move with
 * the model's page state (per page offset, shared by the two VMAs); which
 * VMA holds an anonymous PTE is MmStruct.pte_move_done's progress.
 * `--inject mremap-skip-rmap-locks` takes no rmap locks at all.
 */
function* move_page_tables(
  mm: MmStruct, vma: VmAreaStruct, new_vma: VmAreaStruct, old_addr: number, new_addr: number, len: number, need_rmap_locks: boolean,
): KPath {
  yield cpu(Cost.copy_pte, Math.round(len * vma.resident));
  for (let done = 0; done < len;) {
    if (done > 0 && sched_points) yield MPT.cond_resched;
    const extent = get_extent(old_addr + done, new_addr + done, len - done);
    const normal_pmd = extent === PTRS_PER_PTE; // move_pgt_entry(pmc, NORMAL_PMD, ...): should_take_rmap_locks -> true
    const locked = (need_rmap_locks || normal_pmd) && !fault_inject.mremap_skip_rmap_locks;
    if (locked) yield* take_rmap_locks(vma);
    if (done === 0) anon_rmap_move(vma, new_vma); // model-only: the moved PTEs map the same folios (folio->mapping unchanged)
    done += extent;
    mm.pte_move_done = done; // set_ptes(mm, new_addr, new_ptep, pte, nr_ptes) after get_and_clear_full_ptes of the old ones
    if (locked) drop_rmap_locks(vma);
  }
}

/** __split_vma(vma, addr, new_below = 1): the original keeps [addr, vm_end); returns it. */
function* split_off(mm: MmStruct, vma: VmAreaStruct, addr: number): KPath<VmAreaStruct> {
  yield* __split_vma(mm, vma, addr, true);
  return vma;
}
