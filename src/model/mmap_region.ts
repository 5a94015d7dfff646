/**
 * mmap of a range (mm/mmap.c do_mmap -> mm/vma.c __mmap_region): merge with
 * a neighbour (vma_merge_new_range -> vma_expand), else a new VMA
 * (__mmap_new_vma). Locking as in mm/vma.c v6.12 .. v7.0 (the merge
 * write-locks the VMA it expands, and the next VMA when it swallows it).
 */
import { cpu, type KPath } from './effects.js';
import { Cost } from './cost.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { mmap_write_lock_killable, mmap_write_unlock, PT } from './mmap_lock.js';
import { vma_start_write } from './vma_lock.js';
import { fault_inject, hooks } from './custom.js';
import { sched_points } from './sched.js';
import {
  dup_anon_vma, mergeable, remove_merged, vm_area_alloc, vm_area_free, VM_SPECIAL, vms_gather_munmap_vmas, VPT, type VmaShape,
} from './vma.js';
import { free_pgtables } from './pgtable.js';
import { anon_rmap_zap } from './rmap.js';
import { flush_tlb_mm_range, ptes_changed } from './tlb.js';
import { free_pgtables_unlink, mmap_new_vma_link, vma_complete, vma_prepare } from './i_mmap.js';

/**
 * vma_expand (mm/vma.c): `target` grows to [start, end) with `pgoff` at
 * start. vma_start_write(target); when the new range reaches the end of
 * `next` (a VMA other than the target), next is swallowed: vma_start_write(next),
 * dup_anon_vma(target, next); a range mremap copies from (`copied_from`)
 * passes its anon_vma on the same way (dup_anon_vma(target,
 * vmg->copied_from), v6.16+); then commit_merge (one tree update:
 * vma_set_range, vma_iter_store_overwrite, vma_complete, which detaches and
 * frees the swallowed VMA).
 */
export function* vma_expand(
  mm: MmStruct, target: VmAreaStruct, next: VmAreaStruct | null, start: number, end: number, pgoff: number,
  copied_from: VmAreaStruct | null = null,
): KPath {
  if (!fault_inject.vma_expand_skip_write_lock) yield* vma_start_write(target);
  const remove_next = next !== null && next !== target && end === next.vm_end;
  if (remove_next) {
    if (!fault_inject.vma_expand_skip_write_lock) yield* vma_start_write(next);
    yield* dup_anon_vma(target, next);
  }
  // mremap's copy_vma: vmg->copied_from (61f67c230a5e; before it, a merge into an unfaulted next lost the anon_vma)
  if (copied_from !== null && !fault_inject.vma_expand_skip_copied_from_dup_anon_vma) yield* dup_anon_vma(target, copied_from);
  yield cpu(Cost.merge_vma); // commit_merge
  if (sched_points) yield VPT.commit_merge;
  const vp = yield* vma_prepare(target); // i_mmap_lock_write(vp->mapping) of a file VMA
  hooks.vma_change(target, 'range'); // model-only hook: vma_prepare's vma_assert_write_locked
  if (remove_next) hooks.vma_change(next, 'range');
  target.vm_start = start; // vma_set_range
  target.vm_end = end;
  target.vm_pgoff = pgoff;
  vma_complete(vp); // i_mmap_unlock_write, before the removed VMA is detached
  if (remove_next) yield* remove_merged(mm, target, next);
}

/**
 * vma_merge_new_range (mm/vma.c) for the empty range [start, end) that
 * `shape` describes, between `prev` (the VMA before it, or null) and `next`
 * (the VMA after it, or null): can_vma_merge_left (prev ends at start, the
 * same flags and mapping, its offsets run on into the range, compatible
 * anon_vmas: the model's is_mergeable_vma + can_vma_merge_after +
 * is_mergeable_anon_vma; a new mapping has none, a range mremap moves or
 * extends has that of `copied_from`), can_vma_merge_right (next starts at end,
 * the same tests, and, merging both, prev's and next's anon_vmas
 * compatible); the target is prev when merging left, else next; then
 * vma_expand. VM_SPECIAL ranges never merge. Returns the expanded VMA, or
 * null (no merge: nothing was locked).
 */
export function* vma_merge_new_range(
  mm: MmStruct, prev: VmAreaStruct | null, next: VmAreaStruct | null, shape: VmaShape, copied_from: VmAreaStruct | null = null,
): KPath<VmAreaStruct | null> {
  const start = shape.vm_start, end = shape.vm_end, pglen = end - start;
  if ((shape.vm_flags & VM_SPECIAL) !== 0 || (prev === null && next === null) || shape.mapping === undefined) return null;
  const anon_vma = copied_from?.anon_vma ?? null; // VMG_MMAP_STATE: NULL; copy_vma / vma_merge_extend: the source's
  const mid = { vm_flags: shape.vm_flags, vm_pgoff: shape.vm_pgoff ?? 0, pages: pglen, anon_vma, cache: shape.mapping };
  const can_merge_left = prev !== null && prev.vm_end === start && mergeable(prev, mid);
  const can_merge_right = next !== null && next.vm_start === end && mergeable(mid, next)
    && (!can_merge_left || prev!.anon_vma === null || next.anon_vma === null || prev!.anon_vma === next.anon_vma);
  if (!can_merge_left && !can_merge_right) return null;
  let target: VmAreaStruct, vstart = start, vend = end, pgoff = mid.vm_pgoff;
  if (can_merge_right) {
    vend = next!.vm_end;
    target = next!;
    pgoff = next!.vm_pgoff - pglen;
  }
  if (can_merge_left) { // can_merge_remove_vma(next): vm_ops->close is not modelled, always true
    vstart = prev!.vm_start;
    target = prev!;
    pgoff = prev!.vm_pgoff;
  }
  yield* vma_expand(mm, target!, next, vstart, vend, pgoff, copied_from);
  return target!;
}

/**
 * The page state of a range an anonymous mapping merged into a neighbour:
 * fresh anonymous memory (the PTEs and swap entries that were there went at
 * munmap: zap_pte_range -> free_swap_and_cache), so no swap entry, and no
 * idle swap-cache folio, at its offsets in the shared page state.
 */
function fresh_anon_range(vma: VmAreaStruct, start: number, end: number): void {
  for (let pgoff = vma.pgoff_of(start); pgoff < vma.pgoff_of(end); pgoff++) {
    vma.swapped.delete(pgoff);
    vma.anon_present.delete(pgoff);
    const f = vma.cache.get(pgoff);
    if (f !== undefined && f.idle) vma.cache.delete(pgoff);
  }
}

/**
 * mmap of the range `old` describes (do_mmap -> __mmap_region): mmap write;
 * vma_merge_new_range with the VMAs before and after the range (a
 * neighbour of the same mapping, with the same flags and contiguous page
 * offsets, grows over it, write-locked); else __mmap_new_vma: vm_area_alloc,
 * vma_start_write before vma_link; __mmap_complete. The range must be free
 * (MAP_FIXED over existing VMAs is not modelled). A new VMA that does not
 * merge has a page state of its own (docs/fidelity.md). null when
 * vm_mmap_pgoff's mmap_write_lock_killable is interrupted, or -ENOMEM when
 * the mm has more than max_map_count VMAs.
 */
export function* do_mmap(mm: MmStruct, old: VmaShape): KPath<VmAreaStruct | null> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return null;
  yield cpu(Cost.do_mmap);
  if (mm.map_count > mm.max_map_count) return yield* mmap_enomem(mm); // do_mmap: "Too many mappings?"
  const next = mm.mm_mt.find(old.vm_start); // vma_iter_next_rewind(&vmi, &prev)
  if (next !== null && next.vm_start < old.vm_end) throw new Error(`do_mmap([${old.vm_start}, ${old.vm_end})): range is mapped (MAP_FIXED over VMAs is not modelled)`);
  const prev = next !== null ? mm.mm_mt.prev(next) : mm.vmas[mm.vmas.length - 1] ?? null;
  let vma = yield* vma_merge_new_range(mm, prev, next, old);
  if (vma !== null) {
    if (!vma.vm_file) fresh_anon_range(vma, old.vm_start, old.vm_end);
  } else {
    vma = vm_area_alloc(mm, old);
    // __mmap_new_vma: vma_start_write before vma_iter_store_new (33313a747e81), then vma_link_file (1c7873e33645's order)
    yield* mmap_new_vma_link(mm, vma, old.address_space ?? null, fault_inject.mmap_skip_new_vma_write_lock);
  }
  if (sched_points) yield VPT.mmap_complete;
  hooks.vma_change(vma, 'flags'); // model-only hook: __mmap_complete: vm_flags_set(VM_SOFTDIRTY), vma_set_page_prot
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return vma;
}

/** An mmap that fails with -ENOMEM under the write lock: vm_mmap_pgoff unlocks and returns the error (null). */
function* mmap_enomem(mm: MmStruct): KPath<null> {
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return null;
}

/**
 * mmap(MAP_FIXED) of the range `shape` describes over whatever is mapped
 * there (__mmap_region, v6.12 .. v7.0): mmap write; __mmap_prepare:
 * vma_find, vms_gather_munmap_vmas (split the VMAs straddling the edges,
 * write-lock and detach every old VMA in the range; they stay in the tree,
 * where a lookup finds them write-locked: lock_vma_under_rcu aborts), then
 * vms_clean_up_area -> vms_clear_ptes (unmap_vmas, free_pgtables: the old
 * range's page tables go while the old VMAs are locked and detached);
 * vma_merge_new_range with the VMAs around the range, else __mmap_new_vma:
 * vm_area_alloc, vma_start_write, vma_iter_store, which overwrites the old
 * VMAs' range in the tree (one step: they leave it as the new VMA enters);
 * __mmap_complete: vms_complete_munmap_vmas (unlock = false: remove_vma ->
 * vm_area_free of each old VMA under the write lock), vm_flags_set. The
 * new mapping has a page state of its own (`shape.mapping` unset), so it
 * never merges (docs/fidelity.md). Returns the new VMA, or null when the
 * lock wait was interrupted or -ENOMEM (map_count: do_mmap's limit, or the
 * gather's split; nothing changed).
 */
export function* do_mmap_fixed(mm: MmStruct, shape: VmaShape): KPath<VmAreaStruct | null> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return null;
  yield cpu(Cost.do_mmap);
  if (mm.map_count > mm.max_map_count) return yield* mmap_enomem(mm); // do_mmap: "Too many mappings?"
  const start = shape.vm_start, end = shape.vm_end;
  if (shape.mapping !== undefined) throw new Error('do_mmap_fixed: a MAP_FIXED mapping that may merge with its neighbours is not modelled');
  const first = mm.mm_mt.find(start); // vma_find(vmi, end): the first VMA overlapping the range
  let gone: VmAreaStruct[] = [];
  let prev: VmAreaStruct | null, next: VmAreaStruct | null;
  if (first !== null && first.vm_start < end) {
    const gathered = yield* vms_gather_munmap_vmas(mm, first, start, end);
    if (gathered === null) return yield* mmap_enomem(mm); // map_count_exceeded
    gone = gathered.gone;
    prev = mm.mm_mt.prev(gone[0]!); // vms->prev, vms->next
    next = mm.mm_mt.next(gone[gone.length - 1]!);
    // vms_clean_up_area -> vms_clear_ptes: unmap_vmas, free_pgtables
    let zapped = false;
    for (const v of gone) {
      yield cpu(Cost.zap_pte, Math.round(v.pages * v.resident));
      zapped ||= ptes_changed(v.pages, v);
      anon_rmap_zap(v);
      yield* free_pgtables_unlink(v); // vms_clear_ptes -> free_pgtables: unlink_anon_vmas, unlink_file_vma
    }
    if (!fault_inject.free_pgtables_before_detach) free_pgtables(mm, start, end);
    const flush = flush_tlb_mm_range(zapped);
    if (flush !== null) yield flush;
  } else {
    next = first; // vma_iter_next_rewind(vmi, &map->prev)
    prev = next !== null ? mm.mm_mt.prev(next) : mm.vmas[mm.vmas.length - 1] ?? null;
  }
  let vma = prev !== null || next !== null ? yield* vma_merge_new_range(mm, prev, next, shape) : null;
  if (vma === null) {
    vma = vm_area_alloc(mm, shape); // __mmap_new_vma
    // "Lock the VMA since it is modified after insertion into VMA tree"
    if (!fault_inject.mmap_skip_new_vma_write_lock) yield* vma_start_write(vma);
    if (sched_points) yield VPT.vma_iter_store;
    for (const v of gone) mm.unlink(v); // vma_iter_store overwrites the old VMAs' range
    mm.link(vma);
  }
  if (sched_points) yield VPT.mmap_complete;
  if (gone.length > 0) {
    yield cpu(Cost.munmap_vma); // vms_complete_munmap_vmas (unlock = false)
    for (const v of gone) vm_area_free(v); // remove_vma
  }
  hooks.vma_change(vma, 'flags'); // model-only hook: __mmap_complete: vm_flags_set(VM_SOFTDIRTY), vma_set_page_prot
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return vma;
}
