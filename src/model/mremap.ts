/**
 * mm/mremap.c: do_mremap, expansion in place (vma_merge_extend ->
 * vma_expand) and moving a VMA (move_vma: copy_vma, move_page_tables, then
 * unmapping the source), memory-and-vma.md §F.4. Locking as in v6.12 .. v7.0.
 */
import { flush_tlb_mm_range, ptes_changed } from './tlb.js';
import { Cost, cpu, type KPath } from './effects.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { mmap_write_lock_killable, mmap_write_unlock, PT, vma_mark_detached, vma_start_write } from './mmap_lock.js';
import { hooks } from './custom.js';
import { sched_points } from './sched.js';
import { __split_vma, vm_area_dup, vm_area_free, VPT } from './vma.js';

/** MREMAP_MAYMOVE: the kernel may move the mapping when it cannot grow in place. */
export const MREMAP_MAYMOVE = 1;
/** MREMAP_DONTUNMAP: move, and leave the old range mapped (its page tables empty). */
export const MREMAP_DONTUNMAP = 4;

/**
 * mremap(addr, old_len, new_len, flags) of the VMA containing `addr` (the
 * range must end inside it). mmap_write_lock_killable; vma_lookup; then:
 * - shrinking or the same size without a move: not modelled (returns the
 *   address unchanged when the size is the same);
 * - growing, with free space after the VMA: expand in place
 *   (vma_merge_extend -> vma_expand: vma_start_write(vma), vm_end moves);
 * - else, with MREMAP_MAYMOVE: move_vma to a free range above every VMA (the
 *   model's get_unmapped_area).
 * Returns the new address, or -1 (-ENOMEM / -EFAULT / -EINTR).
 */
export function* do_mremap(mm: MmStruct, addr: number, old_len: number, new_len: number, flags: number): KPath<number> {
  if ((yield* mmap_write_lock_killable(mm)) < 0) return -1;
  let ret = -1;
  const vma = mm.find_vma(addr); // vma_lookup
  if (vma !== null && addr + old_len <= vma.vm_end && new_len > 0) {
    const dontunmap = (flags & MREMAP_DONTUNMAP) !== 0;
    const next = mm.mm_mt.next(vma);
    if (new_len === old_len && !dontunmap) {
      ret = addr;
    } else if (!dontunmap && new_len > old_len && addr + old_len === vma.vm_end && (next === null || next.vm_start >= addr + new_len)) {
      // expand_vma_in_place -> vma_merge_extend -> vma_expand
      yield* vma_start_write(vma);
      yield cpu(Cost.merge_vma); // commit_merge
      if (sched_points) yield VPT.commit_merge;
      hooks.vma_change(vma, 'range'); // model-only hook
      vma.vm_end = addr + new_len;
      ret = addr;
    } else if ((flags & MREMAP_MAYMOVE) !== 0 && (!dontunmap || new_len === old_len)) {
      const last = mm.vmas[mm.vmas.length - 1]!;
      ret = yield* move_vma(mm, vma, addr, old_len, new_len, last.vm_end + 1, dontunmap);
    }
  }
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  return ret;
}

/**
 * move_vma (mm/mremap.c): vma_start_write(vma) ("We don't want racing
 * faults"); copy_vma: vm_area_dup of the source range at `new_addr`
 * (vma_merge_copied_range into a neighbour is not modelled), vma_link:
 * vma_start_write(new), attach; move_page_tables (the model's page state is
 * by page offset, so the PTEs "move" with the offset; charged as a copy);
 * then the source: do_vmi_munmap of the old range without the downgrade
 * (split at its edges, detach, clear from the tree, free), or with
 * MREMAP_DONTUNMAP the old VMA stays, its PTEs gone.
 */
export function* move_vma(
  mm: MmStruct, vma: VmAreaStruct, old_addr: number, old_len: number, new_len: number, new_addr: number, dontunmap: boolean,
): KPath<number> {
  yield* vma_start_write(vma);
  const nw = vm_area_dup(vma); // copy_vma
  const pgoff = vma.pgoff_of(old_addr);
  nw.vm_start = new_addr;
  nw.vm_end = new_addr + new_len;
  nw.vm_pgoff = pgoff;
  yield* vma_start_write(nw); // vma_link
  mm.link(nw);
  yield cpu(Cost.copy_pte, Math.round(Math.min(old_len, new_len) * vma.resident)); // move_page_tables
  const moved = flush_tlb_mm_range(ptes_changed(Math.min(old_len, new_len), vma)); // move_ptes: flush_tlb_range(old)
  if (moved !== null) yield moved;
  if (dontunmap) {
    hooks.pt_update_begin(vma, 'zap_page_range_single', true); // model-only hook: the old range's PTEs are gone
    hooks.pt_update_end(vma, 'zap_page_range_single');
    return new_addr;
  }
  // unmap_source_vma -> do_vmi_munmap(old range, unlock = false)
  let v = vma;
  if (old_addr > v.vm_start) v = yield* split_off(mm, v, old_addr);
  if (old_addr + old_len < v.vm_end) yield* __split_vma(mm, v, old_addr + old_len, false);
  yield* vma_start_write(v);
  if (sched_points) yield PT.vma_mark_detached;
  vma_mark_detached(v);
  if (sched_points) yield VPT.vma_iter_clear;
  mm.unlink(v);
  yield cpu(Cost.zap_pte, Math.round(old_len * v.resident)); // unmap_region
  if (sched_points) yield VPT.remove_vma;
  vm_area_free(v);
  return new_addr;
}

/** __split_vma(vma, addr, new_below = 1): the original keeps [addr, vm_end); returns it. */
function* split_off(mm: MmStruct, vma: VmAreaStruct, addr: number): KPath<VmAreaStruct> {
  yield* __split_vma(mm, vma, addr, true);
  return vma;
}
