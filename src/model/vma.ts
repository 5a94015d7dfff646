/**
 * mm/vma.c and mm/mmap.c: split, merge of an existing range, vma_modify,
 * munmap and mmap (the VMA lifetimes, vm_area_alloc / vm_area_dup /
 * vm_area_free of mm/vma_init.c, are in vma_init.ts and re-exported here). Locking as in mm/vma.c v6.12 .. v7.0 (the vm_refcnt VMA
 * lock of v6.15+, locking.md §1.2; memory-and-vma.md §F).
 *
 * Every step runs under mmap_lock for write. A change to a VMA's range,
 * pgoff, flags or anon_vma happens only after vma_start_write on it in the
 * same write section (F-I3); removed VMAs are detached (vma_mark_detached)
 * and freed into vm_area_cachep, whose objects may be reused at once
 * (SLAB_TYPESAFE_BY_RCU: the checker chooses, `nondet: [vm_area_reuse]`).
 */
import { flush_tlb_mm_range, ptes_changed } from './tlb.js';
import { cpu, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { VM_MIXEDMAP, VM_PFNMAP, VmAreaStruct, type MmStruct } from './mm_types.js';
import { __anon_vma_prepare, anon_rmap_move, anon_rmap_zap, anon_vma_clone, unlink_anon_vmas } from './rmap.js';
import { mmap_read_unlock, mmap_write_downgrade, mmap_write_lock_killable, mmap_write_unlock, PT } from './mmap_lock.js';
import { vma_mark_detached, vma_start_write } from './vma_lock.js';
import { fault_inject, hooks } from './custom.js';
import { sched_points } from './sched.js';
import { free_pgtables } from './pgtable.js';
import { mpol_equal, type MemPolicy } from './mempolicy.js';
import { point, type PointEffect } from './effects.js';
import { free_pgtables_unlink, vma_complete, vma_prepare } from './i_mmap.js';
import { vm_area_dup, vm_area_free, shapeOf, type VmaShape } from './vma_init.js';
export { vm_area_alloc, vm_area_dup, vm_area_dup_to, vm_area_free, shapeOf, type VmaShape } from './vma_init.js';

/** Scheduling points of the VMA operations (tree updates are one step each, see maple_tree.ts). */
export const VPT = {
  vma_complete: point('vma_complete(vp, vmi, mm)'),
  commit_merge: point('commit_merge(vmg)'),
  vma_iter_clear: point('vma_iter_clear_gfp(vmi, start, end)'),
  remove_vma: point('remove_vma(vma)'),
  dup_anon_vma: point('dup_anon_vma(dst, src)'),
  mmap_complete: point('__mmap_complete(map, vma)'),
  expand_downwards: point('expand_downwards(vma, address)'),
  free_pgtables: point('free_pgtables(tlb, mas, vma, floor, ceiling)'),
  vma_iter_store: point('vma_iter_store(vmi, vma)'),
} satisfies Record<string, PointEffect>;

/** include/linux/mm.h VM_SPECIAL (VM_IO | VM_DONTEXPAND are not modelled). */
export const VM_SPECIAL = VM_PFNMAP | VM_MIXEDMAP;

/**
 * __split_vma (mm/vma.c): a new VMA for [vm_start, addr) (`new_below`) or
 * [addr, vm_end); both write-locked (vma_start_write(vma) waits for the
 * original's readers; the new one is detached, so immediate); then, in one
 * tree update (vma_prepare .. vma_complete: vma_iter_store_new attaches the
 * new VMA), the original shrinks. Returns the new VMA. The sysctl
 * max_map_count limit (split_vma's -ENOMEM) is not modelled.
 */
export function* __split_vma(mm: MmStruct, vma: VmAreaStruct, addr: number, new_below: boolean): KPath<VmAreaStruct> {
  if (addr <= vma.vm_start || addr >= vma.vm_end) throw new Error(`__split_vma(${vma.label}, ${addr}): address outside the VMA`);
  const nw = yield* vm_area_dup(vma); // + anon_vma_clone(new, vma, VMA_OP_SPLIT)
  anon_rmap_move(vma, nw); // model-only: some of the folios mapped in vma end up in the new piece
  if (new_below) {
    nw.vm_end = addr;
  } else {
    nw.vm_start = addr;
    nw.vm_pgoff += addr - vma.vm_start;
  }
  yield* vma_start_write(vma);
  yield* vma_start_write(nw);
  yield cpu(Cost.split_vma); // vma_prepare .. vma_complete
  if (sched_points) yield VPT.vma_complete;
  const vp = yield* vma_prepare(vma); // i_mmap_lock_write of a file VMA (the new piece is linked under it)
  hooks.vma_change(vma, 'range'); // model-only hook
  if (new_below) {
    vma.vm_pgoff += addr - vma.vm_start;
    vma.vm_start = addr;
  } else {
    vma.vm_end = addr;
  }
  mm.link(nw); // vma_complete: vma_iter_store_new -> vma_mark_attached
  vma_complete(vp);
  return nw;
}

/**
 * split_vma (mm/vma.c): -ENOMEM (null) when the mm is at its map_count
 * limit (`vma->vm_mm->map_count >= sysctl_max_map_count`), else __split_vma.
 */
export function* split_vma(mm: MmStruct, vma: VmAreaStruct, addr: number, new_below: boolean): KPath<VmAreaStruct | null> {
  if (mm.map_count >= mm.max_map_count) return null;
  return yield* __split_vma(mm, vma, addr, new_below);
}

/**
 * is_mergeable_vma + is_mergeable_anon_vma + the pgoff test of
 * can_vma_merge_before/after: the same flags, the same file (the model: the
 * same page state, i.e. pieces of one mapping), compatible anon_vmas (either
 * NULL, or equal; the anon_vma_chain is taken to be singular) and
 * contiguous page offsets. `lo` would end where `hi` starts.
 */
export function mergeable(lo: { vm_flags: number; vm_pgoff: number; pages: number; anon_vma: unknown; cache: unknown; vm_policy?: MemPolicy | null }, hi: typeof lo): boolean {
  if (lo.vm_flags !== hi.vm_flags || lo.cache !== hi.cache) return false;
  if (!mpol_equal(lo.vm_policy ?? null, hi.vm_policy ?? null)) return false; // vma_merge: mpol_equal(vma_policy(prev), vmg->policy)
  if (lo.anon_vma !== null && hi.anon_vma !== null && lo.anon_vma !== hi.anon_vma) return false;
  return lo.vm_pgoff + lo.pages === hi.vm_pgoff;
}

/**
 * dup_anon_vma (mm/vma.c): the expanding VMA inherits the shrinking or
 * removed one's anon_vma (vma_assert_write_locked(dst)).
 */
export function* dup_anon_vma(dst: VmAreaStruct, src: VmAreaStruct): KPath {
  if (src.anon_vma !== null && dst.anon_vma === null) {
    hooks.vma_change(dst, 'anon_vma'); // model-only hook: vma_assert_write_locked(dst)
    yield* anon_vma_clone(dst, src); // dst->anon_vma = src->anon_vma; anon_vma_clone(dst, src, VMA_OP_MERGE_UNFAULTED)
  }
}

/**
 * The removal half of a merge: the VMAs leave the tree
 * (vma_iter_store_overwrite in commit_merge), then vma_complete's
 * vma_mark_detached (they are write-locked: no reader holds them; it waits
 * only for a transient reference of another mm's vma_start_read),
 * unlink_anon_vmas and vm_area_free at once (no RCU delay,
 * SLAB_TYPESAFE_BY_RCU). Their PTEs now belong to the VMA that grew over
 * their range (`into`).
 */
export function* remove_merged(mm: MmStruct, into: VmAreaStruct, ...vs: VmAreaStruct[]): KPath {
  for (const v of vs) {
    mm.unlink(v);
    anon_rmap_move(v, into); // model-only: the folios mapped there are now in `into`'s range
  }
  for (const v of vs) {
    yield* vma_mark_detached(v);
    anon_rmap_zap(v);
    yield* unlink_anon_vmas(v);
    vm_area_free(v);
  }
}

/**
 * vma_merge_existing_range (mm/vma.c): [start, end) of `vma` gets `newflags`;
 * merge it into `prev` (it ends at `start`) and/or the next VMA (it starts at
 * `end`) when they are compatible. Before changing anything it write-locks
 * `vma`, and `prev` if merging left, and `next` if merging right (even when
 * the merge then fails, they stay write-locked until mmap_write_unlock).
 * Returns the merged VMA (which covers [start, end) with `newflags`), or null
 * (no merge: vma_modify then splits).
 */
export function* vma_merge_existing_range(
  mm: MmStruct, vma: VmAreaStruct, prev: VmAreaStruct | null, start: number, end: number, newflags: number,
  policy: MemPolicy | null = vma.vm_policy,
): KPath<VmAreaStruct | null> {
  const left_side = start === vma.vm_start, right_side = end === vma.vm_end;
  if ((newflags & VM_SPECIAL) !== 0 || (!left_side && !right_side)) return null;
  const mid = { vm_flags: newflags, vm_pgoff: vma.pgoff_of(start), pages: end - start, anon_vma: vma.anon_vma, cache: vma.cache, vm_policy: policy };
  const merge_left = left_side && prev !== null && prev !== vma && prev.vm_end === start && mergeable(prev, mid);
  const next = right_side ? mm.mm_mt.next(vma) : null;
  const merge_right = next !== null && next.vm_start === end && mergeable(mid, next)
    && (!merge_left || prev!.anon_vma === null || next.anon_vma === null || prev!.anon_vma === next.anon_vma);
  if (!merge_left && !merge_right) return null;
  const merge_will_delete_vma = left_side && right_side;
  const merge_both = merge_left && merge_right;
  yield* vma_start_write(vma); // "No matter what happens, we will be adjusting vma."
  if (fault_inject.dup_anon_vma_before_write_lock) {
    // Before d8ab9f7b644a (v6.4): vma_merge called dup_anon_vma on the VMA it
    // expands before vma_prepare write-locked it.
    if (merge_left) yield* dup_anon_vma(prev!, merge_right && next!.anon_vma !== null ? next! : vma);
    else yield* dup_anon_vma(next!, vma);
    if (sched_points) yield VPT.dup_anon_vma;
  }
  if (!fault_inject.merge_skip_neighbour_write_lock) {
    if (merge_left) yield* vma_start_write(prev!);
    if (merge_right) yield* vma_start_write(next!);
  }
  yield cpu(Cost.merge_vma); // commit_merge
  if (sched_points) yield VPT.commit_merge;
  yield* dup_anon_vma(merge_left ? prev! : next!, merge_both && next!.anon_vma !== null ? next! : vma); // before commit_merge
  const vp = yield* vma_prepare(merge_left ? prev! : next!); // commit_merge: vma_prepare; vma_complete unlocks before the removed VMAs are detached
  hooks.vma_change(vma, 'range'); // model-only hook: vma_prepare's vma_assert_write_locked
  if (merge_left) hooks.vma_change(prev!, 'range');
  if (merge_right) hooks.vma_change(next!, 'range');
  // commit_merge -> vma_prepare, vma_set_range, vma_iter_store_overwrite, vma_complete
  if (merge_both) {
    const p = prev!, n = next!;
    p.vm_end = n.vm_end;
    vma_complete(vp);
    yield* remove_merged(mm, p, vma, n);
    return p;
  }
  if (merge_left) {
    const p = prev!;
    p.vm_end = end;
    vma_complete(vp);
    if (merge_will_delete_vma) yield* remove_merged(mm, p, vma);
    else {
      anon_rmap_move(vma, p); // model-only: some of vma's folios may now be in p's range
      vma.vm_pgoff += end - vma.vm_start;
      vma.vm_start = end;
    }
    return p;
  }
  const n = next!;
  n.vm_pgoff -= n.vm_start - start;
  n.vm_start = start;
  vma_complete(vp);
  if (merge_will_delete_vma) yield* remove_merged(mm, n, vma);
  else {
    anon_rmap_move(vma, n); // model-only: some of vma's folios may now be in n's range
    vma.vm_end = start;
  }
  return n;
}

/**
 * vma_modify (mm/vma.c) for vma_modify_flags: try to merge [start, end);
 * else split off the head (split_vma(vma, start, 1): the new VMA is below)
 * and the tail (split_vma(vma, end, 0)), leaving `vma` as the middle piece,
 * write-locked. Returns the VMA that now covers exactly [start, end), or
 * null (-ENOMEM: a split hit the map_count limit; a head split already made
 * stays, as in the kernel).
 */
export function* vma_modify_flags(
  mm: MmStruct, prev: VmAreaStruct | null, vma: VmAreaStruct, start: number, end: number, newflags: number,
): KPath<VmAreaStruct | null> {
  const merged = yield* vma_merge_existing_range(mm, vma, prev, start, end, newflags);
  if (merged !== null) return merged;
  if (vma.vm_start < start && (yield* split_vma(mm, vma, start, true)) === null) return null;
  if (vma.vm_end > end && (yield* split_vma(mm, vma, end, false)) === null) return null;
  return vma;
}

/**
 * munmap (__vm_munmap -> do_vmi_munmap -> do_vmi_align_munmap) of
 * [addr, addr + npages), or of the whole VMA at `addr` when `npages` is
 * omitted: mmap write; vms_gather_munmap_vmas splits the VMAs straddling the
 * edges (the new pieces outside the range stay mapped), then write-locks and
 * detaches every VMA in the range while it is still in the tree; the range
 * is cleared from the tree (vma_iter_clear_gfp); vms_complete_munmap_vmas
 * downgrades to read, zaps the page tables (unmap_region), frees the VMAs
 * (remove_vma -> vm_area_free) and drops the lock. Returns the shape of the
 * first VMA removed, or null (nothing mapped at `addr`, or __vm_munmap's
 * mmap_write_lock_killable interrupted).
 */
export function* do_vmi_align_munmap(mm: MmStruct, addr: number, npages?: number): KPath<VmaShape | null> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return null;
  const shape = yield* do_vmi_munmap(mm, addr, npages, true);
  if (shape === null) {
    if (sched_points) yield PT.mmap_write_unlock;
    mmap_write_unlock(mm);
  }
  return shape;
}

/**
 * vms_gather_munmap_vmas (mm/vma.c) for [start, end), `vma` the first VMA
 * ending above start: split the VMAs straddling the edges (the pieces
 * outside stay mapped), then write-lock and detach every VMA in the range
 * while it is still in the tree. Returns them, and the shape of the first,
 * or null (-ENOMEM, nothing changed: the head split would need one VMA more
 * than the map_count limit allows).
 */
export function* vms_gather_munmap_vmas(
  mm: MmStruct, vma: VmAreaStruct, start: number, end: number,
): KPath<{ gone: VmAreaStruct[]; shape: VmaShape | null } | null> {
  if (start > vma.vm_start) {
    // "Make sure that map_count on return from munmap() will not exceed its
    // limit; but let map_count go just above its limit temporarily": -ENOMEM
    // only when the range ends inside this VMA too (two splits, one more VMA).
    if (end < vma.vm_end && mm.map_count >= mm.max_map_count) return null;
    yield* __split_vma(mm, vma, start, true);
  }
  if (fault_inject.free_pgtables_before_detach) {
    // Injected bug: the page tables go before the VMAs are write-locked and detached.
    if (sched_points) yield VPT.free_pgtables;
    free_pgtables(mm, start, end);
  }
  const gone: VmAreaStruct[] = [];
  let shape: VmaShape | null = null;
  for (let v: VmAreaStruct | null = vma; v !== null && v.vm_start < end; v = mm.mm_mt.next(v)) {
    if (v.vm_end > end) yield* __split_vma(mm, v, end, false);
    yield* vma_start_write(v);
    if (sched_points) yield PT.vma_mark_detached;
    yield* vma_mark_detached(v);
    shape ??= shapeOf(v);
    gone.push(v);
  }
  return { gone, shape };
}

/**
 * do_vmi_munmap (mm/vma.c) with mmap_lock held for write: the body of
 * do_vmi_align_munmap above. With `unlock` (munmap, mremap's shrink)
 * vms_complete_munmap_vmas downgrades, zaps and frees under mmap read and
 * drops the lock; without it (do_munmap: mremap's MREMAP_FIXED target and
 * the shrunk source) everything runs under the write lock, which the caller
 * keeps. Returns the shape of the first VMA removed, or null when nothing
 * is mapped at `addr` (the lock is then still held, as for the kernel's
 * error returns).
 */
export function* do_vmi_munmap(mm: MmStruct, addr: number, npages: number | undefined, unlock: boolean): KPath<VmaShape | null> {
  const vma = mm.find_vma(addr);
  if (vma === null || (npages !== undefined && vma.vm_start >= addr + npages)) return null;
  const start = addr, end = npages === undefined ? vma.vm_end : addr + npages;
  const gathered = yield* vms_gather_munmap_vmas(mm, vma, start, end);
  if (gathered === null) return null; // -ENOMEM (map_count_exceeded), nothing changed
  const { gone, shape } = gathered;
  if (sched_points) yield VPT.vma_iter_clear;
  for (const v of gone) mm.unlink(v); // vma_iter_clear_gfp
  yield cpu(Cost.munmap_vma);
  if (unlock) {
    if (sched_points) yield PT.mmap_write_downgrade;
    mmap_write_downgrade(mm);
  }
  let zapped = false;
  for (const v of gone) {
    yield cpu(Cost.zap_pte, Math.round(v.pages * v.resident)); // unmap_region
    zapped ||= ptes_changed(v.pages, v);
    anon_rmap_zap(v);
    yield* free_pgtables_unlink(v); // unmap_region -> free_pgtables: unlink_anon_vmas, unlink_file_vma (mmap_lock read after the downgrade)
  }
  if (!fault_inject.free_pgtables_before_detach) free_pgtables(mm, start, end); // unmap_region -> free_pgtables (pgtable.ts)
  const flush = flush_tlb_mm_range(zapped); // unmap_region -> tlb_finish_mmu -> flush_tlb_mm_range
  if (flush !== null) yield flush;
  if (sched_points) yield VPT.remove_vma;
  for (const v of gone) vm_area_free(v); // remove_vma
  if (unlock) {
    if (sched_points) yield PT.mmap_read_unlock;
    mmap_read_unlock(mm);
  }
  return shape;
}

/** -ENOMEM */
export const ENOMEM = 12;

/**
 * expand_downwards (mm/vma.c, v6.5+; reached from lock_mm_and_find_vma ->
 * expand_stack_locked with mmap_lock held for write): the stack VMA grows
 * down to `address`. The previous VMA must end at or below it (the
 * stack_guard_gap is not modelled, docs/fidelity.md), and the model's page
 * state cannot go below page offset 0 (-ENOMEM). anon_vma_prepare, then
 * vma_start_write (c137381f71ae "mm: lock a vma before stack expansion"),
 * then vm_start / vm_pgoff move down in one tree update
 * (vma_iter_store_overwrite). Returns 0 or -ENOMEM.
 */
export function* expand_downwards(vma: VmAreaStruct, address: number): KPath<number> {
  const mm = vma.mm;
  if (mm.mmap_lock.writer === null) throw new Error(`expand_downwards(${vma.label}): mmap_lock not held for write`);
  const grow = vma.vm_start - address;
  if (grow <= 0) return 0;
  const prev = mm.mm_mt.prev(vma);
  if ((prev !== null && prev.vm_end > address) || vma.vm_pgoff < grow) return -ENOMEM;
  if (vma.anon_vma === null) { // anon_vma_prepare(vma)
    yield cpu(Cost.anon_vma_prepare);
    yield* __anon_vma_prepare(vma); // rmap.ts (hook anon_vma_prepare)
  }
  if (!fault_inject.stack_expand_skip_write_lock) yield* vma_start_write(vma);
  if (sched_points) yield VPT.expand_downwards;
  hooks.vma_change(vma, 'range'); // model-only hook
  vma.vm_pgoff -= grow;
  vma.vm_start = address;
  return 0;
}
