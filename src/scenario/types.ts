/**
 * A scenario after validation and normalisation: every time in integer
 * nanoseconds, every default filled in, thread groups expanded. The file format
 * (YAML/JSON, with units such as "172us") is defined by ./schema.ts; this is
 * what the engines consume.
 */
import type { CostName } from '../model/index.js';

export const PRIORITY_CLASSES = ['USER_INTERACTIVE', 'USER_INITIATED', 'DEFAULT', 'UTILITY', 'BACKGROUND'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

/**
 * Android nice values per class (workload parameters §3.1 [S]; class mapping
 * [D]): what `faultline real` sets each thread to, and the load weight the
 * simulator's per-CPU run queues give it (sim/eevdf.ts class_weight).
 */
export const CLASS_NICE: Record<PriorityClass, number> = {
  USER_INTERACTIVE: -10,
  USER_INITIATED: -4,
  DEFAULT: 0,
  UTILITY: 4,
  BACKGROUND: 10,
};

/** A latency law; values in ns. */
export type Law =
  | { law: 'constant'; value: number }
  | { law: 'exponential'; mean: number }
  | { law: 'lognormal'; median: number; sigma: number }
  | { law: 'uniform'; min: number; max: number }
  /** Inverse CDF by linear interpolation between (percentile 0..100, ns) points; last point is p100. */
  | { law: 'empirical'; points: Array<[number, number]> };

/** Page states a fault can meet on a file VMA. */
export const FILE_PAGE_STATES = ['cached', 'absent', 'locked', 'writeback', 'writeback_unlocked'] as const;
/** Page states a fault can meet on an anonymous VMA. */
export const ANON_PAGE_STATES = ['zero', 'swapped', 'swapcache', 'swapcache_locked', 'swapcache_writeback'] as const;
export type PageState = (typeof FILE_PAGE_STATES)[number] | (typeof ANON_PAGE_STATES)[number];

export type Special = 'pfnmap' | 'mixedmap' | 'uffd_wp' | 'guard';

export interface VmaGroup {
  name: string;
  count: number;
  kind: 'file' | 'anon';
  shared: boolean;
  /** VM_WRITE now (mprotect may change it). */
  write: boolean;
  /** VM_MAYWRITE. */
  maywrite: boolean;
  exec: boolean;
  /** vma->anon_vma already set at start. */
  anon_vma: boolean;
  special: Special[];
  /** vm_ops->map_pages present (false: a driver ->fault that needs mmap_lock). */
  map_pages: boolean;
  /** VM_DONTCOPY (MADV_DONTFORK). */
  dontcopy: boolean;
  /** Size in pages of each VMA of the group (length === count). */
  pages: number[];
  /** Fraction of pages with a populated PTE (fork copy and munmap zap cost). */
  resident: number;
  /**
   * File readahead (absent: normal). normal: read-around of ra_pages (32);
   * random: MADV_RANDOM (VM_RAND_READ), no readahead; off: read_ahead_kb = 0
   * (ra_pages 0), no readahead.
   */
  readahead?: Readahead;
  /**
   * The file's ->page_mkwrite (shared file groups; absent: generic). none:
   * no callback (shmem, memfd, ashmem); generic: filemap_page_mkwrite / ext4
   * delalloc (no writeback wait); stable: the same with AS_STABLE_WRITES
   * (waits for writeback); f2fs: f2fs_vm_page_mkwrite (always waits).
   */
  page_mkwrite?: PageMkwriteKind;
  /**
   * With `memory:`, file groups: the fraction of each file's pages in the
   * page cache at the start (its first pages), charged like the resident
   * share of anonymous memory (absent: 0, a cold page cache).
   */
  cached?: number;
}

export const PAGE_MKWRITE_KINDS = ['none', 'generic', 'stable', 'f2fs'] as const;
export type PageMkwriteKind = (typeof PAGE_MKWRITE_KINDS)[number];

export const READAHEAD_MODES = ['normal', 'random', 'off'] as const;
export type Readahead = (typeof READAHEAD_MODES)[number];

interface OpBase {
  weight: number;
  /** Run the op this many times back to back ... */
  repeat: number;
  /** ... with this pause between repetitions (null: none). */
  gap: Law | null;
}
export interface FaultOp extends OpBase {
  op: 'fault';
  /** VMA group name. */
  vma: string;
  /**
   * read, write, or wp: a write to a shared file page already mapped
   * read-only (do_wp_page -> wp_page_shared) unless the page is not
   * resident (then its PTE is none: do_shared_fault).
   */
  access: 'read' | 'write' | 'wp';
  /**
   * random (absent): a random page of a random VMA of the group;
   * sequential: each thread walks the group's pages in address order,
   * wrapping around.
   */
  order?: 'random' | 'sequential';
  /** Weighted states the target page is in when no fault is already working on it. */
  states: Array<[PageState, number]>;
}
export interface RangeOp extends OpBase {
  op: 'mprotect' | 'madvise_dontneed';
  vma: string;
  pages: number;
  /** mprotect: the protection to set (split/merge as the kernel), or null (whole-VMA write lock, no flag change). */
  prot?: 'none' | 'r' | 'rw' | 'rx' | 'rwx' | null;
  /** mprotect with prot: mprotect the same pages back to their old protection right after (a pair). */
  restore?: boolean;
}
/** madvise(MADV_RANDOM / SEQUENTIAL / NORMAL) of `pages` pages: a vm_flags change (mm/madvise.c madvise_update_vma). */
export interface MadviseOp extends OpBase {
  op: 'madvise';
  vma: string;
  pages: number;
  advice: 'random' | 'sequential' | 'normal';
  /** A second madvise of the same pages back to their old advice follows at once (a pair). */
  restore: boolean;
}
/**
 * mremap of the last `pages` pages of a VMA (null: the whole VMA) to
 * `new_pages`, then the mremap that undoes it (the address space stays as
 * the scenario laid it out): shrink back, grow back in place, or move back
 * with MREMAP_FIXED.
 */
export interface MremapOp extends OpBase {
  op: 'mremap';
  vma: string;
  pages: number | null;
  new_pages: number;
  maymove: boolean;
  dontunmap: boolean;
}
export interface MunmapOp extends OpBase {
  op: 'munmap';
  vma: string;
  /** mmap(MAP_FIXED) of a new mapping over the VMA instead of munmap + mmap. */
  fixed?: boolean;
}
export interface ForkOp extends OpBase {
  op: 'fork';
}
/**
 * A reader of the mm that is not a fault (fs/proc/task_mmu.c): read
 * /proc/PID/maps, smaps or smaps_rollup of the scenario's process to the end.
 */
export interface ProcReadOp extends OpBase {
  op: 'proc_maps' | 'proc_smaps' | 'proc_smaps_rollup';
  /** proc_maps only: 'vma' (v6.17+, per-VMA locks) or 'mmap' (v6.16 and earlier: mmap_lock per chunk). */
  lock: 'vma' | 'mmap';
  /** VMAs per read(2) (one seq_file buffer): m_start .. m_stop. */
  chunk: number;
}
/** get_user_pages on `pages` pages of a VMA of the group (mm/gup.c). */
export interface GupOp extends OpBase {
  op: 'gup';
  vma: string;
  pages: number;
  access: 'read' | 'write';
  /** pinned: the caller holds mmap_lock, no retry; unlocked: get_user_pages_unlocked (FOLL_UNLOCKABLE). */
  mode: 'pinned' | 'unlocked';
  /** Weighted states each page is in before it is looked up (as a fault op's). */
  states: Array<[PageState, number]>;
}
export type OpSpec = FaultOp | RangeOp | MadviseOp | MremapOp | MunmapOp | ForkOp | ProcReadOp | GupOp;
export type OpName = OpSpec['op'] | 'mmap';

export interface ThreadSpec {
  /** Expanded name, e.g. "Binder:2". */
  name: string;
  /** Group name as written in the file (for "binder" groups of several threads). */
  group: string;
  class: PriorityClass;
  /** First operation starts after this (ns). */
  start: number;
  /** Pause before each op of the random mix (unused by a frame thread). */
  think: Law;
  /** The random op mix (empty for a frame thread). */
  ops: OpSpec[];
  /**
   * Latency laws for I/O this thread submits, overriding the scenario's
   * `io` (e.g. a cgroup whose I/O is throttled). Absent: the scenario's.
   */
  io?: ThreadIo;
  /** Per-frame work on a vsync clock instead of think + ops. */
  frame?: FrameSpec;
}

/** Per-thread I/O laws (see `ThreadSpec.io`). */
export interface ThreadIo {
  read?: Law;
  swap?: Law;
}

/**
 * A frame thread: at every vsync (start + k * period) it runs `ops` in order
 * (each op `repeat` times with `gap` between), then sleeps until the next
 * vsync; a frame that ends after the next vsync makes the thread skip the
 * vsyncs it missed. A frame's time is from its vsync to the end of its work.
 */
export interface FrameSpec {
  period: number;
  /** Deadlines (ns) a frame's time is checked against, largest first. */
  deadlines: number[];
  ops: OpSpec[];
}

/**
 * Process death: at `at`, SIGKILL reaches every thread of the process
 * (the model's fatal signal, src/model/sched.ts), and a reaper frees the
 * anonymous memory: the OOM reaper kthread (mmap_read_trylock, up to 10
 * tries HZ/10 apart) or lmkd's process_mrelease (mmap_read_lock_killable).
 */
export interface KillSpec {
  at: number;
  reaper: 'oom_reaper' | 'process_mrelease' | 'none';
  /** Delay from the kill to the reaper's first attempt (oom_reaper: OOM_REAPER_DELAY). */
  reaper_delay: number;
  /** Priority class of the reaper task (kthread or lmkd). */
  reaper_class: PriorityClass;
}

/**
 * The memory the scenario's page cache lives in (`memory:`), in 4 KiB pages;
 * null: no such limit. With it, the working set and the limits decide
 * whether a file page is in the page cache (no per-op `states` on file VMAs).
 */
export interface MemorySpec {
  /** memcg memory.max. */
  max: number | null;
  /** memcg memory.high. */
  high: number | null;
  /** Memory of the zone the memcg lives in: its watermarks wake kswapd. */
  total: number | null;
  /** Other resident memory charged alongside (other processes' and the app's unreclaimable share). */
  other: number;
  /** vm.swappiness / memory.swappiness (0-200): how reclaim splits its scanning between anon and file. */
  swappiness: number;
  /** vm.dirty_background_ratio and vm.dirty_ratio (%). */
  dirty_background_ratio: number;
  dirty_ratio: number;
  /** vm.dirty_writeback_centisecs and vm.dirty_expire_centisecs, in ns. */
  dirty_writeback: number;
  dirty_expire: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** File it came from, for messages. */
  source: string;
  /** Number of CPUs; null = unlimited. */
  cpus: number | null;
  /** Preempt a lower-priority running task when a higher one becomes runnable. */
  preempt: boolean;
  /**
   * Scheduler options; absent: one global run queue. per-cpu: EEVDF run
   * queues per CPU (sim/runqueues.ts); vcpu_pack: the calibration host's
   * wake-up packing (RqSched.rqRunOnCpu).
   */
  sched?: { runqueues: 'per-cpu'; vcpu_pack?: true };
  duration: number;
  warmup: number;
  seed: number;
  mmap_lock: { reader_wake: 'all' | 'prefix'; writer_spin?: boolean; lock_steal?: boolean };
  costs: Record<CostName, number>;
  /** Name of the cost profile the costs (and the swap-in law) come from, when one was applied (src/calibrate/profile.ts). */
  cost_profile?: string;
  /**
   * A fault's refill after a sleep by how long the thread slept, per kind
   * (the cost profile's `by_sleep` points: [sleep ns, refill ns], in sleep
   * order): the simulator interpolates between them instead of charging the
   * cost's single value (sim/user-fault.ts afterSleepNs). Absent: the value.
   */
  after_sleep_points?: Partial<Record<'fault_after_sleep' | 'cached_fault_after_sleep' | 'major_fault_after_sleep' | 'swapin_fault_after_sleep' | 'change_pte_after_sleep' | 'copy_pte_after_sleep', Array<[number, number]>>>;
  io: {
    read: Law;
    /**
     * The file read device is BLK_FEAT_SYNCHRONOUS (zram: zram_submit_bio
     * completes the bio in the submitter): the `read` law is CPU time of the
     * faulting task, no sleep and no wake-up.
     */
    read_synchronous: boolean;
    swap: Law;
    /** Swap device is SWP_SYNCHRONOUS_IO (zram): `swap` law is CPU time on the faulting CPU. */
    swap_synchronous: boolean;
    writeback: Law;
    folio_lock_hold: Law;
    /**
     * Device read bandwidth in MB/s (10^6 bytes/s): a read request of n pages
     * takes the `read` law plus (n - 1) x 4 KiB / bandwidth. Absent: every
     * read takes the `read` law whatever its size.
     */
    read_bandwidth?: number;
  };
  vmas: VmaGroup[];
  threads: ThreadSpec[];
  /** Process death at a given time (absent: the process lives for the whole run). */
  kill?: KillSpec;
  /** Memory limits and reclaim (absent: page states are drawn per op). */
  memory?: MemorySpec;
}
