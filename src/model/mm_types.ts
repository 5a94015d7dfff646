/**
 * The mm state: `struct mm_struct`, `struct vm_area_struct`, `struct folio`
 * (include/linux/mm_types.h), with only the fields the locking protocol reads.
 * Locks live in the structures that own them, as in the kernel.
 */
import { mutableFields, objectArray } from './shapes.js';
import { block, type BlockEffect, type Task, type WaitResource } from './effects.js';
import { hooks } from './custom.js';
import { RwSemaphore, type ReaderWake } from './rwsem.js';
import { IndexSet, XArray } from './xarray.js';
import { FilePtes } from './file_ptes.js';
import { MapleTree } from './maple_tree.js';
import type { FaultStrategy, ForkStrategy } from './strategy.js';
import type { MemCgroup } from './memcontrol.js';
import type { PteTable } from './pgtable.js';
import type { MemPolicy } from './mempolicy.js';
import type { AddressSpace } from './khugepaged.js';

export * from './mm_flags.js';
export * from './folio.js';
import { VM_SHARED } from './mm_flags.js';
import type { Folio } from './folio.js';

/**
 * `struct anon_vma` (include/linux/rmap.h), the counters of v6.2+ (2555283eb40d
 * "mm/rmap: Fix anon_vma->degree ambiguity leading to double-reuse"), kept by
 * v7.0: `refcount` (1 from anon_vma_alloc, dropped by put_anon_vma when the
 * last anon_vma_chain leaves the interval tree; children pin their root),
 * `num_children` (anon_vmas whose ->parent is this one, itself included for a
 * root), `num_active_vmas` (VMAs whose ->anon_vma is this one). `root` holds
 * the rwsem every anon_vma_lock_write takes. Functions: rmap.ts.
 *
 * Model-only: `vmas` stands for the interval tree `rb_root` (the VMAs linked
 * by an anon_vma_chain, in link order); `freed`: anon_vma_free ran (the slab
 * is SLAB_TYPESAFE_BY_RCU; the model never reuses a freed anon_vma).
 */
export class AnonVma {
  refcount = 1;
  num_children = 0;
  num_active_vmas = 0;
  root: AnonVma;
  parent: AnonVma;
  readonly vmas: VmAreaStruct[] = [];
  /** Model-only: the VMAs mapping folios whose folio->mapping is this anon_vma (the reverse of VmAreaStruct.folio_anon_vmas). */
  readonly folio_vmas: VmAreaStruct[] = [];
  freed = false;
  /** anon_vma->rwsem: only the root's is taken (anon_vma_lock_write / folio_lock_anon_vma_read lock anon_vma->root->rwsem; rmap.ts). */
  readonly rwsem: RwSemaphore;
  /** anon_vma_alloc (mm/rmap.c): refcount 1, root and parent itself. */
  constructor(readonly id: number) {
    this.rwsem = new RwSemaphore(`anon_vma[${id}]->rwsem`);
    this.root = this;
    this.parent = this;
    hooks.object_created(this); // model-only (custom.ts)
  }
  get label(): string {
    return `anon_vma[${this.id}]`;
  }
}

/** include/linux/pagemap.h VM_READAHEAD_PAGES: 128 KiB of 4 KiB pages. */
export const VM_READAHEAD_PAGES = 32;
/** mm/filemap.c MMAP_LOTSAMISS: read-around stops above this many net misses. */
export const MMAP_LOTSAMISS = 100;

/**
 * `struct file_ra_state` (include/linux/fs.h): the readahead window and the
 * mmap miss counter of one open file. The model has one `struct file` per
 * file VMA (vma->vm_file->f_ra), so two VMAs never share a window.
 */
export class FileRaState {
  start = 0;
  size = 0;
  async_size = 0;
  mmap_miss = 0;
  /** bdi->ra_pages (read_ahead_kb / 4); 0 = readahead off. */
  constructor(public ra_pages: number = VM_READAHEAD_PAGES) {}
}

/**
 * `struct vm_area_struct`. The per-VMA lock is `vm_refcnt` + `vm_lock_seq`
 * (include/linux/mmap_lock.h); here `nrReaders` counts read-lock holders,
 * `excludeReaders` is VM_REFCNT_EXCLUDE_READERS_FLAG set by a waiting writer,
 * and `detached` is vm_refcnt == 0.
 *
 * Lifetime (mm/vma_init.c vm_area_alloc / vm_area_dup / vm_area_free): the
 * object comes from vm_area_cachep, which is SLAB_TYPESAFE_BY_RCU, so a freed
 * VMA's memory may become another VMA at once while RCU readers still hold
 * the pointer. `freed` is model-only: the object is in the cache's free list
 * (`MmStruct.vm_area_cachep`); `vm_area_init` re-initialises a reused object,
 * so every field below except `lockClass`, `mm` and `bw` (the wait effect) can change.
 * `gen` (model-only) counts the object's lives: a lookup that remembers it
 * can tell that the object it found is no longer the VMA it found.
 */
export class VmAreaStruct implements WaitResource {
  readonly lockClass = 'vma_lock' as const;
  /**
   * vma->vm_mm. Fixed for one life of the object; a freed object reused by
   * another mm (vm_area_cachep is one cache for every mm) gets that mm.
   */
  mm: MmStruct;
  vm_lock_seq = -1;
  nrReaders = 0;
  /**
   * The CPU that wrote `vm_refcnt`'s cache line last (model/lock_line.ts;
   * -1: none). Written only through the simulator's lock-line hook; -1 in
   * every checker state (check/track-plan.ts IGNORED). A reused object
   * keeps it: the same memory.
   */
  line_cpu = -1;
  readonly readers: Task[] = objectArray(); // object elements from the start: vma_start_read's push is compiled for them once (not a Smi deopt)
  excludeReaders = false;
  /** The writer sleeping on mm->vma_writer_wait for this VMA's readers. */
  writerWaiting: Task | null = null;
  detached = false;
  /** Model-only: the object is free in vm_area_cachep (vm_area_free ran). */
  freed = false;
  /** Model-only: lives of this object (vm_area_alloc / vm_area_dup on reuse add one). */
  gen = 0;
  anon_vma: AnonVma | null = null;
  vm_policy: MemPolicy | null = null; // vma->vm_policy (mempolicy.ts); NULL: the default policy
  /**
   * vma->anon_vma_chain: the anon_vmas this VMA is linked to (one
   * anon_vma_chain each, newest first as the kernel's list_add; rmap.ts).
   */
  anon_vma_chain: AnonVma[] = [];
  /**
   * Model-only: the anon_vmas that anonymous folios mapped in this VMA point
   * to (folio->mapping, set by folio_add_new_anon_rmap to vma->anon_vma);
   * moved with the PTEs (mremap's move_page_tables), dropped when they are
   * zapped. An rmap walk from such a folio must find this VMA through the
   * anon_vma, so the anon_vma must outlive the mapping (rmap.ts put_anon_vma).
   */
  folio_anon_vmas: AnonVma[] = [];
  /** vma->vm_pgoff: page offset of vm_start in the file (anon: in the mapping's page state). */
  vm_pgoff = 0;
  /**
   * vma->vm_file->f_mapping, as far as khugepaged needs it (its
   * i_mmap_rwsem; khugepaged.ts): set by the checker on a scenario's file
   * VMAs when a khugepaged op runs, shared by the pieces of a split mapping;
   * null otherwise (the simulator, anonymous VMAs).
   */
  mapping: AddressSpace | null = null;
  /**
   * Page cache of the backing file (file VMAs) or swap cache (anon), by pgoff:
   * only folios that are, or were recently, in use. A file page with no entry
   * here is uptodate in the page cache unless it is in `evicted`. Shared by
   * the pieces of a split mapping (the same file: vm_area_dup).
   */
  cache: XArray<Folio>;
  /** File pgoffs not in the page cache (a fault on them must read). */
  evicted: IndexSet;
  /** pgoffs whose PTE is a swap entry (anon). */
  swapped: IndexSet;
  /**
   * pgoffs whose anonymous PTE is present (the zero page or a folio), kept
   * only where something reads it: in a VMA registered for missing
   * userfaults (userfaultfd_missing: a none PTE is delivered to user space;
   * userfaultfd_fs.ts), and by the userfaultfd ioctls. Shared by the pieces
   * of a split mapping, like `swapped`.
   */
  anon_present: IndexSet;
  /** vma->vm_file->f_ra (file VMAs; unused for anon); shared by the pieces of a split mapping. */
  f_ra: FileRaState;
  /** vma->vm_ops->page_mkwrite of the file (shared file VMAs). */
  page_mkwrite: PageMkwrite = 'generic';
  /**
   * File pgoffs whose PTE maps the page read-only (pte_present &&
   * !pte_write): a write there is do_wp_page, not do_fault. Only shared-file
   * `wp` accesses set it (the model does not otherwise track file PTEs).
   * Shared by the pieces of a split mapping, like the page cache.
   */
  wrprotected: IndexSet;
  /**
   * Model-only: file pgoffs whose PTE is present (mapped by a fault or by
   * fault-around's walk), kept only while fault-around's charges are
   * installed (fault_around.ts: a cached neighbour whose PTE is none costs
   * the walk set_pte_range); empty otherwise. Cleared for a page whose state
   * a fault draws (set_page_state: `faultline real`'s load generator zaps the
   * page's PTE first), by MADV_DONTNEED, by reclaim's eviction and for a
   * page readahead adds to the page cache. Shared by the pieces of a split
   * mapping, like the page cache.
   */
  file_ptes: FilePtes;
  /**
   * Model-only: present anonymous PTEs that are writable (PageAnonExclusive),
   * i.e. written since the last fork copied this VMA: the ones fork must
   * write-protect (Cost.wrprotect_pte). The scenario's resident pages of a
   * writable anonymous VMA start writable (the generator wrote them); each
   * anonymous write fault that maps a page adds one; dup_mmap's copy and an
   * mprotect removing VM_WRITE reset it. Affects timing only.
   */
  anon_ptes_writable = 0;
  /**
   * Model-only: PTEs anonymous faults mapped in this VMA since it was
   * created (a fault's page state is drawn per fault, so this only counts):
   * with `resident`, the share of a range likely to have present PTEs, for
   * whether a TLB flush has anything to flush (tlb.ts ptes_changed).
   */
  anon_ptes_mapped = 0;
  /** The vma_start_write wait effect, made on first use (most VMAs never have a writer wait). */
  private bw: BlockEffect | null = null;
  label: string;

  constructor(
    mm: MmStruct,
    public id: number,
    public group: string,
    public vm_start: number,
    public vm_end: number,
    public vm_flags: number,
    public vm_file: boolean,
    /** vm_ops->map_pages present (vmf_can_call_fault); true for ordinary files. */
    public has_map_pages: boolean,
    /** Fraction of pages with a populated PTE, for copy_page_range cost. */
    public resident: number,
    /** bdi->ra_pages of the backing file (VM_READAHEAD_PAGES unless read_ahead_kb was changed). */
    ra_pages: number = VM_READAHEAD_PAGES,
  ) {
    this.mm = mm;
    this.label = `vma[${id}:${group}]`;
    this.f_ra = new FileRaState(ra_pages);
    this.cache = new XArray<Folio>();
    this.evicted = new IndexSet();
    this.swapped = new IndexSet();
    this.anon_present = new IndexSet();
    this.wrprotected = new IndexSet();
    this.file_ptes = new FilePtes();
    mutableFields(this, ['excludeReaders', 'writerWaiting', 'bw']); // first written by a rare vma_start_write (shapes.ts)
    hooks.object_created(this); // model-only (custom.ts)
  }
  /** The effect a writer yields to sleep until the VMA's readers leave (vma_start_write). */
  get blockWrite(): BlockEffect {
    return (this.bw ??= block(this, 'vma_start_write'));
  }
  get pages(): number {
    return this.vm_end - this.vm_start;
  }
  get vm_shared(): boolean {
    return (this.vm_flags & VM_SHARED) !== 0;
  }
  /** linear_page_index: the page offset of user address `addr` (in pages). */
  pgoff_of(addr: number): number {
    return addr - this.vm_start + this.vm_pgoff;
  }
  blockers(_waiter: Task, out: Task[]): void {
    for (const r of this.readers) out.push(r);
  }
  /** vma_start_write_killable on a fatal signal (__vma_exit_locked): stop excluding readers. */
  cancel_wait(t: Task): boolean {
    if (this.writerWaiting !== t) return false;
    this.writerWaiting = null;
    this.excludeReaders = false;
    return true;
  }
}

/**
 * The file's `vm_ops->page_mkwrite` (B.1-B.6 of
 * ../shared/kernel/memory-and-vma.md): none (shmem/memfd/ashmem: no
 * callback), generic (filemap_page_mkwrite, ext4's block_page_mkwrite:
 * folio_wait_stable waits only with AS_STABLE_WRITES, which this is
 * without), stable (the same on a mapping with AS_STABLE_WRITES: waits for
 * writeback), f2fs (f2fs_vm_page_mkwrite: always waits for writeback).
 */
export type PageMkwrite = 'none' | 'generic' | 'stable' | 'f2fs';

/** DEFAULT_MAX_MAP_COUNT (include/linux/mm.h): USHRT_MAX - MAPCOUNT_ELF_CORE_MARGIN. */
export const DEFAULT_MAX_MAP_COUNT = 65530;

/** `struct mm_struct`. */
export class MmStruct {
  readonly mmap_lock: RwSemaphore;
  /** Odd while mmap_lock is write-held (mm->mm_lock_seq). */
  mm_lock_seq = 0;
  /** mm->mm_mt: the VMA tree (maple_tree.ts). */
  readonly mm_mt = new MapleTree();
  /**
   * mm->mm_users (include/linux/mm_types.h): users of the address space
   * (mmget / mmput); the last mmput runs exit_mmap and drops the mm_count
   * reference the users hold together (mm_lifetime.ts).
   */
  mm_users = 1;
  /** mm->mm_count: references to the mm_struct itself (mmgrab / mmdrop); 0 frees it (__mmdrop). */
  mm_count = 1;
  /** Model-only: __mmdrop ran (the mm_struct went back to mm_cachep); a path that touches it now is a use-after-free. */
  freed = false;
  /** Model-only: the name of the process (check scenarios with more than one mm; '' for the only one). */
  readonly comm: string;
  /** mm->map_count */
  map_count = 0;
  /**
   * sysctl_max_map_count (/proc/sys/vm/max_map_count; a global sysctl, kept
   * per mm here): split_vma, munmap's split and mmap fail with -ENOMEM at
   * the limit (vma.ts). Check scenarios may lower it (`mm: { max_map_count }`).
   */
  max_map_count = DEFAULT_MAX_MAP_COUNT;
  /**
   * The pmd entries that point to a PTE table, by pmd_index (pgtable.ts;
   * one level: the PMD table and the levels above are not objects).
   */
  readonly pgtables = new Map<number, PteTable>();
  nextVmaId = 0;
  nextAnonVmaId = 0;
  /**
   * Model-only (mremap.ts move_page_tables): the PTE move of an mremap in
   * progress, from move_vma's copy_vma until the source is unmapped: the
   * PTEs of [pte_move_old, pte_move_old + pte_move_len) go to
   * [pte_move_new, ...), the first `pte_move_done` pages of it have moved.
   * Which VMA holds an anonymous PTE during the move, for an rmap walk
   * (rmap_walk.ts anon_pte_present); -1 / 0 when no move is in progress.
   */
  pte_move_old = -1;
  pte_move_new = -1;
  pte_move_len = 0;
  pte_move_done = 0;
  /** The swap device is SWP_SYNCHRONOUS_IO (zram): swap-in runs on the faulting CPU. */
  swapSynchronous = false;
  /**
   * The file read device is BLK_FEAT_SYNCHRONOUS (bdev_synchronous: zram):
   * submit_bio completes a read in the submitting task (submit_read_bio).
   */
  readSynchronous = false;
  /** The memory cgroup charged for this mm's page cache (scenario `memory:`), or null: page states are drawn per op. */
  memory: MemCgroup | null = null;
  /**
   * The userfaultfd context's wait queues (fs/userfaultfd.c; the model has
   * one context per mm, userfaultfd_fs.ts): each task in handle_userfault,
   * by fault address (pages), on ctx->fault_pending_wqh until the monitor's
   * read() takes its message, then on ctx->fault_wqh (the refile), in the
   * order they were queued.
   */
  readonly uffd_fault_pending_wqh = new Map<Task, number>();
  readonly uffd_fault_wqh = new Map<Task, number>();
  /** Model-only: the tasks of those queues that went to sleep (schedule() in handle_userfault). */
  readonly uffd_sleeping = new Set<Task>();
  /** ctx->fd_wqh: monitor threads asleep in read() (userfaultfd_ctx_read) waiting for a message. */
  readonly uffd_fd_wqh = new Set<Task>();

  constructor(
    readonly fault: FaultStrategy,
    readonly fork: ForkStrategy,
    readerWake: ReaderWake = 'all',
    /**
     * Model-only: freed VMA objects of vm_area_cachep (SLAB_TYPESAFE_BY_RCU),
     * most recently freed last. The kernel has one cache for every mm; the
     * checker passes one array to all the mms of a scenario, so an object
     * freed by one mm may be reused by another (docs/fidelity.md).
     */
    readonly vm_area_cachep: VmAreaStruct[] = [],
    comm = '',
  ) {
    this.comm = comm;
    this.mmap_lock = new RwSemaphore(comm === '' ? 'mm->mmap_lock' : `mm(${comm})->mmap_lock`, readerWake);
    hooks.object_created(this); // model-only (custom.ts)
  }

  /** The VMAs in address order (for_each_vma), read-only: change the tree with link / unlink. */
  get vmas(): readonly VmAreaStruct[] {
    return this.mm_mt.entries;
  }
  /**
   * vma_lookup / mas_walk: the VMA containing `addr`, or null. `hint`: a
   * guess of its index in the tree (MapleTree.walkFrom), or -1.
   */
  find_vma(addr: number, hint = -1): VmAreaStruct | null {
    return hint < 0 ? this.mm_mt.walk(addr) : this.mm_mt.walkFrom(addr, hint);
  }
  /** vma_link / vma_iter_store_new: insert into the tree. */
  link(vma: VmAreaStruct): void {
    this.mm_mt.store(vma);
    vma.detached = false; // vma_mark_attached
    this.map_count++;
  }
  /** Remove from the tree (vma_iter_clear in vms_complete_munmap_vmas). */
  unlink(vma: VmAreaStruct): void {
    if (!this.mm_mt.has(vma)) return;
    this.mm_mt.erase(vma);
    this.map_count--;
  }
}
