/**
 * The anonymous rmap walk of reclaim (mm/vmscan.c shrink_folio_list ->
 * folio_check_references -> folio_referenced, mm/rmap.c): from a folio off
 * the LRU, folio_lock_anon_vma_read finds and read-locks its anon_vma, and
 * rmap_walk_anon visits every VMA of the anon_vma's interval tree that may
 * map it (folio_referenced_one: page_vma_mapped_walk through vma->vm_mm's
 * page tables). No mmap_lock and no VMA lock: what keeps the anon_vma and
 * the VMAs alive is the folio being mapped and the anon_vma's root rwsem
 * (mm/rmap.c's lock order: anon_vma->rwsem, then the PTL).
 *
 * The folio is named by where it is mapped when the walk starts (a scenario
 * op names a VMA and a page): its folio->mapping is the anon_vma it points
 * to, its index the page offset there. folio_mapped() is the model's per-VMA
 * bookkeeping (rmap.ts anon_folio_mappers). The root rwsem is a real
 * rwsem (AnonVma.rwsem): the walk holds it for read across its steps (one
 * per VMA visited: folio_referenced_one's page_vma_mapped_walk), so a writer
 * (vma_prepare of a split or merge, anon_vma_clone, unlink_anon_vmas,
 * __anon_vma_prepare) sleeps until it ends. The trylock fails when a writer
 * is queued (rwsem R1: a queued writer blocks new readers); folio_referenced
 * sets rwc->try_lock, so it then returns at once (rwc->contended; its
 * caller keeps the folio active). The slow path of other walkers
 * (atomic_inc_not_zero + a sleeping anon_vma_lock_read) is not modelled.
 */
import { point, type KPath } from './effects.js';
import type { AnonVma, MmStruct, VmAreaStruct } from './mm_types.js';
import { anon_folio_mappers } from './rmap.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { pmd_index } from './pgtable.js';
import { current, sched_points } from './sched.js';

/** The walk's scheduling point between reading folio->mapping (under RCU) and the trylock. */
const RMAP_PT = {
  trylock: point('down_read_trylock(&root_anon_vma->rwsem)'),
  referenced_one: point('folio_referenced_one: page_vma_mapped_walk(&pvmw)'),
};

/** An anonymous folio as the walk sees it: folio->mapping and its index (model-only identity). */
export interface AnonFolioRef {
  readonly anon_vma: AnonVma;
  readonly pgoff: number;
}

/**
 * The anonymous folio mapped at `addr` in `mm` when reclaim isolates it
 * (model-only: the scenario names the folio by its address), or null when
 * none is mapped there (the page state has no anonymous folio: reclaim has
 * nothing to walk). The oldest anon_vma of the VMA's folios stands for the
 * folio's (docs/fidelity.md: per VMA, not per page).
 */
export function anon_folio_at(mm: MmStruct, addr: number): AnonFolioRef | null {
  const vma = mm.find_vma(addr);
  if (vma === null || vma.folio_anon_vmas.length === 0) return null;
  return { anon_vma: vma.folio_anon_vmas[0]!, pgoff: vma.pgoff_of(addr) };
}

/** folio_mapped (model-only bookkeeping, rmap.ts). */
function folio_mapped(folio: AnonFolioRef): boolean {
  return anon_folio_mappers(folio.anon_vma, folio.pgoff).length > 0;
}

/**
 * folio_lock_anon_vma_read (mm/rmap.c): rcu_read_lock; anon_vma =
 * folio_anon_vma(folio) (READ_ONCE of folio->mapping); if
 * !folio_mapped(folio), NULL; root_anon_vma = READ_ONCE(anon_vma->root) and
 * down_read_trylock(&root_anon_vma->rwsem) -- on memory that may have been
 * freed since folio->mapping was read (the anon_vma slab is
 * SLAB_TYPESAFE_BY_RCU, so it is still an anon_vma: no use-after-free yet);
 * then "If the folio is still mapped, then this anon_vma is still its
 * anon_vma, and holding the mutex ensures that it will not go away": the
 * folio_mapped re-check, up_read and NULL if it is not. Returns the anon_vma
 * read-locked, or null. The scheduling point between the first check and
 * the trylock is where another CPU may unmap the folio and free the
 * anon_vma. A failed trylock (a writer holds or waits for the root's
 * rwsem) returns null: folio_referenced's rwc->try_lock (rwc->contended).
 * `--inject folio-lock-anon-vma-read-skip-recheck` leaves out the re-check.
 */
function* folio_lock_anon_vma_read(folio: AnonFolioRef): KPath<AnonVma | null> {
  const anon_vma = folio.anon_vma; // rcu_read_lock(); anon_vma = folio_anon_vma(folio)
  if (!folio_mapped(folio)) return null; // goto out: rcu_read_unlock()
  if (sched_points) yield RMAP_PT.trylock;
  const root = anon_vma.root; // root_anon_vma = READ_ONCE(anon_vma->root)
  if (!root.rwsem.tryRead(current)) return null; // down_read_trylock failed; rwc->try_lock: rwc->contended = true
  if (!fault_inject.folio_lock_anon_vma_read_skip_recheck && !folio_mapped(folio)) {
    root.rwsem.releaseRead(current); // up_read(&root_anon_vma->rwsem); anon_vma = NULL
    return null;
  }
  return anon_vma; // rcu_read_unlock()
}

/**
 * folio_referenced (mm/rmap.c) of an anonymous folio, as shrink_folio_list's
 * folio_check_references calls it: `if (!folio_mapped(folio)) return 0`
 * (inside folio_lock_anon_vma_read here), then rmap_walk ->
 * rmap_walk_anon(folio, rwc, false): folio_lock_anon_vma_read
 * (rwc->anon_lock), anon_vma_interval_tree_foreach over the anon_vma's
 * VMAs that span the folio's index (vma_address), folio_referenced_one on
 * each (page_vma_mapped_walk: vma->vm_mm's page table at the address, under
 * its PTL), and anon_vma_unlock_read. In the locked section every anon_vma
 * and VMA the walk touches must be alive (hooks anon_vma_use, rmap_walk).
 * The locked section has a scheduling point per VMA visited (the unlock is
 * in the step of the last one). Returns the number of VMAs visited. try_to_unmap of an
 * anonymous folio (rmap_walk_anon with a blocking lock) is not an op.
 */
export function* folio_referenced(folio: AnonFolioRef): KPath<number> {
  const anon_vma = yield* folio_lock_anon_vma_read(folio);
  if (anon_vma === null) return 0;
  hooks.anon_vma_use(anon_vma, 'rmap_walk_anon'); // model-only hook: anon_vma->rb_root
  if (anon_vma.root !== anon_vma) hooks.anon_vma_use(anon_vma.root, 'rmap_walk_anon'); // the root's rwsem, held
  const found: VmAreaStruct[] = [];
  for (const vma of anon_vma.vmas.slice()) { // anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, pgoff_start, pgoff_end)
    if (vma.vm_pgoff > folio.pgoff || folio.pgoff >= vma.vm_pgoff + vma.pages) continue;
    if (sched_points) yield RMAP_PT.referenced_one;
    found.push(vma);
    if (hooks_on) {
      hooks.mm_use(vma.mm, 'folio_referenced_one'); // model-only hook: page_vma_mapped_walk(&pvmw) walks vma->vm_mm
      const pt = vma.mm.pgtables.get(pmd_index(vma.vm_start + folio.pgoff - vma.vm_pgoff));
      if (pt !== undefined) hooks.pgtable_use(pt, vma.mm, vma.vm_start + folio.pgoff - vma.vm_pgoff, 'folio_referenced_one');
    }
  }
  hooks.rmap_walk?.(anon_vma, folio.pgoff, found); // model-only hook: every VMA visited is alive; none that maps the folio is missed
  anon_vma.root.rwsem.releaseRead(current); // anon_vma_unlock_read(anon_vma), in the step of the last folio_referenced_one
  return found.length;
}
