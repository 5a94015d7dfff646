/**
 * anon_vma lifetimes (mm/rmap.c, mm/vma.c; memory-and-vma.md §F.7): an
 * anon_vma is allocated by __anon_vma_prepare on a VMA's first anonymous
 * fault (or shared with a neighbour, find_mergeable_anon_vma), linked to the
 * pieces of a split and to the VMA a merge expands (anon_vma_clone,
 * dup_anon_vma), unlinked when a VMA is unmapped or merged away
 * (unlink_anon_vmas), and freed by the last put_anon_vma. Counters as in
 * v6.2+ (`num_children` / `num_active_vmas`, 2555283eb40d), which v7.0 keeps.
 *
 * anon_vma_lock_write is a down_write of the root anon_vma's rwsem
 * (AnonVma.rwsem): a writer sleeps while reclaim's rmap walk holds it for
 * read (rmap_walk.ts, across its steps) and is woken holding it. Every
 * anon_vma_lock_write .. anon_vma_unlock_write section here has no
 * scheduling point but the lock itself, so a writer never holds it across
 * a step (docs/fidelity.md, "anon_vma").
 */
import { AnonVma, VM_EXEC, VM_READ, VM_WRITE, type MmStruct, type VmAreaStruct } from './mm_types.js';
import { fault_inject, hooks, hooks_on } from './custom.js';
import type { KPath } from './effects.js';
import { current } from './sched.js';

/** anon_vma_alloc: refcount 1, its own root and parent; the id is a model label. */
function anon_vma_alloc(vma: VmAreaStruct): AnonVma {
  return new AnonVma(vma.mm.nextAnonVmaId++);
}

/**
 * anon_vma_lock_write (include/linux/rmap.h): down_write(&anon_vma->root->rwsem),
 * sleeping while a reader (an rmap walk) or a queued task is ahead. The
 * object must be alive (hook anon_vma_use: the checker's use-after-free
 * invariant). `mm` is the caller's (lockdep: what it holds).
 */
export function* anon_vma_lock_write(av: AnonVma, mm: MmStruct, what: string): KPath {
  hooks.anon_vma_use(av, what); // model-only hook
  if (av.root !== av) hooks.anon_vma_use(av.root, what);
  if (hooks_on) hooks.lock_acquire('anon_vma', mm); // model-only hook (lockdep: down_write(&root->rwsem))
  const sem = av.root.rwsem;
  if (!sem.tryWrite(current)) {
    sem.enqueue(current, true);
    yield sem.blockWrite; // rwsem_down_write_slowpath: woken holding the lock
  }
}

/** anon_vma_unlock_write: up_write(&anon_vma->root->rwsem). */
export function anon_vma_unlock_write(av: AnonVma): void {
  av.root.rwsem.releaseWrite(current);
}

/** anon_vma_chain_link: list_add to vma->anon_vma_chain, insert into the anon_vma's interval tree. */
function anon_vma_chain_link(vma: VmAreaStruct, av: AnonVma): void {
  vma.anon_vma_chain.unshift(av);
  av.vmas.push(vma);
}

/**
 * anon_vma_compatible (mm/vma.c): adjacent, the same file (the model: both
 * anonymous, or pieces of one file's page state), flags equal but for
 * VM_READ | VM_WRITE | VM_EXEC, contiguous page offsets. Policies are not
 * modelled (mpol_equal holds).
 */
function anon_vma_compatible(a: VmAreaStruct, b: VmAreaStruct): boolean {
  const VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;
  return a.vm_end === b.vm_start && a.vm_file === b.vm_file && (!a.vm_file || a.cache === b.cache)
    && ((a.vm_flags ^ b.vm_flags) & ~VM_ACCESS_FLAGS) === 0 && b.vm_pgoff === a.vm_pgoff + (b.vm_start - a.vm_start);
}

/** reusable_anon_vma: `old`'s anon_vma, if a and b are compatible and old's chain is singular (not a fork child). */
function reusable_anon_vma(old: VmAreaStruct, a: VmAreaStruct, b: VmAreaStruct): AnonVma | null {
  if (!anon_vma_compatible(a, b)) return null;
  const av = old.anon_vma;
  return av !== null && old.anon_vma_chain.length === 1 ? av : null;
}

/** find_mergeable_anon_vma (mm/vma.c): try the next VMA, then the previous one. */
export function find_mergeable_anon_vma(vma: VmAreaStruct): AnonVma | null {
  const mt = vma.mm.mm_mt;
  const next = mt.next(vma);
  if (next !== null) {
    const av = reusable_anon_vma(next, vma, next);
    if (av !== null) return av;
  }
  const prev = mt.prev(vma);
  return prev !== null ? reusable_anon_vma(prev, prev, vma) : null;
}

/**
 * __anon_vma_prepare (mm/rmap.c), under mmap_lock (read or write): a
 * neighbour's anon_vma (find_mergeable_anon_vma), else a new one
 * (anon_vma_alloc, num_children++: the self-parent link of a new root);
 * under anon_vma_lock_write + page_table_lock, if vma->anon_vma is still
 * NULL: install it, anon_vma_chain_link, num_active_vmas++. (An anon_vma
 * allocated for nothing would be put again; in the model the section is
 * one step with the NULL test, so that never happens.)
 */
export function* __anon_vma_prepare(vma: VmAreaStruct): KPath<AnonVma> {
  hooks.anon_vma_prepare(vma); // model-only hook (I6: needs mmap_lock)
  let av = find_mergeable_anon_vma(vma);
  if (av === null) {
    av = anon_vma_alloc(vma);
    av.num_children++; // self-parent link for new root
  }
  yield* anon_vma_lock_write(av, vma.mm, '__anon_vma_prepare');
  if (vma.anon_vma === null) {
    vma.anon_vma = av;
    anon_vma_chain_link(vma, av);
    av.num_active_vmas++;
  }
  anon_vma_unlock_write(av);
  return vma.anon_vma;
}

/**
 * A scenario VMA that starts with an anon_vma (`anon_vma: true`): one of its
 * own, as __anon_vma_prepare would have allocated at its first fault, and
 * its resident pages point to it (folio->mapping).
 */
export function anon_vma_init_faulted(vma: VmAreaStruct): AnonVma {
  const av = anon_vma_alloc(vma);
  av.num_children++;
  vma.anon_vma = av;
  anon_vma_chain_link(vma, av);
  av.num_active_vmas++;
  rmap_add(vma, av);
  return av;
}

/**
 * folio_add_new_anon_rmap: a new anonymous folio mapped in `vma` points to
 * vma->anon_vma (folio->mapping). Model-only bookkeeping: the set of
 * anon_vmas the VMA's folios point to (VmAreaStruct.folio_anon_vmas).
 */
export function folio_add_new_anon_rmap(vma: VmAreaStruct): void {
  const av = vma.anon_vma;
  if (av !== null && !vma.folio_anon_vmas.includes(av)) rmap_add(vma, av);
}

/** Model-only: `vma` maps folios of `av` (both directions). */
function rmap_add(vma: VmAreaStruct, av: AnonVma): void {
  vma.folio_anon_vmas.push(av);
  av.folio_vmas.push(vma);
}

/**
 * anon_vma_clone (mm/rmap.c) for split, merge and mremap (VMA_OP_SPLIT,
 * VMA_OP_MERGE_UNFAULTED, VMA_OP_REMAP): `dst->anon_vma` is already
 * `src->anon_vma` (vm_area_dup's copy, dup_anon_vma); nothing to do for an
 * unfaulted `src`; else, under the root's lock, link `dst` to every anon_vma
 * of src's chain and count dst as an active VMA of its anon_vma. Fork's
 * clone (VMA_OP_FORK, with the reuse of an idle anon_vma) is in
 * anon_vma_fork below.
 */
export function* anon_vma_clone(dst: VmAreaStruct, src: VmAreaStruct): KPath {
  const av = src.anon_vma;
  if (av === null) return;
  yield* anon_vma_lock_write(av, dst.mm, 'anon_vma_clone');
  for (let i = src.anon_vma_chain.length - 1; i >= 0; i--) anon_vma_chain_link(dst, src.anon_vma_chain[i]!); // list_for_each_entry_reverse
  dst.anon_vma = av;
  av.num_active_vmas++;
  anon_vma_unlock_write(av); // unlock_anon_vma_root
}

/**
 * anon_vma_fork (mm/rmap.c), from dup_mmap for the child's copy `vma` of
 * the parent's `pvma` (v6.2+ counters, 2555283eb40d): nothing without an
 * anon_vma in the parent; else vma->anon_vma = NULL and anon_vma_clone(vma,
 * pvma) links the child's VMA to every anon_vma of the parent's chain
 * (list_for_each_entry_reverse, under the root's lock), reusing as its
 * anon_vma the first one that has no active VMA and fewer than two children
 * (`num_children < 2 && num_active_vmas == 0`: an anon_vma whose process
 * has exited; a root never qualifies, it counts itself), num_active_vmas++
 * of it; without one reused, a new anon_vma (anon_vma_alloc,
 * num_active_vmas++) whose root is the parent's root (get_anon_vma(root):
 * the lock lives there) and whose parent is pvma->anon_vma, linked to
 * `vma` under the root's lock, parent->num_children++. The child's folios
 * are the parent's (copy_page_range): anon_rmap_dup.
 * `--inject anon-vma-fork-skip-clone` leaves out the anon_vma_clone.
 */
export function* anon_vma_fork(vma: VmAreaStruct, pvma: VmAreaStruct): KPath {
  const pav = pvma.anon_vma;
  if (pav === null) return; // "Don't bother if the parent process has no anon_vma here."
  vma.anon_vma = null;
  vma.anon_vma_chain = [];
  if (!fault_inject.anon_vma_fork_skip_clone) {
    yield* anon_vma_lock_write(pav, vma.mm, 'anon_vma_clone'); // anon_vma_clone(vma, pvma, VMA_OP_FORK): lock_anon_vma_root
    for (let i = pvma.anon_vma_chain.length - 1; i >= 0; i--) { // list_for_each_entry_reverse(pavc, &src->anon_vma_chain, same_vma)
      const av = pvma.anon_vma_chain[i]!;
      anon_vma_chain_link(vma, av);
      // Reuse existing anon_vma if it has no vma and only one anon_vma child (a root never: self-parent + a child).
      if (vma.anon_vma === null && av.num_children < 2 && av.num_active_vmas === 0) vma.anon_vma = av;
    }
    anon_vma_unlock_write(pav); // unlock_anon_vma_root
    if (vma.anon_vma !== null) {
      vma.anon_vma.num_active_vmas++;
      return; // "An existing anon_vma has been reused, all done then."
    }
  }
  const av = anon_vma_alloc(vma); // "Then add our own anon_vma."
  av.num_active_vmas++;
  av.root = pav.root; // the root anon_vma's lock is the one every anon_vma of the tree uses
  av.parent = pav;
  hooks.anon_vma_use(av.root, 'get_anon_vma'); // model-only hook
  av.root.refcount++; // get_anon_vma(anon_vma->root): the root stays until this anon_vma is freed
  vma.anon_vma = av; // "Mark this anon_vma as the one where our new (COWed) pages go."
  yield* anon_vma_lock_write(av, vma.mm, 'anon_vma_fork');
  anon_vma_chain_link(vma, av);
  av.parent.num_children++;
  anon_vma_unlock_write(av);
}

/**
 * copy_page_range's copy_present_ptes -> folio_try_dup_anon_rmap_ptes: the
 * child's copy `dst` maps the same anonymous folios as `src` (their
 * folio->mapping unchanged). Model-only bookkeeping, as rmap_add.
 */
export function anon_rmap_dup(dst: VmAreaStruct, src: VmAreaStruct): void {
  for (const av of src.folio_anon_vmas) if (!dst.folio_anon_vmas.includes(av)) rmap_add(dst, av);
}

/**
 * Model-only, per VMA and not per page (docs/fidelity.md, "anon_vma"): a
 * live VMA maps folios whose folio->mapping is `av` over page offset
 * `pgoff` (folio_mapped of such a folio, and the VMAs an rmap walk of it
 * must find).
 */
export function anon_folio_mappers(av: AnonVma, pgoff: number): VmAreaStruct[] {
  return av.folio_vmas.filter((v) => !v.freed && !v.detached && v.vm_pgoff <= pgoff && pgoff < v.vm_pgoff + v.pages);
}

/**
 * unlink_anon_vmas (mm/rmap.c), under mmap_lock (munmap: after the
 * downgrade): under the root's lock, take `vma` out of every anon_vma's
 * interval tree; an anon_vma whose tree is now empty stays on the list (its
 * parent loses a child), the others' chain entries are freed;
 * num_active_vmas--, vma->anon_vma = NULL; then, after the unlock,
 * put_anon_vma of every emptied anon_vma.
 */
export function* unlink_anon_vmas(vma: VmAreaStruct): KPath {
  const active = vma.anon_vma;
  if (active === null && vma.anon_vma_chain.length === 0) return; // an unfaulted VMA
  if (active !== null) yield* anon_vma_lock_write(active, vma.mm, 'unlink_anon_vmas');
  const empty: AnonVma[] = [];
  for (const av of vma.anon_vma_chain) {
    const i = av.vmas.indexOf(vma);
    if (i >= 0) av.vmas.splice(i, 1); // anon_vma_interval_tree_remove
    if (av.vmas.length === 0) {
      av.parent.num_children--;
      empty.push(av);
    }
  }
  if (active !== null) {
    active.num_active_vmas--;
    vma.anon_vma = null;
    anon_vma_unlock_write(active); // unlock_anon_vma_root
  }
  vma.anon_vma_chain = [];
  for (const av of empty) put_anon_vma(av);
}

/** put_anon_vma: the last reference frees it (__put_anon_vma). */
export function put_anon_vma(av: AnonVma): void {
  hooks.anon_vma_use(av, 'put_anon_vma'); // model-only hook
  if (av.refcount <= 0) throw new Error(`put_anon_vma(${av.label}): refcount is already 0`);
  if (--av.refcount === 0) __put_anon_vma(av);
}

/** __put_anon_vma: anon_vma_free, then drop the reference a child holds on its root. */
function __put_anon_vma(av: AnonVma): void {
  const root = av.root;
  anon_vma_free(av);
  if (root !== av && --root.refcount === 0) anon_vma_free(root);
}

/**
 * anon_vma_free: back to anon_vma_cachep (the kernel first takes and drops
 * the root's lock if it is held, to wait for folio_lock_anon_vma_read).
 */
function anon_vma_free(av: AnonVma): void {
  av.freed = true;
  hooks.anon_vma_free(av); // model-only hook: a folio still pointing to it dangles
}

/**
 * The PTEs of `vma` are zapped (unmap_region, exit_mmap's unmap_vmas,
 * MREMAP_DONTUNMAP's emptied source): no folio is mapped there any more.
 */
export function anon_rmap_zap(vma: VmAreaStruct): void {
  if (vma.folio_anon_vmas.length === 0) return;
  for (const av of vma.folio_anon_vmas) {
    const i = av.folio_vmas.indexOf(vma);
    if (i >= 0) av.folio_vmas.splice(i, 1);
  }
  vma.folio_anon_vmas = [];
}

/** move_page_tables: the folios mapped in `from` are now mapped in `to` (their folio->mapping unchanged). */
export function anon_rmap_move(from: VmAreaStruct, to: VmAreaStruct): void {
  for (const av of from.folio_anon_vmas) if (!to.folio_anon_vmas.includes(av)) rmap_add(to, av);
}

/**
 * UFFDIO_MOVE's move_present_pte (mm/userfaultfd.c): with the source
 * folio's anon_vma `av` write-locked (folio_get_anon_vma,
 * anon_vma_lock_write), folio_move_anon_rmap(src_folio, dst_vma) makes
 * folio->mapping the destination's anon_vma (model-only bookkeeping: `dst`
 * maps a folio of dst->anon_vma; `src` keeps its record of mapping folios
 * of `av`, which is per VMA, not per page, until its PTEs are zapped).
 */
export function folio_move_anon_rmap(dst: VmAreaStruct, av: AnonVma): void {
  hooks.anon_vma_use(av, 'folio_move_anon_rmap'); // model-only hook: the caller holds av's lock (userfaultfd.ts move_pages)
  folio_add_new_anon_rmap(dst);
}
