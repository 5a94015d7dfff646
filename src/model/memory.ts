/**
 * mm/memory.c (~v7.0 with the series' patch 3/5 applied: folio_lock_or_retry
 * lives here): handle_mm_fault and the handlers the thread argues about.
 */
import { mutableFields } from './shapes.js';
import { might_alloc } from './fs_reclaim.js';
import { cpu, cpuLaw, LawName, type CpuEffect, type KPath } from './effects.js';
import { Cost } from './cost.js';
import { fault_around_cpu } from './fault_around.js';
import type { VmFault } from './fault_types.js';
import { filemap_fault, filemap_map_pages } from './filemap.js';
import { do_shared_fault, vmf_can_call_fault, vmf_can_call_fault_retry, wp_page_shared } from './memory_shared.js';
import { __anon_vma_prepare, folio_add_new_anon_rmap } from './rmap.js';
import {
  FAULT_FLAG_KILLABLE, FAULT_FLAG_VMA_LOCK, FAULT_FLAG_WRITE, fault_flag_allow_retry_first,
  Folio, uffd_disable_fault_around, userfaultfd_missing, VM_FAULT_MAJOR, VM_FAULT_RETRY,
  VM_FAULT_RETRY_HARD, VM_FAULT_RETRY_VMA, type VmAreaStruct,
} from './mm_types.js';
import { release_fault_lock } from './memory_lock.js';
import { handle_userfault } from './userfaultfd_fs.js';
import { pte_alloc, pte_offset_map_lock } from './pgtable.js';
import { mmap_read_trylock, mmap_read_unlock, PT } from './mmap_lock.js';
import { vma_end_read } from './vma_lock.js';
import {
  __folio_lock, __folio_lock_killable, folio_alloc_locked_for_io, folio_trylock, folio_unlock, folio_wait_locked,
  folio_wait_locked_killable,
} from './pagemap.js';
import { hooks, hooks_on } from './custom.js';
import { anon_charge_and_add, folio_mapped_young } from './memcontrol.js';
import { current, sched_points } from './sched.js';
import { count_vm_event, VmEvent } from './vmstat.js';
import { folio_add_lru } from './swap.js';
import { folio_alloc_mpol } from './mempolicy.js';

/**
 * folio_lock_or_retry (patch 3/5 moved it to mm/memory.c): trylock; on a first
 * attempt drop the fault lock, wait for the folio to unlock, return RETRY.
 * Patch 4/5 (and Willy's `&& !writeback`) keep the lock for uptodate folios;
 * hold-io keeps the VMA lock (hold-io+mmap: either lock).
 */
function* folio_lock_or_retry(folio: Folio, vmf: VmFault): KPath<number> {
  if (sched_points) yield PT.folio_trylock;
  if (folio_trylock(folio)) return 0;
  const s = vmf.vma.mm.fault;
  if (fault_flag_allow_retry_first(vmf.flags) && !s.hold_for_locked_folio(folio) &&
      s.drop_lock_for_io('swap', (vmf.flags & FAULT_FLAG_VMA_LOCK) !== 0)) {
    if (sched_points) yield PT.release_fault_lock;
    release_fault_lock(vmf);
    if ((vmf.flags & FAULT_FLAG_KILLABLE) !== 0) yield* folio_wait_locked_killable(folio);
    else yield* folio_wait_locked(folio);
    return VM_FAULT_RETRY;
  }
  count_vm_event(VmEvent.FAULT_HOLD_WAIT);
  if ((vmf.flags & FAULT_FLAG_KILLABLE) !== 0) {
    if ((yield* __folio_lock_killable(folio)) < 0) { // fatal signal: release and retry (the arch code returns)
      if (sched_points) yield PT.release_fault_lock;
      release_fault_lock(vmf);
      return VM_FAULT_RETRY;
    }
  } else {
    yield* __folio_lock(folio);
  }
  return 0;
}

/**
 * do_swap_page: swap cache hit, or swap-in. A SWP_SYNCHRONOUS_IO device (zram)
 * decompresses on this CPU holding the fault lock; other devices submit I/O and
 * the fault waits in folio_lock_or_retry. Patch 2/5 adds VM_FAULT_RETRY_VMA.
 */
function* do_swap_page(vmf: VmFault): KPath<number> {
  const vma = vmf.vma;
  let ret = 0;
  if (sched_points) yield PT.swap_cache_get_folio;
  if (!vma.swapped.has(vmf.pgoff)) return 0; // !pte_unmap_same(): someone mapped it
  let folio = vma.cache.get(vmf.pgoff);
  let ours = false;
  if (folio === undefined) {
    // With a memory model: mem_cgroup_swapin_charge_folio (and the reclaim it may need), fault lock held.
    if (vma.mm.memory !== null && !(yield* anon_charge_and_add(vma.mm, vma, vmf.pgoff, true))) return 0; // raced: re-fault
    if (vma.mm.memory !== null) count_vm_event(VmEvent.PSWPIN);
    const bio = folio_alloc_locked_for_io(vma.id, vmf.pgoff, LawName.swap, true);
    folio = bio.folio;
    vma.cache.set(vmf.pgoff, folio);
    count_vm_event(VmEvent.PGMAJFAULT);
    count_vm_event(VmEvent.IO_SWAP);
    ret = VM_FAULT_MAJOR;
    if (vma.mm.swapSynchronous) {
      // SWP_SYNCHRONOUS_IO: swap_read_folio() completes on this CPU.
      folio.owner = current;
      folio.ioOwner = null;
      yield cpuLaw(LawName.swap);
      folio.uptodate = true;
      ours = true;
    } else {
      yield bio; // swapin_readahead
    }
  }
  folio.refcount++;
  if (!ours) {
    ret |= yield* folio_lock_or_retry(folio, vmf);
    if (ret & VM_FAULT_RETRY) {
      folio.refcount--;
      const f = vmf.flags;
      if (vma.mm.fault.retry_vma_after_io && fault_flag_allow_retry_first(f) && (f & FAULT_FLAG_VMA_LOCK) !== 0) {
        ret |= VM_FAULT_RETRY_VMA;
      }
      return ret;
    }
    if (!vma.swapped.has(vmf.pgoff)) { // folio_test_swapcache / pte_same recheck failed
      if (sched_points) yield PT.folio_unlock;
      folio_unlock(folio);
      folio.refcount--;
      return ret;
    }
  }
  // Map it: set_pte_at, swap_free; the folio leaves the swap cache.
  if (!pte_offset_map_lock(vma.mm, vmf.pt, vmf.address)) { // if (unlikely(!vmf->pte || ...)) goto out_nomap
    if (sched_points) yield PT.folio_unlock;
    folio_unlock(folio);
    folio.refcount--;
    return ret;
  }
  if (vma.mm.memory !== null) folio_mapped_young(vma.mm.memory, vma, vmf.pgoff);
  if (hooks_on) hooks.set_pte_at(vma, vmf.pgoff, 'anon'); // model-only hook
  if ((vmf.flags & FAULT_FLAG_WRITE) !== 0) vma.anon_ptes_writable++; // model-only: do_swap_page maps it writable (exclusive)
  vma.anon_ptes_mapped++; // model-only (tlb.ts)
  vma.swapped.delete(vmf.pgoff);
  if (vmf.uffd_missing) vma.anon_present.add(vmf.pgoff); // model-only: the PTE is present (kept only where read)
  if (vma.cache.get(vmf.pgoff) === folio) vma.cache.delete(vmf.pgoff);
  if (sched_points) yield PT.folio_unlock;
  folio_unlock(folio);
  folio.refcount--;
  return ret;
}

/**
 * vmf_anon_prepare (mm/internal.h) -> __vmf_anon_prepare (mm/memory.c):
 * `if (likely(vma->anon_vma)) return 0;` here, before any generator is made
 * (the common case: returns 0), else the path that installs one for the
 * caller to run (`typeof r === 'number' ? r : yield* r`).
 */
function vmf_anon_prepare(vmf: VmFault): number | KPath<number> {
  if (vmf.vma.anon_vma !== null) return 0;
  return __vmf_anon_prepare(vmf);
}

/**
 * __vmf_anon_prepare without an anon_vma: installing one needs mmap_lock;
 * under the VMA lock only a trylock is allowed, and failure means release
 * and RETRY (to mmap_lock).
 */
function* __vmf_anon_prepare(vmf: VmFault): KPath<number> {
  const vma = vmf.vma;
  const underVma = (vmf.flags & FAULT_FLAG_VMA_LOCK) !== 0;
  if (underVma) {
    if (sched_points) yield PT.mmap_read_trylock;
    if (!mmap_read_trylock(vma.mm)) {
      count_vm_event(VmEvent.ANON_VMA_TRYLOCK_FAIL);
      if (sched_points) yield PT.vma_end_read;
      vma_end_read(vma);
      return VM_FAULT_RETRY | (vma.mm.fault.retry_hard ? VM_FAULT_RETRY_HARD : 0);
    }
  }
  yield cpu(Cost.anon_vma_prepare); // __anon_vma_prepare
  yield* __anon_vma_prepare(vma); // rmap.ts: a neighbour's anon_vma or a new one (hook anon_vma_prepare: I6)
  count_vm_event(VmEvent.ANON_VMA_PREPARE);
  if (underVma) {
    if (sched_points) yield PT.mmap_read_unlock;
    mmap_read_unlock(vma.mm);
  }
  return 0;
}

/**
 * do_anonymous_page: zero page on read (no point where it can sleep: the
 * VM_FAULT_* bits are returned at once, without a generator); on write,
 * anon_vma + new zeroed folio (the path, for the caller to run).
 */
function do_anonymous_page(vmf: VmFault): number | KPath<number> {
  if ((vmf.flags & FAULT_FLAG_WRITE) === 0) {
    if (!pte_offset_map_lock(vmf.vma.mm, vmf.pt, vmf.address)) return 0; // if (!vmf->pte) goto unlock
    if (vmf.uffd_missing) { // userfaultfd_missing(vma)
      if (vmf.vma.anon_present.has(vmf.pgoff)) return 0; // vmf_pte_changed: a racing UFFDIO_COPY mapped it (goto unlock)
      return handle_userfault(vmf); // "Deliver the page fault to userland, check inside PT lock": pte_unmap_unlock first
    }
    vmf.vma.anon_ptes_mapped++; // model-only (tlb.ts)
    if (hooks_on) hooks.set_pte_at(vmf.vma, vmf.pgoff, 'zero'); // map the shared zero page (model-only hook)
    return 0;
  }
  return do_anonymous_page_write(vmf);
}

/** do_anonymous_page's write fault: anon_vma + new zeroed folio. */
function* do_anonymous_page_write(vmf: VmFault): KPath<number> {
  const r = vmf_anon_prepare(vmf);
  const ret = typeof r === 'number' ? r : yield* r;
  if (ret !== 0) return ret;
  // alloc_anon_folio -> vma_alloc_folio: get_vma_policy, then folio_alloc_mpol uses a policy that is not the default
  if (vmf.vma.vm_policy !== null) yield* folio_alloc_mpol(vmf.vma.vm_policy);
  might_alloc(vmf.vma.mm); // __alloc_pages -> prepare_alloc_pages -> might_alloc(GFP_HIGHUSER_MOVABLE) (lockdep: fs_reclaim)
  if (vmf.vma.mm.memory !== null) yield* anon_charge_and_add(vmf.vma.mm, vmf.vma, vmf.pgoff); // alloc_anon_folio's charge
  yield cpu(Cost.do_anonymous_page); // alloc_anon_folio + clear + set_pte
  if (!pte_offset_map_lock(vmf.vma.mm, vmf.pt, vmf.address)) return 0; // if (!vmf->pte) goto release
  if (vmf.uffd_missing) { // userfaultfd_missing(vma)
    if (vmf.vma.anon_present.has(vmf.pgoff)) return 0; // vmf_pte_changed: goto release (folio_put)
    return yield* handle_userfault(vmf); // "Deliver the page fault to userland, check inside PT lock": pte_unmap_unlock, folio_put
  }
  const drain = folio_add_lru(); // folio_add_lru_vma -> folio_add_lru: every PAGEVEC_SIZE-th folio drains the batch (swap.ts)
  if (drain !== null) yield drain;
  vmf.vma.anon_ptes_writable++; // model-only: a writable, PageAnonExclusive PTE (fork write-protects it)
  vmf.vma.anon_ptes_mapped++; // model-only (tlb.ts)
  folio_add_new_anon_rmap(vmf.vma); // folio->mapping = vma->anon_vma (model-only bookkeeping, rmap.ts)
  if (vmf.vma.mm.memory !== null) folio_mapped_young(vmf.vma.mm.memory, vmf.vma, vmf.pgoff);
  if (hooks_on) hooks.set_pte_at(vmf.vma, vmf.pgoff, 'anon'); // model-only hook
  return 0;
}

/** do_cow_fault: the private copy needs an anon_vma, then the file read. */
function* do_cow_fault(vmf: VmFault): KPath<number> {
  const r = vmf_anon_prepare(vmf);
  const ret = typeof r === 'number' ? r : yield* r;
  if (ret !== 0) return ret;
  // vmf->cow_page = vma_alloc_folio(GFP_HIGHUSER_MOVABLE, 0, vma, vmf->address): get_vma_policy, folio_alloc_mpol
  if (vmf.vma.vm_policy !== null) yield* folio_alloc_mpol(vmf.vma.vm_policy);
  might_alloc(vmf.vma.mm); // prepare_alloc_pages -> might_alloc (lockdep: fs_reclaim)
  return yield* filemap_fault(vmf); // __do_fault -> vma->vm_ops->fault
}

/**
 * should_fault_around: the file has ->map_pages and userfaultfd does not
 * forbid it (fault_around_bytes is the default 64 KiB, > one page).
 */
function should_fault_around(vma: VmAreaStruct): boolean {
  return vma.has_map_pages && !uffd_disable_fault_around(vma);
}

/**
 * do_read_fault: fault-around first (do_fault_around -> filemap_map_pages,
 * which never sleeps: a page-cache hit is done right here), then ->fault
 * after the vmf_can_call_fault check.
 */
function do_read_fault(vmf: VmFault): number | KPath<number> {
  if (should_fault_around(vmf.vma)) {
    const ret = filemap_map_pages(vmf);
    const walk = fault_around_cpu(vmf, ret); // the walk's neighbours the fitted costs do not hold (fault_around.ts), or null
    if (walk !== null) return do_read_fault_after_walk(vmf, walk, ret);
    if (ret !== 0) return ret;
  }
  return do_read_fault_fault(vmf);
}

/**
 * handle_mm_fault_with's answer when do_read_fault's ->fault is
 * filemap_fault and its caller runs it as stages (filemap_stages.ts
 * FilemapFaultStages.begin(vmf)) rather than as a path: not a VM_FAULT value
 * (those are never negative).
 */
export const FILEMAP_FAULT_STAGED = -2;
/** Set by handle_mm_fault_with(..., staged) for the length of its call: do_read_fault_fault answers FILEMAP_FAULT_STAGED. */
let filemap_fault_staged = false;

/** do_read_fault after do_fault_around returned 0: ->fault, after the vmf_can_call_fault check. */
function do_read_fault_fault(vmf: VmFault): number | KPath<number> {
  if (!vmf_can_call_fault(vmf)) return vmf_can_call_fault_retry(vmf);
  return filemap_fault_staged ? FILEMAP_FAULT_STAGED : filemap_fault(vmf); // __do_fault -> vma->vm_ops->fault
}

/** do_read_fault with the CPU of do_fault_around's walk charged first (fault_around_cpu). */
function* do_read_fault_after_walk(vmf: VmFault, walk: CpuEffect, ret: number): KPath<number> {
  yield walk;
  if (ret !== 0) return ret;
  const r = do_read_fault_fault(vmf);
  return typeof r === 'number' ? r : yield* r;
}

/**
 * do_fault: do_read_fault, or do_cow_fault / do_shared_fault (__do_fault ->
 * vma->vm_ops->fault, i.e. filemap_fault) after the vmf_can_call_fault check.
 */
function do_fault(vmf: VmFault): number | KPath<number> {
  if ((vmf.flags & FAULT_FLAG_WRITE) === 0) return do_read_fault(vmf);
  if (!vmf_can_call_fault(vmf)) return vmf_can_call_fault_retry(vmf);
  if (!vmf.vma.vm_shared) return do_cow_fault(vmf);
  return do_shared_fault(vmf);
}

/**
 * handle_mm_fault -> __handle_mm_fault -> handle_pte_fault: dispatch on the PTE
 * (none: anonymous or file fault; swap entry: do_swap_page). Returns the
 * VM_FAULT_* bits when the fault was handled without a point where it could
 * sleep (fault-around mapped a page-cache hit), else the handler's path for
 * the caller to run (`typeof r === 'number' ? r : yield* r`). The caller
 * charges handle_mm_fault's own CPU cost just before (`Cost.handle_mm_fault`)
 * and does mm_account_fault after, so this dispatcher needs no generator of
 * its own. The VMA always covers `address` here (lock_vma_under_rcu /
 * find_vma checked).
 */
export function handle_mm_fault(vma: VmAreaStruct, address: number, flags: number): number | KPath<number> {
  // __handle_mm_fault: pgd .. pmd_alloc, __pte_alloc (pgtable.ts): vmf->pmd. Only
  // under the checker: the simulator keeps no page-table objects (nothing in it
  // reads them; a 64 GiB address space would hold 131,072 of them).
  const vmf: VmFault = { vma, address, pgoff: vma.pgoff_of(address), flags, pt: hooks_on ? pte_alloc(vma.mm, address) : null, uffd_missing: false };
  // (Split by VMA kind so that each part stays small enough for TurboFan to
  // inline on the page-cache fault's path: bench/README.md, "The hot loop
  // within the inlining budget".)
  return vma.vm_file ? handle_pte_fault_file(vmf) : handle_pte_fault_anon(vmf);
}

/**
 * A struct vm_fault for handle_mm_fault_with, to be reused. The kernel's
 * lives in the faulting thread's stack frame (do_user_addr_fault ->
 * handle_mm_fault -> __handle_mm_fault: `struct vm_fault vmf = {...}`), so
 * it costs no allocation; the simulator's fast path (fault.ts
 * do_user_addr_fault_fast_handle) keeps one per thread likewise.
 */
export function vm_fault_alloc(vma: VmAreaStruct): VmFault {
  return { vma, address: 0, pgoff: 0, flags: 0, pt: null, uffd_missing: false };
}
// A vm_fault from vm_fault_alloc is rewritten at every fault, first perhaps
// runs after the fault path was optimised for handle_mm_fault's vm_faults
// (same fields, same order: one shape), which are never rewritten: its
// fields are not constants for V8 from the start (shapes.ts).
mutableFields({ vma: null, address: 0, pgoff: 0, flags: 0, pt: null, uffd_missing: false }, ['vma', 'address', 'pgoff', 'flags', 'pt', 'uffd_missing']);

/**
 * handle_mm_fault with the caller's `vmf` (vm_fault_alloc), filled here as
 * handle_mm_fault fills a new one. Only without model hooks: `pt` stays null
 * (the simulator keeps no page tables). With `staged`, when do_read_fault
 * would return filemap_fault's path (called with no step before it: not
 * after fault-around's CPU step), FILEMAP_FAULT_STAGED instead: the caller
 * runs filemap_fault on `vmf` as stages (filemap_stages.ts; no memory model).
 */
export function handle_mm_fault_with(vmf: VmFault, vma: VmAreaStruct, address: number, flags: number, staged = false): number | KPath<number> {
  vmf.vma = vma;
  vmf.address = address;
  vmf.pgoff = vma.pgoff_of(address);
  vmf.flags = flags;
  vmf.pt = null;
  vmf.uffd_missing = false;
  if (!vma.vm_file) return handle_pte_fault_anon(vmf);
  filemap_fault_staged = staged;
  const r = handle_pte_fault_file(vmf);
  filemap_fault_staged = false;
  return r;
}

/**
 * After handle_mm_fault_with returned `r`: whether its `vmf` is free for the
 * next fault. Not when a path (which holds it) came back, nor when a handler
 * set vmf->page's folio or keep_locked (the object then has another shape).
 */
export function vm_fault_reusable(vmf: VmFault, r: number | KPath<number>): boolean {
  return typeof r === 'number' && vmf.folio === undefined && vmf.keep_locked === undefined;
}

/**
 * handle_pte_fault on a file VMA: a present read-only PTE of a shared file
 * page, which maps an uptodate folio (reclaim unmaps a page before it evicts
 * it), takes a write fault to do_wp_page (wp_page_shared); otherwise
 * do_pte_missing -> do_fault.
 */
function handle_pte_fault_file(vmf: VmFault): number | KPath<number> {
  if ((vmf.flags & FAULT_FLAG_WRITE) !== 0 && file_pte_wrprotected(vmf)) return wp_page_shared(vmf);
  return do_fault(vmf);
}

/** handle_pte_fault: the file page's PTE is present and read-only (pte_present && !pte_write) in a shared VMA. */
function file_pte_wrprotected(vmf: VmFault): boolean {
  const vma = vmf.vma;
  return vma.vm_shared && vma.wrprotected.has(vmf.pgoff) && !vma.evicted.has(vmf.pgoff) &&
    vma.cache.get(vmf.pgoff)?.uptodate !== false;
}

/**
 * handle_pte_fault on an anonymous VMA: a swap entry goes to do_swap_page;
 * a present PTE is no do_anonymous_page (the spurious-fault path:
 * pte_mkyoung, return 0; a write to the zero page, do_wp_page, is not
 * modelled; anonymous PTEs are tracked only in uffd-missing VMAs);
 * otherwise do_pte_missing -> do_anonymous_page.
 */
function handle_pte_fault_anon(vmf: VmFault): number | KPath<number> {
  const vma = vmf.vma;
  vmf.uffd_missing = userfaultfd_missing(vma);
  if (vma.swapped.has(vmf.pgoff)) return do_swap_page(vmf);
  if (vmf.uffd_missing && vma.anon_present.has(vmf.pgoff)) return 0;
  return do_anonymous_page(vmf);
}

/** mm_account_fault: PGFAULT for every handle_mm_fault that did not return RETRY. */
export function mm_account_fault(ret: number): void {
  if ((ret & VM_FAULT_RETRY) === 0) count_vm_event(VmEvent.PGFAULT);
}
