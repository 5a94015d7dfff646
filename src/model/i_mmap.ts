/**
 * A file's `mapping->i_mmap_rwsem` on the VMA paths that change the file's
 * i_mmap tree (include/linux/fs.h i_mmap_lock_write; mm/vma.c vma_prepare /
 * vma_complete, vma_link_file), and on reclaim's file rmap walk
 * (mm/rmap.c try_to_unmap -> rmap_walk_file, which takes it for read and may
 * sleep for it). The lock itself, `struct address_space` and the read side
 * of khugepaged are in khugepaged.ts.
 *
 * The model's i_mmap tree of a mapping is the attached VMAs of its mm whose
 * `mapping` is that mapping (khugepaged.ts): a new VMA enters it when
 * __vma_link_file sets `vma->mapping` under the write lock, the pieces of a
 * split or merge are re-linked inside vma_prepare .. vma_complete, and an
 * unmapped VMA leaves it in free_pgtables (unlink_file_vma, under
 * i_mmap_lock_write, before its page tables are freed; issue 13b): until
 * then a walk that took the lock before the munmap detached the VMA still
 * visits it (docs/fidelity.md).
 * A VMA has a mapping only in check scenarios that need one (khugepaged,
 * try_to_unmap ops); everywhere else these paths take no lock, as before.
 */
import { point, type KPath, type PointEffect } from './effects.js';
import type { AnonVma, MmStruct, VmAreaStruct } from './mm_types.js';
import { anon_vma_lock_write, anon_vma_unlock_write, unlink_anon_vmas } from './rmap.js';
import type { AddressSpace } from './khugepaged.js';
import { i_mmap_lock_read, i_mmap_unlock_read } from './khugepaged.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { current, sched_points } from './sched.js';
import { vma_start_write } from './vma_lock.js';
import { pmd_index } from './pgtable.js';

/** Scheduling points of the file rmap walk, named as counterexamples print them. */
export const IPT = {
  try_to_unmap_one: point('try_to_unmap_one: page_vma_mapped_walk(&pvmw)'),
  i_mmap_unlock_read: point('rmap_walk_file: i_mmap_unlock_read(mapping)'),
} satisfies Record<string, PointEffect>;

/**
 * i_mmap_lock_write (include/linux/fs.h): down_write(&mapping->i_mmap_rwsem),
 * sleeping while a reader (reclaim's rmap walk, khugepaged's retraction) or
 * a writer holds it. `mm` is the caller's (lockdep: what it holds).
 */
export function* i_mmap_lock_write(mapping: AddressSpace, mm: MmStruct): KPath {
  if (hooks_on) hooks.lock_acquire('i_mmap_rwsem', mm); // model-only hook (lockdep: down_write)
  const sem = mapping.i_mmap_rwsem;
  if (!sem.tryWrite(current)) {
    sem.enqueue(current, true);
    yield sem.blockWrite; // rwsem_down_write_slowpath: woken holding the lock
  }
  if (hooks_on) hooks.i_mmap_lock?.(1); // model-only hook
}

/** i_mmap_unlock_write: up_write(&mapping->i_mmap_rwsem). */
export function i_mmap_unlock_write(mapping: AddressSpace): void {
  mapping.i_mmap_rwsem.releaseWrite(current);
  if (hooks_on) hooks.i_mmap_lock?.(-1); // model-only hook
}

/** What vma_prepare locked (`struct vma_prepare`'s mapping and anon_vma), for vma_complete. */
export interface VmaPrepare {
  readonly mapping: AddressSpace | null;
  readonly anon_vma: AnonVma | null;
}

/**
 * vma_prepare (mm/vma.c), before a split or merge changes the range of
 * `vma` (vp->vma): `if (vp->file) i_mmap_lock_write(vp->mapping)` (its
 * i_mmap node is removed and re-inserted: vma_interval_tree_remove ..
 * vma_complete's vma_interval_tree_insert), then `if (vp->anon_vma)
 * anon_vma_lock_write(vp->anon_vma)` (anon_vma_interval_tree_pre_update_vma);
 * either may sleep behind an rmap walk. The callers have already
 * write-locked the VMAs and done anon_vma_clone / dup_anon_vma.
 */
export function* vma_prepare(vma: VmAreaStruct): KPath<VmaPrepare> {
  const mapping = vma.mapping, anon_vma = vma.anon_vma;
  if (mapping !== null) yield* i_mmap_lock_write(mapping, vma.mm);
  if (anon_vma !== null) yield* anon_vma_lock_write(anon_vma, vma.mm, 'vma_prepare');
  return { mapping, anon_vma };
}

/** vma_complete (mm/vma.c): anon_vma_unlock_write(vp->anon_vma), then i_mmap_unlock_write(vp->mapping). */
export function vma_complete(vp: VmaPrepare): void {
  if (vp.anon_vma !== null) anon_vma_unlock_write(vp.anon_vma);
  if (vp.mapping !== null) i_mmap_unlock_write(vp.mapping);
}

/**
 * vma_link_file (mm/vma.c), from __mmap_new_vma after vma_iter_store_new:
 * i_mmap_lock_write(mapping); __vma_link_file (vma_interval_tree_insert:
 * the model sets vma->mapping); i_mmap_unlock_write.
 */
export function* vma_link_file(vma: VmAreaStruct, mapping: AddressSpace | null): KPath {
  if (mapping === null) return;
  yield* i_mmap_lock_write(mapping, vma.mm);
  vma.mapping = mapping; // __vma_link_file -> vma_interval_tree_insert(vma, &mapping->i_mmap)
  i_mmap_unlock_write(mapping);
}

/**
 * __mmap_new_vma's locking of a new VMA `vma` (detached, not yet in the
 * tree) and its insertion (mm/vma.c, v6.12 .. v7.0): vma_start_write(vma)
 * ("Lock the VMA since it is modified after insertion into VMA tree"),
 * vma_iter_store_new, vma_link_file. vma_start_write of a detached VMA
 * takes no lockdep acquisition (v6.15+ __vma_enter_locked returns early
 * when vm_refcnt is 0).
 *
 * `--inject mmap-i-mmap-lock-before-vma-write-lock` restores mmap_region as
 * 33313a747e81 left it in v6.4.2, before 1c7873e33645 ("mm: lock newly
 * mapped VMA with corrected ordering"): `if (vma->vm_file)
 * i_mmap_lock_write(vma->vm_file->f_mapping); vma_start_write(vma);
 * vma_iter_store(&vmi, vma); ... __vma_link_file(vma, mapping);
 * i_mmap_unlock_write(mapping)`, with v6.4's vma_start_write, a
 * down_write(&vma->vm_lock->lock) that lockdep sees on a new VMA too: the
 * order i_mmap_rwsem -> vm_lock, against the usual vm_lock -> ... ->
 * i_mmap_rwsem (lockdep: "Lockdep is certainly right to complain").
 * `skip_write_lock` is mmap-skip-new-vma-write-lock's (the v6.4 order of
 * 33313a747e81's own class).
 */
export function* mmap_new_vma_link(mm: MmStruct, vma: VmAreaStruct, mapping: AddressSpace | null, skip_write_lock: boolean): KPath {
  if (fault_inject.mmap_i_mmap_lock_before_vma_write_lock && mapping !== null) {
    yield* i_mmap_lock_write(mapping, mm);
    if (hooks_on) hooks.lock_acquire('vma_lock', mm); // v6.4 vma_start_write: down_write(&vma->vm_lock->lock)
    yield* vma_start_write(vma);
    mm.link(vma); // vma_iter_store
    vma.mapping = mapping; // __vma_link_file
    i_mmap_unlock_write(mapping);
    return;
  }
  if (!skip_write_lock) yield* vma_start_write(vma);
  mm.link(vma); // vma_iter_store_new
  yield* vma_link_file(vma, mapping);
}

/**
 * unlink_file_vma (mm/vma.c; free_pgtables' unlink_file_vma_batch_add /
 * _final -> unlink_file_vma_batch_process): "Unlink a file-based vm
 * structure from its interval tree, to hide vma from rmap and vmtruncate
 * before freeing its page tables": i_mmap_lock_write(mapping) (sleeping
 * behind an rmap walk), __remove_shared_vm_struct (the model: vma->mapping
 * = NULL, recorded in mapping->i_mmap_removed), i_mmap_unlock_write. The
 * kernel batches up to eight VMAs of one file under one lock hold; the
 * model takes the lock per VMA. `--inject unlink-file-vma-skip-i-mmap-lock`
 * removes it without the lock.
 */
export function* unlink_file_vma(vma: VmAreaStruct): KPath {
  const mapping = vma.mapping;
  if (mapping === null) return;
  const locked = !fault_inject.unlink_file_vma_skip_i_mmap_lock;
  if (locked) yield* i_mmap_lock_write(mapping, vma.mm);
  vma.mapping = null; // __remove_shared_vm_struct -> vma_interval_tree_remove(vma, &mapping->i_mmap)
  mapping.i_mmap_removed.push(vma);
  if (locked) i_mmap_unlock_write(mapping);
}

/**
 * free_pgtables (mm/memory.c) for one VMA of an unmapped range, before
 * free_pgd_range: "Hide vma from rmap and truncate_pagecache before
 * freeing pgtables": unlink_anon_vmas, then unlink_file_vma. The caller
 * frees the tables after (pgtable.ts free_pgtables).
 */
export function* free_pgtables_unlink(vma: VmAreaStruct): KPath {
  yield* unlink_anon_vmas(vma);
  yield* unlink_file_vma(vma);
}

/** vma_interval_tree_foreach(vma, &mapping->i_mmap, pgoff, pgoff): the VMAs mapping file page `pgoff` (as khugepaged.ts). */
function i_mmap_vmas(mapping: AddressSpace, pgoff: number): VmAreaStruct[] {
  return mapping.host.vmas.filter((v) => v.mapping === mapping && pgoff >= v.vm_pgoff && pgoff < v.vm_pgoff + v.pages);
}

/**
 * try_to_unmap (mm/rmap.c) of the page-cache folio at file page `pgoff` of
 * `mapping`, as shrink_folio_list calls it for a mapped folio: rmap_walk ->
 * rmap_walk_file(folio, rwc, false): i_mmap_trylock_read, else (try_to_unmap
 * sets no rwc->try_lock) i_mmap_lock_read, sleeping while a writer
 * (vma_prepare, vma_link_file) holds it; vma_interval_tree_foreach over the
 * VMAs mapping the page, try_to_unmap_one on each (page_vma_mapped_walk of
 * vma->vm_mm's page table at the address, under its PTL: a step each; the
 * PTE is cleared), then i_mmap_unlock_read. The model does not track file
 * PTEs but for the read-only ones of shared mappings (`wrprotected`), which
 * it clears; the folio's mapcount is not modelled, so the walk runs whatever
 * maps the page (docs/fidelity.md). Returns the number of VMAs visited.
 */
export function* try_to_unmap_file(mapping: AddressSpace, pgoff: number): KPath<number> {
  yield* i_mmap_lock_read(mapping); // __rmap_walk_file: i_mmap_trylock_read, else i_mmap_lock_read
  let n = 0;
  const vmas = i_mmap_vmas(mapping, pgoff);
  // Model-only: the page table each VMA's address maps through now, and how many VMAs had left the tree.
  const tables = vmas.map((v) => v.mm.pgtables.get(pmd_index(v.vm_start + (pgoff - v.vm_pgoff))));
  const removed = mapping.i_mmap_removed.length;
  for (let i = 0; i < vmas.length; i++) {
    const vma = vmas[i]!;
    if (sched_points) yield IPT.try_to_unmap_one;
    if (mapping.i_mmap_removed.indexOf(vma, removed) >= 0) {
      // unlink_file_vma took the VMA out of the tree under the walk (no i_mmap_lock_write): the
      // iterator still hands it to try_to_unmap_one, whose page_vma_mapped_walk walks the page
      // tables free_pgtables frees right after the unlink.
      const pt = tables[i];
      if (hooks_on && pt !== undefined) hooks.pgtable_use(pt, vma.mm, vma.vm_start + (pgoff - vma.vm_pgoff), 'try_to_unmap_one');
      continue;
    }
    // The VMA stays in the i_mmap tree while i_mmap_rwsem is held (vma_prepare, vma_link_file and
    // unlink_file_vma take it for write): a VMA munmap has detached is still visited until then.
    if (vma.freed || vma.mapping !== mapping || pgoff < vma.vm_pgoff || pgoff >= vma.vm_pgoff + vma.pages) continue;
    const addr = vma.vm_start + (pgoff - vma.vm_pgoff); // vma_address(vma, pgoff, 1)
    if (hooks_on) {
      hooks.mm_use(vma.mm, 'try_to_unmap_one'); // model-only hook: page_vma_mapped_walk(&pvmw) walks vma->vm_mm
      const pt = vma.mm.pgtables.get(pmd_index(addr));
      if (pt !== undefined) hooks.pgtable_use(pt, vma.mm, addr, 'try_to_unmap_one');
    }
    vma.wrprotected.delete(pgoff); // ptep_clear_flush: the PTE is gone (the next access faults)
    n++;
  }
  if (sched_points) yield IPT.i_mmap_unlock_read;
  i_mmap_unlock_read(mapping);
  return n;
}
