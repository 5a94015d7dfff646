/**
 * mm/mempolicy.c: a VMA's memory policy (vma->vm_policy) as an object with a
 * refcount and a lifetime, the mbind(2) path that replaces it, and the
 * fault's read of it (vma_alloc_folio -> get_vma_policy).
 *
 * What is modelled is the locking and the lifetime, not NUMA placement: a
 * policy has a mode (mpol_equal compares it; nodemasks are not modelled)
 * and the allocation it steers costs what it cost before. NULL is the
 * default policy (the static default_policy, never freed). A policy is
 * freed when its last reference goes (mpol_put -> __mpol_put:
 * kmem_cache_free); a path that reads a freed one is reported by hook
 * `mempolicy_use` (the checker's use-after-free invariant).
 *
 * The bug class: 6c21e066f925 "mm/mempolicy: Take VMA lock before replacing
 * policy" (Jann Horn, v6.5-rc4, stable 6.4.8; CVE-2023-4611): a fault under
 * the per-VMA lock reads vma->vm_policy in vma_alloc_folio while mbind,
 * holding only mmap_lock, swaps it and mpol_put()s the old one. Since then
 * vma_replace_policy write-locks the VMA (today: do_mbind's
 * queue_pages_range with MPOL_MF_WRLOCK write-locks every VMA of the range,
 * and vma_replace_policy asserts it).
 */
import { point, type KPath } from './effects.js';
import type { MmStruct, VmAreaStruct } from './mm_types.js';
import { fault_inject, hooks } from './custom.js';
import { sched_points } from './sched.js';
import { mmap_write_lock, mmap_write_unlock, PT } from './mmap_lock.js';
import { vma_start_write } from './vma_lock.js';
import { split_vma, vma_merge_existing_range } from './vma.js';

/** The policy modes a scenario can set (MPOL_BIND, MPOL_INTERLEAVE, MPOL_PREFERRED, MPOL_LOCAL). */
export const MPOL_MODES = ['bind', 'interleave', 'preferred', 'local'] as const;
export type MpolMode = (typeof MPOL_MODES)[number];

/** Scheduling points of this file, named as counterexamples print them. */
export const MPT = {
  vma_replace_policy: point('vma_replace_policy(vma, new_pol)'),
  folio_alloc_mpol: point('vma_alloc_folio: folio_alloc_mpol(gfp, order, pol, ilx, nid)'),
};

/** Model-only: policy ids per mm, for labels (deterministic: a fresh mm per execution). */
const nextId = new WeakMap<MmStruct, number>();

/** Model-only: forget `mm`'s policy ids, as for a fresh mm (the checker reuses its initial mms: src/check/world.ts). */
export function mpol_ids_reset(mm: MmStruct): void {
  nextId.delete(mm);
}

/** struct mempolicy: `refcnt` (atomic_t), `mode`; `freed`: model-only (__mpol_put freed it). */
export class MemPolicy {
  refcnt = 1;
  freed = false;
  constructor(readonly id: number, readonly mode: MpolMode) {
    hooks.object_created(this); // model-only (custom.ts)
  }
  get label(): string {
    return `mempolicy[${this.id}:${this.mode}]`;
  }
}

/** mpol_new: a new policy, one reference (the caller's). */
export function mpol_new(mm: MmStruct, mode: MpolMode): MemPolicy {
  const id = nextId.get(mm) ?? 0;
  nextId.set(mm, id + 1);
  return new MemPolicy(id, mode);
}

/** mpol_dup (__mpol_dup): a copy with one reference; NULL (the default policy) stays NULL. */
export function mpol_dup(mm: MmStruct, old: MemPolicy | null): MemPolicy | null {
  if (old === null) return null;
  hooks.mempolicy_use?.(old, 'mpol_dup'); // model-only hook: *new = *old reads it
  return mpol_new(mm, old.mode);
}

/** mpol_put -> __mpol_put: the last reference frees the policy (kmem_cache_free). */
export function mpol_put(pol: MemPolicy | null): void {
  if (pol === null) return;
  hooks.mempolicy_use?.(pol, 'mpol_put'); // model-only hook: atomic_dec_and_test(&pol->refcnt)
  if (--pol.refcnt === 0) pol.freed = true;
}

/** mpol_equal: the same mode (nodemasks and flags are not modelled); NULL equals only NULL. */
export function mpol_equal(a: MemPolicy | null, b: MemPolicy | null): boolean {
  if (a === b) return true;
  if (a === null || b === null) return false;
  return a.mode === b.mode;
}

/**
 * vma_alloc_folio (mm/mempolicy.c), for alloc_anon_folio and the COW copy:
 * get_vma_policy -> __get_vma_policy reads vma->vm_policy (no reference is
 * taken for a VMA's own policy: mpol_cond_put drops only shared ones), then
 * folio_alloc_mpol allocates by it: policy_nodemask reads pol->mode and
 * pol->nodes, and the page allocator keeps the nodemask (&pol->nodes) through
 * its slow path, which may sleep in reclaim. The caller reads
 * vma->vm_policy in its step and calls this with a policy that is not the
 * default (NULL, never freed: nothing to race with, no step, so scenarios
 * without mbind explore what they did before, and the simulator's fault
 * makes no generator): a scheduling point (the allocation), then the use.
 */
export function* folio_alloc_mpol(pol: MemPolicy): KPath {
  if (sched_points) yield MPT.folio_alloc_mpol;
  hooks.mempolicy_use?.(pol, 'folio_alloc_mpol (pol->mode, pol->nodes)'); // model-only hook
}

/**
 * vma_replace_policy (mm/mempolicy.c): the VMA is write-locked
 * (vma_assert_write_locked, since "mm/mempolicy: Take VMA lock before
 * replacing policy"); new = mpol_dup(pol); old = vma->vm_policy;
 * vma->vm_policy = new; mpol_put(old). vm_ops->set_policy (shmem) is not
 * modelled.
 */
function vma_replace_policy(mm: MmStruct, vma: VmAreaStruct, pol: MemPolicy): void {
  const nw = mpol_dup(mm, pol);
  const old = vma.vm_policy;
  vma.vm_policy = nw; // "protected by mmap_lock" (and the VMA write lock)
  mpol_put(old);
}

/**
 * vma_modify_policy (mm/vma.c -> vma_modify): merge [start, end) of `vma`
 * with a neighbour whose policy is mpol_equal to `pol` (and whose flags,
 * file and anon_vma allow it), else split off the head and the tail, as
 * vma_modify_flags does for mprotect. Returns the VMA covering [start, end),
 * or null (-ENOMEM: the map_count limit).
 */
function* vma_modify_policy(
  mm: MmStruct, prev: VmAreaStruct | null, vma: VmAreaStruct, start: number, end: number, pol: MemPolicy,
): KPath<VmAreaStruct | null> {
  const merged = yield* vma_merge_existing_range(mm, vma, prev, start, end, vma.vm_flags, pol);
  if (merged !== null) return merged;
  if (vma.vm_start < start && (yield* split_vma(mm, vma, start, true)) === null) return null;
  if (vma.vm_end > end && (yield* split_vma(mm, vma, end, false)) === null) return null;
  return vma;
}

/**
 * mbind_range (mm/mempolicy.c) of `vma` for [start, end): nothing when the
 * policy is already mpol_equal; else vma_modify_policy, then
 * vma_replace_policy. Returns the VMA now covering the piece (the kernel's
 * *prev), or null (-ENOMEM).
 */
function* mbind_range(
  mm: MmStruct, vma: VmAreaStruct, prev: VmAreaStruct | null, start: number, end: number, pol: MemPolicy,
): KPath<VmAreaStruct | null> {
  const vmend = Math.min(end, vma.vm_end);
  let vmstart = vma.vm_start;
  if (start > vma.vm_start) {
    prev = vma;
    vmstart = start;
  }
  if (mpol_equal(vma.vm_policy, pol)) return vma;
  const v = yield* vma_modify_policy(mm, prev, vma, vmstart, vmend, pol);
  if (v === null) return null;
  if (sched_points) yield MPT.vma_replace_policy;
  vma_replace_policy(mm, v, pol);
  return v;
}

/**
 * mbind(start, npages, mode) (mm/mempolicy.c do_mbind, flags 0: no page
 * migration): mpol_new; mmap_write_lock; queue_pages_range with
 * MPOL_MF_WRLOCK, whose page walk write-locks every VMA of the range
 * (walk_page_range -> process_vma_walk_lock -> vma_start_write; the page
 * queueing itself is not modelled) and fails with -EFAULT on a hole
 * (queue_pages_test_walk, without MPOL_MF_DISCONTIG_OK); then mbind_range on
 * each VMA of the range; mmap_write_unlock; mpol_put(new). No CPU cost: the
 * simulator does not run mbind (the checker does not time). Returns false on
 * -EFAULT / -ENOMEM. `--inject mbind-skip-vma-write-lock` is the code before
 * 6c21e066f925: no VMA write lock at all (a split still write-locks the
 * pieces it makes).
 */
export function* do_mbind(mm: MmStruct, start: number, npages: number, mode: MpolMode): KPath<boolean> {
  const end = start + npages;
  const nw = mpol_new(mm, mode);
  yield* mmap_write_lock(mm);
  let vma = mm.find_vma(start);
  // queue_pages_range: the walk visits [start, end) VMA by VMA; a hole is -EFAULT.
  let at = start;
  for (let v = vma; v !== null && v.vm_start <= at && at < end; v = mm.mm_mt.next(v)) {
    if (!fault_inject.mbind_skip_vma_write_lock) yield* vma_start_write(v); // process_vma_walk_lock(vma, PGWALK_WRLOCK)
    at = v.vm_end;
  }
  let ok = at >= end;
  if (ok && vma !== null) {
    let prev = mm.mm_mt.prev(vma); // vma_iter_init(&vmi, mm, start); prev = vma_prev(&vmi)
    for (;;) {
      const v: VmAreaStruct | null = yield* mbind_range(mm, vma, prev, start, end, nw);
      if (v === null) {
        ok = false;
        break;
      }
      prev = v;
      const nx = mm.mm_mt.next(v); // for_each_vma_range(vmi, vma, end)
      if (nx === null || nx.vm_start >= end) break;
      vma = nx;
    }
  }
  if (sched_points) yield PT.mmap_write_unlock;
  mmap_write_unlock(mm);
  mpol_put(nw); // mpol_out: the caller's reference (each VMA holds its own mpol_dup)
  return ok;
}
