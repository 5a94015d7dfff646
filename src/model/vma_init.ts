/**
 * mm/vma_init.c (vm_area_alloc / vm_area_dup / vm_area_free) and the model's
 * slab of freed VMA objects (vm_area_cachep, SLAB_TYPESAFE_BY_RCU): the VMA
 * lifetimes that src/model/vma.ts's split, merge and munmap use. Moved from
 * vma.ts unchanged.
 */
import { FilePtes } from './file_ptes.js';
import { type KPath } from './effects.js';
import { FileRaState, VmAreaStruct, type Folio, type MmStruct } from './mm_types.js';
import { IndexSet, XArray } from './xarray.js';
import { __anon_vma_prepare, anon_vma_clone } from './rmap.js';
import { fault_inject, hooks, nondet } from './custom.js';
import { mpol_dup, mpol_put } from './mempolicy.js';
import type { AddressSpace } from './khugepaged.js';

/** What a VMA looked like, for re-creating it (the model's munmap + mmap of the same range). */
export interface VmaShape {
  readonly group: string;
  readonly vm_start: number;
  readonly vm_end: number;
  readonly vm_flags: number;
  readonly vm_file: boolean;
  readonly has_map_pages: boolean;
  readonly resident: number;
  /**
   * The mapping the range came from, for vma_merge_new_range's file and
   * pgoff tests (the kernel's vmg->file, vmg->pgoff): its page state (the
   * model's `struct file`, or an anonymous mapping's pgoff space) and the
   * page offset of vm_start in it. Absent: a mapping of its own (no merge).
   */
  readonly mapping?: XArray<Folio>;
  readonly vm_pgoff?: number;
  /** The file's address_space (i_mmap_rwsem, i_mmap tree) that vma_link_file links the new VMA to; absent: none. */
  readonly address_space?: AddressSpace | null;
}

export function shapeOf(v: VmAreaStruct): VmaShape {
  return {
    group: v.group, vm_start: v.vm_start, vm_end: v.vm_end, vm_flags: v.vm_flags,
    vm_file: v.vm_file, has_map_pages: v.has_map_pages, resident: v.resident,
    mapping: v.cache, vm_pgoff: v.vm_pgoff, address_space: v.mapping,
  };
}

/**
 * The object vm_area_alloc / vm_area_dup hands out: a freed one from
 * vm_area_cachep when the checker chooses reuse (SLAB_TYPESAFE_BY_RCU; the
 * most recently freed first), else a fresh one. A reused object keeps its
 * identity (pointers held by RCU readers now see the new VMA).
 */
function vm_area_get(mm: MmStruct, shape: VmaShape, src: VmAreaStruct | null): VmAreaStruct {
  const cache = mm.vm_area_cachep;
  let v: VmAreaStruct;
  let reused = false;
  if (cache.length > 0 && nondet('vm_area_reuse')) {
    v = cache.pop()!;
    reused = true;
    if (v.mm !== mm) v.mm = mm; // vm_area_init_from / vma_init: vma->vm_mm = mm (the object may come from another mm)
    const id = mm.nextVmaId++;
    v.id = id;
    v.group = shape.group;
    v.label = `vma[${id}:${shape.group}]`;
    v.vm_start = shape.vm_start;
    v.vm_end = shape.vm_end;
    v.vm_flags = shape.vm_flags;
    v.vm_file = shape.vm_file;
    v.has_map_pages = shape.has_map_pages;
    v.resident = shape.resident;
    v.vm_pgoff = 0;
    v.anon_vma = null;
    v.vm_policy = null; // the default policy (vma_init)
    v.anon_vma_chain = []; // vm_area_init_from / INIT_LIST_HEAD(&vma->anon_vma_chain)
    v.folio_anon_vmas = [];
    v.anon_ptes_writable = 0;
    v.anon_ptes_mapped = 0;
    v.vm_lock_seq = -1; // vma_lock_init
    v.excludeReaders = false;
    v.writerWaiting = null;
    v.freed = false;
    v.gen++;
    v.cache = new XArray();
    v.evicted = new IndexSet();
    v.swapped = new IndexSet();
    v.anon_present = new IndexSet();
    v.wrprotected = new IndexSet();
    v.file_ptes = new FilePtes();
    v.page_mkwrite = 'generic';
    v.f_ra = new FileRaState();
    v.mapping = null;
  } else {
    v = new VmAreaStruct(mm, mm.nextVmaId++, shape.group, shape.vm_start, shape.vm_end, shape.vm_flags,
      shape.vm_file, shape.has_map_pages, shape.resident);
  }
  v.detached = true; // vma_lock_init(vma, true): a new VMA starts detached (vm_refcnt 0)
  hooks.vm_area_alloc(v, reused, src); // model-only hook
  return v;
}

/** Freed objects the model keeps for reuse (a slab's free list; older ones are forgotten). */
const VM_AREA_CACHE_OBJECTS = 4;

/** vm_area_alloc + the fields __mmap_new_vma sets. */
export function vm_area_alloc(mm: MmStruct, shape: VmaShape): VmAreaStruct {
  return vm_area_get(mm, shape, null);
}

/**
 * vm_area_dup (mm/vma_init.c): a copy of `orig` (flags, file, pgoff,
 * anon_vma), detached; then the caller's anon_vma_clone (__split_vma:
 * VMA_OP_SPLIT, copy_vma: VMA_OP_REMAP) links the copy to orig's anon_vmas
 * (rmap.ts). The folios stay where their PTEs are: the caller moves them.
 * The copy maps the same file, so it shares the model's page state
 * (page cache, evicted and swapped sets, readahead state) with `orig`.
 */
export function* vm_area_dup(orig: VmAreaStruct): KPath<VmAreaStruct> {
  const v = vm_area_get(orig.mm, shapeOf(orig), orig);
  v.vm_pgoff = orig.vm_pgoff;
  v.vm_policy = mpol_dup(orig.mm, orig.vm_policy); // the caller's vma_dup_policy (__split_vma, copy_vma)
  yield* anon_vma_clone(v, orig); // the caller's anon_vma_clone(new, vma, VMA_OP_SPLIT / VMA_OP_REMAP)
  v.cache = orig.cache;
  v.evicted = orig.evicted;
  v.swapped = orig.swapped;
  v.anon_present = orig.anon_present;
  v.wrprotected = orig.wrprotected;
  v.file_ptes = orig.file_ptes;
  v.page_mkwrite = orig.page_mkwrite;
  v.f_ra = orig.f_ra;
  v.mapping = orig.mapping;
  return v;
}

/**
 * dup_mmap's `tmp = vm_area_dup(mpnt); tmp->vm_mm = mm;` (kernel/fork.c,
 * mm/mmap.c): a detached copy of the parent's `orig` for the child `mm`,
 * sharing orig's file and page state as vm_area_dup's copy does; its
 * anon_vma is left to anon_vma_fork (rmap.ts).
 */
export function vm_area_dup_to(orig: VmAreaStruct, mm: MmStruct): VmAreaStruct {
  const shape: VmaShape = {
    group: orig.group, vm_start: orig.vm_start, vm_end: orig.vm_end, vm_flags: orig.vm_flags,
    vm_file: orig.vm_file, has_map_pages: orig.has_map_pages, resident: orig.resident,
  };
  const v = vm_area_get(mm, shape, null);
  v.vm_pgoff = orig.vm_pgoff;
  return v;
}

/** vm_area_free: the VMA must be detached (vma_assert_detached); its object may be reused. */
export function vm_area_free(vma: VmAreaStruct): void {
  if (!vma.detached) throw new Error(`vm_area_free(${vma.label}): VMA is attached`);
  // Only the vma_mark_detached mutation frees an object a transient reference still holds (check-hooks reports it).
  if (vma.nrReaders !== 0 && !fault_inject.vma_mark_detached_skip_refcnt_wait) throw new Error(`vm_area_free(${vma.label}): VMA has readers`);
  mpol_put(vma.vm_policy); // the callers' mpol_put(vma_policy(vma)) (remove_vma, vma_complete)
  vma.vm_policy = null;
  vma.freed = true;
  const cache = vma.mm.vm_area_cachep;
  if (cache.length >= VM_AREA_CACHE_OBJECTS) cache.shift(); // the oldest goes back to the page allocator
  cache.push(vma);
  hooks.vm_area_free(vma); // model-only hook
}
