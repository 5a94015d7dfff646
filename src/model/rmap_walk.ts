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
 * caller keeps the folio active). try_to_unmap (no try_lock) takes the
 * slow path instead: atomic_inc_not_zero + a sleeping anon_vma_lock_read.
 */
import { point, type KPath } from './effects.js';
import type { AnonVma, MmStruct, VmAreaStruct } from './mm_types.js';
import { anon_folio_mappers, put_anon_vma } from './rmap.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import { pmd_index } from './pgtable.js';
import { current, sched_points } from './sched.js';

/** The walk's scheduling point between reading folio->mapping (under RCU) and the trylock. */
const RMAP_PT = {
  trylock: point('down_read_trylock(&root_anon_vma->rwsem)'),
  referenced_one: point('folio_referenced_one: page_vma_mapped_walk(&pvmw)'),
  unmap_one: point('try_to_unmap_one: page_vma_mapped_walk(&pvmw) (anon)'),
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

/**
 * anon_vma_interval_tree_foreach's order (mm/interval_tree.c): the VMAs of
 * the anon_vma's tree by vm_pgoff (their anon_vma_chain's
 * avc_start_pgoff), equal ones in the order they were inserted (an equal
 * key goes right). The model's tree is the list of linked VMAs in link
 * order (a VMA whose vm_pgoff changes is not re-inserted: vma_prepare's
 * anon_vma_interval_tree_pre_update_vma is not modelled), so: a stable sort
 * of it. mremap's need_rmap_locks rests on this order (mremap.ts).
 */
function rmap_order(vmas: readonly VmAreaStruct[]): VmAreaStruct[] {
  return vmas.slice().sort((a, b) => a.vm_pgoff - b.vm_pgoff);
}

/**
 * Model-only: page_vma_mapped_walk of `vma` at `addr` finds the folio's PTE
 * there (the per-VMA bookkeeping has the VMA map the folio), unless an
 * mremap of vma->vm_mm is moving PTEs (MmStruct.pte_move_*, mremap.ts
 * move_page_tables): a destination page whose PTE has not moved yet has
 * none, nor has a source page whose PTE has.
 */
export function anon_pte_present(vma: VmAreaStruct, addr: number): boolean {
  const mm = vma.mm, len = mm.pte_move_len;
  if (len === 0) return true;
  const dst = addr - mm.pte_move_new;
  if (dst >= 0 && dst < len) return dst < mm.pte_move_done;
  const src = addr - mm.pte_move_old;
  if (src >= 0 && src < len) return src >= mm.pte_move_done;
  return true;
}

/**
 * The end of rmap_walk_anon of `folio`: `found` are the VMAs visited,
 * `seen` the number of them in which the walk observed the folio's PTE.
 * mm/mremap.c's promise to the walkers ("rmap will always observe either
 * the old pte, or the new pte, or both", move_ptes) is broken when the
 * walk observed it nowhere while the folio is still mapped (it was when
 * the walk took the lock): the PTE moved from a VMA visited after the move
 * to one visited before it. Hook rmap_walk_miss (the checker's `anon-vma`).
 */
function rmap_walk_end(folio: AnonFolioRef, found: readonly VmAreaStruct[], seen: number): void {
  if (seen > 0 || found.length === 0 || hooks.rmap_walk_miss === undefined) return;
  const now = anon_folio_mappers(folio.anon_vma, folio.pgoff).filter((m) => anon_pte_present(m, m.vm_start + folio.pgoff - m.vm_pgoff));
  if (now.length === 0) return;
  hooks.rmap_walk_miss(folio.anon_vma, folio.pgoff, found, `it is mapped in ${now.map((m) => m.label).join(', ')} now: mremap's move_ptes moved the PTE there after the walk had visited that VMA, and out of the one the walk visited after it`);
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
 * rwsem) returns null with `try_lock` (folio_referenced's rwc->try_lock:
 * rwc->contended); without it (try_to_unmap) the slow path:
 * atomic_inc_not_zero(&anon_vma->refcount) (0: being freed, NULL), the
 * folio_mapped check (not mapped: put_anon_vma, NULL), anon_vma_lock_read
 * (down_read of the root's rwsem, sleeping behind the writer), then
 * atomic_dec_and_test: when that was the last reference, anon_vma_unlock_read
 * and __put_anon_vma (NULL). `mm`: the caller's, for lockdep.
 * `--inject folio-lock-anon-vma-read-skip-recheck` leaves out the re-check.
 */
function* folio_lock_anon_vma_read(folio: AnonFolioRef, try_lock = true, mm: MmStruct | null = null): KPath<AnonVma | null> {
  const anon_vma = folio.anon_vma; // rcu_read_lock(); anon_vma = folio_anon_vma(folio)
  if (!folio_mapped(folio)) return null; // goto out: rcu_read_unlock()
  if (sched_points) yield RMAP_PT.trylock;
  const root = anon_vma.root; // root_anon_vma = READ_ONCE(anon_vma->root)
  if (!root.rwsem.tryRead(current)) {
    if (try_lock) return null; // rwc->try_lock: rwc->contended = true
    // "trylock failed, we got to sleep": pin the anon_vma (SLAB_TYPESAFE_BY_RCU: a freed one reads refcount 0)
    if (anon_vma.freed || anon_vma.refcount === 0) return null; // !atomic_inc_not_zero(&anon_vma->refcount)
    anon_vma.refcount++;
    if (!folio_mapped(folio)) { // rcu_read_unlock(); put_anon_vma(anon_vma); return NULL
      put_anon_vma(anon_vma);
      return null;
    }
    if (hooks_on && mm !== null) hooks.lock_acquire('anon_vma', mm); // model-only hook (lockdep: anon_vma_lock_read -> down_read)
    if (!root.rwsem.tryRead(current)) {
      root.rwsem.enqueue(current, false);
      yield root.rwsem.blockRead; // rwsem_down_read_slowpath: woken holding the lock
    }
    if (anon_vma.refcount === 1) { // atomic_dec_and_test(&anon_vma->refcount): every other reference went meanwhile
      root.rwsem.releaseRead(current); // anon_vma_unlock_read
      put_anon_vma(anon_vma); // __put_anon_vma (the 1 -> 0 of the decrement)
      return null;
    }
    anon_vma.refcount--;
    return anon_vma; // the slow path has no folio_mapped re-check: the reference kept the anon_vma
  }
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
 * in the step of the last one). Returns the number of VMAs visited.
 * try_to_unmap_anon (below) takes the same locks without rwc->try_lock.
 */
export function* folio_referenced(folio: AnonFolioRef): KPath<number> {
  const anon_vma = yield* folio_lock_anon_vma_read(folio);
  if (anon_vma === null) return 0;
  hooks.anon_vma_use(anon_vma, 'rmap_walk_anon'); // model-only hook: anon_vma->rb_root
  if (anon_vma.root !== anon_vma) hooks.anon_vma_use(anon_vma.root, 'rmap_walk_anon'); // the root's rwsem, held
  const found: VmAreaStruct[] = [];
  let seen = 0;
  for (const vma of rmap_order(anon_vma.vmas)) { // anon_vma_interval_tree_foreach(avc, &anon_vma->rb_root, pgoff_start, pgoff_end)
    if (vma.vm_pgoff > folio.pgoff || folio.pgoff >= vma.vm_pgoff + vma.pages) continue;
    if (sched_points) yield RMAP_PT.referenced_one;
    found.push(vma);
    const addr = vma.vm_start + folio.pgoff - vma.vm_pgoff; // vma_address
    if (hooks_on) {
      hooks.mm_use(vma.mm, 'folio_referenced_one'); // model-only hook: page_vma_mapped_walk(&pvmw) walks vma->vm_mm
      const pt = vma.mm.pgtables.get(pmd_index(addr));
      if (pt !== undefined) hooks.pgtable_use(pt, vma.mm, addr, 'folio_referenced_one');
      if (anon_pte_present(vma, addr)) seen++; // page_vma_mapped_walk finds the PTE
    }
  }
  hooks.rmap_walk?.(anon_vma, folio.pgoff, found); // model-only hook: every VMA visited is alive; none that maps the folio is missed
  if (hooks_on) rmap_walk_end(folio, found, seen);
  anon_vma.root.rwsem.releaseRead(current); // anon_vma_unlock_read(anon_vma), in the step of the last folio_referenced_one
  return found.length;
}

/**
 * try_to_unmap (mm/rmap.c) of an anonymous folio, as shrink_folio_list
 * calls it after add_to_swap: rmap_walk -> rmap_walk_anon(folio, rwc,
 * false): folio_lock_anon_vma_read without rwc->try_lock (sleeps behind a
 * writer of the root's rwsem), then try_to_unmap_one on each VMA of the
 * anon_vma's tree that spans the folio's index (page_vma_mapped_walk of
 * vma->vm_mm's page table, a step each): the PTE becomes a swap entry
 * (`swapped`: the next fault there is do_swap_page), then
 * anon_vma_unlock_read. Every VMA visited must be alive and none that maps
 * the folio missed (hook rmap_walk, as folio_referenced). Simplified
 * (docs/fidelity.md, "rmap walk"): the folio's writeout and freeing
 * (pageout, __remove_mapping) are taken as done, the swap cache keeps no
 * folio; the per-VMA `folio_anon_vmas` bookkeeping is unchanged (other
 * pages of the VMA keep theirs); no TLB flush cost. Returns the number of
 * VMAs unmapped.
 */
export function* try_to_unmap_anon(mm: MmStruct, folio: AnonFolioRef): KPath<number> {
  const anon_vma = yield* folio_lock_anon_vma_read(folio, false, mm);
  if (anon_vma === null) return 0;
  hooks.anon_vma_use(anon_vma, 'rmap_walk_anon'); // model-only hook: anon_vma->rb_root
  if (anon_vma.root !== anon_vma) hooks.anon_vma_use(anon_vma.root, 'rmap_walk_anon');
  const found: VmAreaStruct[] = [];
  let seen = 0;
  for (const vma of rmap_order(anon_vma.vmas)) { // anon_vma_interval_tree_foreach
    if (vma.vm_pgoff > folio.pgoff || folio.pgoff >= vma.vm_pgoff + vma.pages) continue;
    if (sched_points) yield RMAP_PT.unmap_one;
    found.push(vma);
    const addr = vma.vm_start + folio.pgoff - vma.vm_pgoff; // vma_address
    if (hooks_on) {
      hooks.mm_use(vma.mm, 'try_to_unmap_one'); // model-only hook
      const pt = vma.mm.pgtables.get(pmd_index(addr));
      if (pt !== undefined) hooks.pgtable_use(pt, vma.mm, addr, 'try_to_unmap_one');
    }
    if (!anon_pte_present(vma, addr)) continue; // page_vma_mapped_walk: no PTE there (mremap moved it, or will)
    seen++;
    vma.swapped.add(folio.pgoff); // set_pte_at(mm, address, pvmw.pte, swp_pte)
  }
  hooks.rmap_walk?.(anon_vma, folio.pgoff, found); // model-only hook
  if (hooks_on) rmap_walk_end(folio, found, seen);
  anon_vma.root.rwsem.releaseRead(current); // anon_vma_unlock_read, in the step of the last try_to_unmap_one
  return found.length;
}
