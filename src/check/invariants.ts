/**
 * The checked properties. Each has a name (for --invariant / --no-invariant),
 * the property from shared/kernel/locking.md §5.x it encodes, and the kernel
 * code it protects. State invariants (checkVmaObs) are evaluated after every
 * step that wrote a field they read, as part of that step's footprint; event
 * invariants are evaluated by the observation hooks (src/model/custom.ts) at
 * the kernel step where the event happens, inside the step's tracking.
 */
import { vma_is_write_locked, type Task, type VmAreaStruct } from '../model/index.js';

export interface InvariantInfo {
  readonly name: string;
  /** Property id in shared/kernel/locking.md §5.x. */
  readonly ref: string;
  readonly summary: string;
  readonly kernel: string;
}

export const INVARIANTS = [
  {
    name: 'deadlock', ref: 'liveness',
    summary: 'deadlock freedom: the run never reaches a state where a thread is asleep and nothing (thread or I/O completion) can run',
    kernel: 'rwsem wait queues (kernel/locking/rwsem.c), vma_start_write rcuwait (mm/mmap_lock.c), folio_wait_bit_common (mm/filemap.c)',
  },
  {
    name: 'vma-write-exclusion', ref: 'I1/I2',
    summary: 'no thread holds a VMA read lock on a VMA that another thread holds write-locked, or is changing in a section that relies on the write lock (mprotect_fixup/change_protection; dup_mmap copy_page_range when the fork strategy locks the VMA); every VMA whose range, flags or anon_vma a VMA operation changes (split, merge, mprotect) is write-locked by that writer when it changes (F-I3)',
    kernel: 'vma_start_write / vma_start_read (include/linux/mmap_lock.h, mm/mmap_lock.c); vma_assert_write_locked callers',
  },
  {
    name: 'fork-copy-stability', ref: 'I3/I7',
    summary: "no page-table change (a fault's set_pte_at, zap_page_range_single) on a VMA while dup_mmap copies it (copy_page_range)",
    kernel: 'dup_mmap / copy_page_range / vma_needs_copy (mm/mmap.c, mm/memory.c); fb49c455323f',
  },
  {
    name: 'fork-copy-complete', ref: 'I7',
    summary: 'a child must end with every page table vma_needs_copy says it needs: dup_mmap calls copy_page_range for every parent VMA with an anon_vma or in VM_COPY_ON_FORK (PFN/mixed maps, uffd-wp, guard regions)',
    kernel: 'dup_mmap / copy_page_range / vma_needs_copy (mm/mmap.c, mm/memory.c)',
  },
  {
    name: 'anon-vma', ref: 'I5/I6',
    summary: 'an anon_vma is installed only under mmap_lock, no anonymous page is copied into a child VMA that anon_vma_fork left without an anon_vma, and an rmap walk of a folio finds every VMA that maps it (each is linked to the folio\'s anon_vma: anon_vma_clone, anon_vma_fork) and observes its PTE where mremap moves it (the old or the new one: take_rmap_locks)',
    kernel: '__vmf_anon_prepare (mm/memory.c), __anon_vma_prepare / anon_vma_fork / anon_vma_clone / rmap_walk_anon (mm/rmap.c), copy_vma need_rmap_locks / move_ptes take_rmap_locks (mm/vma.c, mm/mremap.c)',
  },
  {
    name: 'detached-vma', ref: 'I10',
    summary: 'no fault proceeds on a detached (unmapped) VMA: no VMA read lock on it, no PTE set in it',
    kernel: 'vma_mark_detached / vma_start_read -EAGAIN (include/linux/mmap_lock.h)',
  },
  {
    name: 'use-after-free', ref: 'F-I1/I10',
    summary: 'a path that looked a VMA up and locked it works only on that VMA: not on a freed object, nor on one freed and reused (SLAB_TYPESAFE_BY_RCU) or changed since the lookup (another mm, detached, no longer covering the address); and no path touches an mm_struct after its last mm_count reference was dropped (__mmdrop), nor walks a page table free_pgtables freed (or retract_page_tables freed before its walkers left their RCU read sections); no path locks or puts a freed anon_vma, and no anon_vma is freed while folios mapped in a VMA still point to it (folio->mapping; in a scenario with rmap walks, reported where a walk uses it after folio_lock_anon_vma_read, as KASAN reports it), and an rmap walk visits no freed VMA',
    kernel: 'lock_vma_under_rcu re-checks (mm/mmap_lock.c), vma_start_read vm_mm check and err_unstable mmgrab (include/linux/mmap_lock.h), vm_area_cachep SLAB_TYPESAFE_BY_RCU (mm/vma_init.c), mmgrab/mmdrop (include/linux/sched/mm.h), free_pgtables / pte_offset_map_lock / pte_free_defer (mm/memory.c, mm/pgtable-generic.c), retract_page_tables (mm/khugepaged.c), put_anon_vma/anon_vma_free, folio_lock_anon_vma_read (mm/rmap.c)',
  },
  {
    name: 'use-after-unlock', ref: 'I1/I10',
    summary: 'a path works on a VMA (handle_mm_fault, zap_page_range_single, a read of its fields) only while it holds that VMA\'s read lock or the mmap_lock: not after its own path (or a callee, on VM_FAULT_RETRY) dropped it',
    kernel: 'vma_assert_locked (include/linux/mmap_lock.h); the VM_FAULT_RETRY contract of handle_mm_fault (the lock is released)',
  },
  {
    name: 'lock-order', ref: 'lockdep',
    summary: 'lock classes (mmap_lock, vma_lock, anon_vma, i_mmap_rwsem, fs_reclaim) are taken in one order in the whole execution: a blocking acquisition of class B while holding class A adds A -> B (lockdep), and an edge that closes a cycle of any length is reported even if no deadlock happened',
    kernel: 'kernel/locking/lockdep.c (check_noncircular); the vmlock_dep_map annotations of __vma_enter_locked / vma_start_read (mm/mmap_lock.c); __fs_reclaim_map (mm/page_alloc.c)',
  },
  {
    name: 'lock-release', ref: 'I8',
    summary: 'locks are released only by their holder, and never twice (up_read, up_write, downgrade_write, vma_end_read, folio_unlock)',
    kernel: 'rwsem.c up_read/up_write DEBUG_RWSEMS checks; vma_refcount_put; folio_unlock VM_BUG_ON_FOLIO(!folio_test_locked)',
  },
  {
    name: 'bounded-retries', ref: 'L3',
    summary: 'every fault completes within the scenario\'s bound on VM_FAULT_RETRY returns (max_retries, default 3)',
    kernel: 'do_user_addr_fault retry loops (arch/x86/mm/fault.c), FAULT_FLAG_TRIED',
  },
] as const satisfies readonly InvariantInfo[];

export type InvariantName = (typeof INVARIANTS)[number]['name'];
/** Model assertions (an exception from a kernel path that is not a lock release) are always on. */
export type ViolationKind = InvariantName | 'model-assertion';

export const INVARIANT_NAMES: readonly InvariantName[] = INVARIANTS.map((i) => i.name);

export function isInvariantName(s: string): s is InvariantName {
  return (INVARIANT_NAMES as readonly string[]).includes(s);
}

export interface Violation {
  readonly invariant: ViolationKind;
  readonly message: string;
}

/**
 * Per-VMA observation record (model-only state the hooks keep; instrumented
 * like model objects, so the reduction sees hook reads and writes).
 */
export class VmaObs {
  /** Task copying this VMA in dup_mmap (copy_page_range window), or -1. */
  copyBy = -1;
  /** The fork strategy write-locks this VMA for the copy (vma_assert_write_locked). */
  copyLocked = false;
  /** Task in mprotect_fixup/change_protection on this VMA, or -1. */
  changeBy = -1;
  /** Tasks zapping this VMA's PTEs (MADV_DONTNEED), count and last one. */
  zapN = 0;
  zapBy = -1;
  /** anon_vma_fork result for the child's copy: -1 not forked, 0 none, 1 present. */
  childAnonVma = -1;
  /** Page offsets whose PTE maps an anonymous folio. */
  readonly anonPtes = new Set<number>();
  constructor(readonly vma: VmAreaStruct) {}
}

type Namer = (id: number) => string;

/** I1 and I10 on every VMA (the state after a step, or the initial state). */
export function checkVmaState(obs: readonly VmaObs[], on: ReadonlySet<InvariantName>, name: Namer): Violation | null {
  for (const o of obs) {
    const bad = checkVmaObs(o, on, name);
    if (bad !== null) return bad;
  }
  return null;
}

/**
 * I1 and I10 on one VMA. The checker evaluates it after a step with its reads
 * tracked (Tracker.probe): a step that wrote a field this evaluation read may
 * have changed its value, and then the reads join the step's footprint (see
 * docs/checker.md, "Why the reduction keeps every violation").
 */
export function checkVmaObs(o: VmaObs, on: ReadonlySet<InvariantName>, name: Namer): Violation | null {
  const v = o.vma;
  const readers = v.readers as readonly Task[];
  if (readers.length === 0) return null;
  if (on.has('detached-vma') && v.detached) {
    return { invariant: 'detached-vma', message: `${name(readers[0]!.id)} holds the VMA read lock of ${v.label}, which is detached (unmapped)` };
  }
  if (!on.has('vma-write-exclusion')) return null;
  for (const r of readers) {
    if (vma_is_write_locked(v)) {
      const w = v.mm.mmap_lock.writer;
      return {
        invariant: 'vma-write-exclusion',
        message: `${name(r.id)} holds the VMA read lock of ${v.label} while ${w !== null ? name(w.id) : 'the mmap writer'} holds it write-locked (vma_start_write)`,
      };
    }
    if (o.copyBy >= 0 && o.copyLocked && o.copyBy !== r.id) {
      return {
        invariant: 'vma-write-exclusion',
        message: `${name(r.id)} holds the VMA read lock of ${v.label} while ${name(o.copyBy)} copies it in dup_mmap relying on the VMA write lock (copy_page_range)`,
      };
    }
    if (o.changeBy >= 0 && o.changeBy !== r.id) {
      return {
        invariant: 'vma-write-exclusion',
        message: `${name(r.id)} holds the VMA read lock of ${v.label} while ${name(o.changeBy)} changes it in mprotect_fixup/change_protection relying on the VMA write lock`,
      };
    }
  }
  return null;
}
