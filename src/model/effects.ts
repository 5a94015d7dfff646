/**
 * Effects: what a kernel path yields to the engine that runs it.
 *
 * A kernel path is a generator function (`function*`) that reads like the C it
 * models and yields an effect wherever the real code can block, burn CPU, submit
 * I/O, or touch state another thread can see (a scheduling point for the checker).
 * Effects are plain data; the simulator (src/sim) gives them durations, the
 * checker (src/check) treats each one as a choice point.
 *
 * Hot-path rule: effects that carry no per-call data are preallocated constants,
 * so the common fault path allocates nothing per step.
 */
import type { Folio } from './mm_types.js';
import { doubleFields } from './shapes.js';

/** Effect kinds (numeric for a cheap switch in the engine's hot loop). */
export const enum EffectKind {
  /** A scheduling point: shared state is read or written right after it. */
  POINT = 0,
  /** Run on a CPU for a scenario-defined cost (see `CostName`). */
  CPU = 1,
  /**
   * Run on a CPU for a duration drawn from an I/O law: a read a synchronous
   * device completes in the submitting task (zram swap-in, SWP_SYNCHRONOUS_IO;
   * a file read on a BLK_FEAT_SYNCHRONOUS block device). `n` > 1 (a read law's
   * readahead window) adds the pages' transfer time as SUBMIT does.
   */
  CPU_LAW = 2,
  /** Sleep off-CPU (user-space think time; not a kernel step). */
  SLEEP = 3,
  /** The current task has queued itself on `res` and sleeps until woken. */
  BLOCK = 4,
  /** Submit asynchronous work (bio) completing after a law-drawn latency. */
  SUBMIT = 5,
  /**
   * Run a nested path on the task's own stack and resume with its return
   * value: `const r = yield call(path)` is `const r = yield* path` without the
   * per-resume cost of generator delegation (used by workload drivers).
   */
  CALL = 6,
}

/** CPU cost names; values come from the scenario's `costs` section. */
export const enum Cost {
  handle_mm_fault = 0,
  fault_retry = 1,
  anon_vma_prepare = 2,
  do_anonymous_page = 3,
  mprotect_fixup = 4,
  change_pte = 5,
  munmap_vma = 6,
  zap_pte = 7,
  dup_vma = 8,
  copy_pte = 9,
  do_mmap = 10,
  madvise_vma = 11,
  exit_vma = 12,
  /** Reclaim: per folio scanned (isolation, folio_check_references). */
  pgscan = 13,
  /** Reclaim: per clean page-cache folio freed (__remove_mapping, shadow, free). */
  pgsteal = 14,
  /** Reclaim: per anonymous folio written to zram (compression, with the folio locked). */
  swap_out = 15,
  /**
   * A file VMA's fault beyond the common floor, on its first attempt: the
   * page-cache lookup and fault-around mapping (mm/memory.c do_read_fault ->
   * do_fault_around -> filemap_map_pages, or __do_fault -> filemap_fault).
   * Default 0 (the built-in model charges handle_mm_fault alone); a cost
   * profile sets it (src/calibrate/fit.ts).
   */
  do_read_fault = 16,
  /**
   * fork's work outside dup_mmap (kernel/fork.c copy_process: dup_task_struct,
   * copy_files, copy_sighand, copy_signal, sched_fork, copy_thread, and
   * wake_up_new_task after), charged before mmap_write_lock, not under it.
   * Default 0; the simulator's fork driver then yields nothing for it, so the
   * built-in outputs are unchanged. A cost profile sets it.
   */
  copy_process = 17,
  /**
   * Not a CPU cost: the delay from wake_up_process (kernel/sched/core.c
   * try_to_wake_up: the wake-up IPI, the target CPU leaving idle, the context
   * switch) until a woken task runs again. The simulator applies it to every
   * lock hand-over and I/O completion wake-up. Default 0 (the woken task is
   * runnable at once, as before); a cost profile measures it.
   */
  wakeup = 18,
  /** /proc/PID/maps: one VMA's line (show_map_vma). */
  show_map = 19,
  /** /proc/PID/smaps: one VMA's entry besides its page walk (show_smap's formatting). */
  show_smap = 20,
  /** smaps / smaps_rollup page walk: per present PTE (smaps_pte_range -> smaps_account). */
  smaps_pte = 21,
  /** get_user_pages: per page looked up (follow_page_mask) besides any fault. */
  gup_page = 22,
  /** __split_vma: vm_area_dup, the maple-tree store, the anon_vma / i_mmap updates (per split). */
  split_vma = 23,
  /** commit_merge: the range updates, tree store and removal of the merged-away VMAs (per merge). */
  merge_vma = 24,
  /**
   * fork, per parent VMA with an anon_vma (mm/mmap.c dup_mmap -> mm/rmap.c
   * anon_vma_fork: anon_vma_clone, anon_vma_alloc, anon_vma_chain_link under
   * the root's lock), with copy_page_range's per-VMA fixed part (mm/memory.c
   * copy_page_range: mmu_notifier_invalidate_range_start and the
   * write_protect_seq section for a COW mapping, the pgd/p4d/pud/pmd walk).
   * Default 0; a cost profile fits it (`fork-vmas-anon`).
   */
  anon_vma_fork = 25,
  /**
   * fork, per populated PTE table a copied VMA spans (mm/memory.c
   * copy_pmd_range skips pmd_none; copy_pte_range: pte_alloc_map_lock of the
   * child's table, both page-table locks, the scan of the table's entries,
   * pte_none ones skipped cheaply). Default 0; a cost profile fits it
   * (`fork-tables`).
   */
  copy_pte_range = 26,
  /**
   * fork, per present anonymous PTE that is still writable (written since
   * the last fork), on top of copy_pte: mm/memory.c __copy_present_ptes
   * write-protects it in the parent (wrprotect_ptes, is_cow_mapping &&
   * pte_write) and folio_try_dup_anon_rmap_ptes clears PageAnonExclusive.
   * Default 0; a cost profile fits it (`fork-anon-dirty`).
   */
  wrprotect_pte = 27,
  /**
   * A TLB shoot-down's cost per remote CPU running a thread of the mm
   * (arch/x86/mm/tlb.c flush_tlb_mm_range -> native_flush_tlb_multi: a
   * synchronous IPI to each CPU of mm_cpumask not in lazy-TLB mode, the
   * initiator waiting for each flush_tlb_func). Paid by mprotect, munmap,
   * madvise(DONTNEED), mremap (when present PTEs changed) and fork
   * (flush_tlb_mm in dup_mmap). Default 0; a cost profile fits it (`tlb-remote`).
   */
  flush_tlb_multi = 28,
  /**
   * fork, per present PTE of a copied private file VMA (it has an anon_vma),
   * on top of copy_pte: mm/memory.c copy_present_ptes on a file folio
   * (folio_dup_file_rmap_ptes in place of the anonymous rmap; a read-only PTE
   * is not write-protected). Default 0; a cost profile fits it
   * (`fork-file-private` slope − copy_pte).
   */
  copy_file_pte = 29,
  /**
   * The forked child's exit besides exit_mmap (kernel/exit.c do_exit:
   * exit_signals, exit_files, exit_fs, exit_notify, the final __schedule), in
   * the child, when the fork op models it (src/sim/workload.ts: the child runs
   * first on the parent's CPU when wake_up_new_task finds no idle CPU).
   * Default 0, with the three below: the child is not modelled (the built-in
   * fork). A cost profile fits it (`exit-vmas-holes` intercept − wakeup).
   */
  do_exit = 30,
  /**
   * The forked child's exit_mmap per VMA (mm/mmap.c exit_mmap: unmap_vmas'
   * walk of the VMA, free_pgtables, remove_vma -> vm_area_free). Default 0; a
   * cost profile fits it (`exit-vmas-holes` slope: VMAs with no anon_vma and
   * no PTE).
   */
  exit_mmap_vma = 31,
  /**
   * The forked child's exit_mmap per VMA with an anon_vma, on top of
   * exit_mmap_vma (mm/mmap.c free_pgtables -> mm/rmap.c unlink_anon_vmas:
   * the anon_vma_chain removal from the interval trees under the root's
   * lock, the child's anon_vma freed). Default 0; a cost profile fits it
   * (`exit-vmas` slope − `exit-vmas-holes` slope − exit_mmap_pte).
   */
  unlink_anon_vmas = 32,
  /**
   * The forked child's exit_mmap per present PTE it copied (mm/memory.c
   * unmap_vmas -> zap_pte_range -> zap_present_ptes: the PTE cleared,
   * folio_remove_rmap_ptes, the mmu_gather's folio reference dropped; the
   * parent still maps the folio, so nothing is freed). Default 0; a cost
   * profile fits it (`exit-anon` slope).
   */
  exit_mmap_pte = 33,
  /**
   * One drain of the per-CPU lru_add batch (mm/swap.c folio_add_lru ->
   * folio_batch_add_and_move: when cpu_fbatches.lru_add is full, PAGEVEC_SIZE
   * = 31 folios, folio_batch_move_lru takes the lruvec lock
   * (folio_lruvec_relock_irqsave), puts the 31 folios on their LRU lists and
   * drops the batch's references (folios_put)). Paid by the fault that fills
   * the batch, every 31st new anonymous folio (src/model/swap.ts). Default 0:
   * no batch is counted and no step is taken; a cost profile fits it from the
   * `anon-write` bench's every-31st slow fault.
   */
  folio_batch_move_lru = 34,
  /**
   * A fault begun right after its task slept (think time: the CPU went idle
   * or ran another task meanwhile): the fault path's instruction and data
   * cache lines, TLB entries and page-table cache lines refilled. Not a
   * kernel function: the hardware state arch/x86/mm/fault.c exc_page_fault
   * finds. Charged by the simulator's fault op on an anonymous VMA before
   * do_user_addr_fault (the kind the bench measures; a page-cache fault's
   * do_read_fault is fitted on a cold bench already). Default 0; a cost
   * profile fits it (`fault-after-sleep` − back to back).
   */
  fault_after_sleep = 35,
  /**
   * How late a timer sleep of user space ends: the thread asleep in
   * clock_nanosleep (kernel/time/hrtimer.c hrtimer_nanosleep -> do_nanosleep)
   * runs again this long after the expiry it asked for: the hrtimer's
   * interrupt (hrtimer_interrupt -> __hrtimer_run_queues -> hrtimer_wakeup ->
   * wake_up_process) and the sleeping task's wake-up on its CPU (idle exit,
   * context switch). A delay, not CPU. Added by the simulator's workload to
   * every think time and gap above 0 (src/sim/workload.ts), as the load
   * generator sleeps them (loadgen.c sleep_until). Default 0: a sleep ends
   * on time; a cost profile measures it (`timer-sleep` bench).
   */
  timer_wakeup = 36,
  /**
   * CPU taken from the task running on a CPU by a timer sleep's expiry
   * there: the local timer interrupt (hrtimer_interrupt ->
   * __hrtimer_run_queues -> hrtimer_wakeup -> try_to_wake_up, the sleeper
   * enqueued on its own CPU, then back to the interrupted task; in a guest
   * also the VM exit and entry of the timer interrupt). The simulator arms a
   * think time's or gap's hrtimer on the CPU its task last ran on and, at
   * the expiry, extends the burst (or spin) of the task on that CPU by this
   * much (src/sim/cpus.ts CpuSched.irq); an idle CPU costs nobody anything.
   * Default 0: an expiry takes no CPU; a cost profile measures it
   * (`hrtimer-irq` bench).
   */
  hrtimer_irq = 37,
  /**
   * CPU taken from the task running on each CPU a TLB shoot-down interrupts
   * (arch/x86/mm/tlb.c native_flush_tlb_multi -> on_each_cpu_cond_mask: a
   * call-function IPI; the target runs flush_tlb_func in the handler; in a
   * guest also the IPI's VM exit and entry). The flushing task's own wait is
   * Cost.flush_tlb_multi. The simulator extends the CPU step (or spin) of the
   * task on each remote CPU the flush counts (src/sim/engine.ts
   * Simulator.tlbShootdown). Default 0; a cost profile measures it
   * (`tlb-target` bench).
   */
  flush_tlb_func = 38,
  /**
   * A page-cache hit fault (filemap_map_pages via do_fault_around, or
   * filemap_fault finding the folio) begun right after its task slept: as
   * fault_after_sleep, for that kind. Charged by the simulator's fault op
   * before do_user_addr_fault on a file VMA whose page is cached. Default 0;
   * a cost profile fits it from `cached-after-sleep` (median after a sleep −
   * back to back), which finds no increment on this host: the back-to-back
   * procedure zaps the whole mapping before each touch, so it is cold already
   * (docs/calibration.md "The per-state fault p50s").
   */
  cached_fault_after_sleep = 39,
  /**
   * A major fault (filemap_fault's page-cache miss: the page read, the lock
   * dropped, VM_FAULT_RETRY and the retry) begun right after its task slept:
   * the fault path's, the page cache's xarray, the block layer's and the
   * device's (zram's decompression) cache lines and TLB entries refilled.
   * Charged by the simulator's fault op before do_user_addr_fault on a file
   * VMA whose page is not cached. Default 0; a cost profile fits it from
   * `major-after-sleep` (median after a sleep − back to back).
   */
  major_fault_after_sleep = 40,
  /**
   * A swap-in (do_swap_page: the SWP_SYNCHRONOUS_IO read and decompress on
   * the faulting CPU) begun right after its task slept: the fault path's,
   * the swap layer's and zram's lines and TLB entries refilled. Charged by
   * the simulator's fault op before do_user_addr_fault on an anonymous VMA
   * whose page is swapped out (instead of fault_after_sleep). Default 0; a
   * cost profile fits it from `swapin-after-sleep` (median after a sleep −
   * back to back).
   */
  swapin_fault_after_sleep = 41,
  /**
   * filemap_map_pages' set-up when its walk of do_fault_around's window finds
   * a first folio (next_uptodate_folio returns one: filemap_map_pmd,
   * pte_offset_map_lock, and at the end pte_unmap_unlock, the mmap_miss
   * update, rcu_read_unlock; a walk that finds nothing returns before it).
   * Charged on the first attempt of a fault whose page is not in the page
   * cache when a neighbour in the window is (the `major` bench's window holds
   * none, so fault_retry does not have it). Default 0; a cost profile fits
   * it from `fault-around` (docs/calibration.md "The neighbourhood").
   */
  filemap_map_pages = 42,
  /**
   * One cached neighbour passed by filemap_map_pages' walk of the window
   * (next_uptodate_folio: the xarray step, folio_try_get, folio_trylock; the
   * PTE found present and left; folio_unlock, folio_put), per walk: on the
   * first attempt of a miss and on every retried attempt of a file fault
   * (the `major` bench's walks meet none). A page-cache hit's first walk is
   * in do_read_fault (`minor-cached`: every neighbour cached). Default 0;
   * fitted from `fault-around`.
   */
  next_uptodate_folio = 43,
  /**
   * CPU taken from the task running on a CPU by the periodic scheduler tick
   * there (kernel/time/tick-sched.c tick_nohz_handler / tick_sched_timer ->
   * tick_sched_handle -> update_process_times -> sched_tick, and the timer
   * and RCU softirqs it raises, run at the interrupt's exit; in a guest also
   * the VM exit and entry of the timer interrupt). The simulator ticks every
   * Cost.tick_nsec on the grid of its multiples, and at each tick extends
   * the burst (or spin) of the task on every busy CPU by this much
   * (src/sim/cpus.ts CpuSched.sched_tick); an idle CPU has no tick
   * (CONFIG_NO_HZ_IDLE: tick_nohz_idle_stop_tick). The tick's other work
   * (the slice check's reschedule, load balancing) is not modelled. Default
   * 0: no tick; a cost profile measures it (`sched-tick` bench).
   */
  tick_sched_timer = 44,
  /**
   * The scheduler tick's period, ns: TICK_NSEC = NSEC_PER_SEC / CONFIG_HZ
   * (not a CPU cost). 0: no tick. A cost profile measures it (`sched-tick`
   * bench: the 1/HZ grid its gaps fall on; 4 ms, HZ=250, on the calibration
   * host).
   */
  tick_nsec = 45,
  /**
   * A cached neighbour whose PTE is none, mapped by filemap_map_pages' walk
   * beyond passing it (filemap_map_order0_folio -> set_pte_range:
   * folio_add_file_rmap_ptes, set_ptes, update_mmu_tlb; folio_ref_inc, the
   * rss count), per neighbour the walk maps: the first attempt of a miss and
   * a retried file attempt, on top of next_uptodate_folio
   * (src/model/fault_around.ts; the model knows which file PTEs are present
   * while this charge is installed). A page-cache hit's walk is in
   * do_read_fault (`minor-cached`: 15 such neighbours). Default 0; a cost
   * profile fits it from `fault-around-unmapped` and `fault-around-cached`
   * (the slope per neighbour with its PTE none − with it present).
   */
  set_pte_range = 46,
  /**
   * change_protection's walk of one page over cache lines the CPU no longer
   * holds (change_pte_range: the PTE table's line, and for a present PTE the
   * struct page vm_normal_page -> page_folio and mprotect_folio_pte_batch
   * read), on
   * top of Cost.change_pte, which the `mprotect-split` bench fits back to
   * back with every line cached. Charged per page changed by an mprotect
   * whose range the task last walked long ago or before a sleep
   * (src/model/mprotect.ts change_pte_refill; the simulator's units by the
   * range's age, src/sim/mprotect-walk.ts). Default 0; a cost profile fits
   * it from `mprotect-after-sleep` (after a sleep − back to back, / P), with
   * `by_sleep` points.
   */
  change_pte_after_sleep = 47,
  /**
   * dup_mmap's copy of one present PTE over cache lines the CPU no longer
   * holds (mm/memory.c copy_pte_range: the source PTE table's line, 8 PTEs
   * to it; copy_present_ptes -> vm_normal_page -> page_folio, folio_get and
   * folio_try_dup_anon_rmap_ptes: the refcount and mapcount atomics on the
   * struct page's line), on top of Cost.copy_pte, which the `fork-anon` bench
   * fits back to back (the previous fork and its child's exit have just
   * touched every one of those lines). Charged per present PTE a fork copies
   * (src/model/mmap.ts copy_page_range_cpu), in units the simulator chooses
   * from the time since the mm's last fork (src/sim/workload.ts). Default 0;
   * a cost profile fits it from `fork-anon-after-sleep` (after a sleep and a
   * cache-evicting walk − back to back, / P), with `by_sleep` points.
   */
  copy_pte_after_sleep = 48,
}
export const COST_NAMES = [
  'handle_mm_fault', 'fault_retry', 'anon_vma_prepare', 'do_anonymous_page',
  'mprotect_fixup', 'change_pte', 'munmap_vma', 'zap_pte', 'dup_vma', 'copy_pte',
  'do_mmap', 'madvise_vma', 'exit_vma', 'pgscan', 'pgsteal', 'swap_out', 'do_read_fault', 'copy_process', 'wakeup',
  'show_map', 'show_smap', 'smaps_pte', 'gup_page',
  'split_vma', 'merge_vma',
  'anon_vma_fork', 'copy_pte_range', 'wrprotect_pte', 'flush_tlb_multi', 'copy_file_pte',
  'do_exit', 'exit_mmap_vma', 'unlink_anon_vmas', 'exit_mmap_pte',
  'folio_batch_move_lru', 'fault_after_sleep', 'timer_wakeup',
  'hrtimer_irq', 'flush_tlb_func',
  'cached_fault_after_sleep', 'major_fault_after_sleep', 'swapin_fault_after_sleep',
  'filemap_map_pages', 'next_uptodate_folio',
  'tick_sched_timer', 'tick_nsec',
  'set_pte_range', 'change_pte_after_sleep', 'copy_pte_after_sleep',
] as const;
export type CostName = (typeof COST_NAMES)[number];

/** Latency laws the scenario defines (see `io` in the scenario format). */
export const enum LawName { read = 0, swap = 1, writeback = 2, folio_lock_hold = 3 }
export const LAW_NAMES = ['read', 'swap', 'writeback', 'folio_lock_hold'] as const;

/** Something a task can sleep on; used by metrics and blocking-chain analysis. */
export interface WaitResource {
  /** Lock class for reports: 'mmap_lock' | 'vma_lock' | 'folio' | 'io'. */
  readonly lockClass: ResourceClass;
  /** Human-readable name, kernel style: `mm->mmap_lock`, `vma[12]`, `folio[3:17]`. */
  readonly label: string;
  /** Tasks this waiter is waiting behind (holders, or writers queued ahead). */
  blockers(waiter: Task, out: Task[]): void;
  /**
   * A fatal signal ends `waiter`'s killable sleep before it was handed the
   * resource: take it off the wait queue (waking whoever that lets go
   * first). Returns false when it was not queued. See signal.ts.
   */
  cancel_wait?(waiter: Task): boolean;
}
export type ResourceClass = 'mmap_lock' | 'vma_lock' | 'folio' | 'io';

export interface PointEffect { readonly k: EffectKind.POINT; readonly what: string }
export interface CpuEffect {
  readonly k: EffectKind.CPU;
  readonly cost: Cost;
  readonly n: number;
  /** A second cost charged in the same step (once), or -1: see `cpu_then`. */
  readonly then: Cost | -1;
  /**
   * Further costs charged in the same step, as pairs [cost, n, cost, n, ...],
   * or null: see `cpu_plus`. The simulator adds them; the checker's label
   * (and so its state space) is that of `cost` and `then` alone.
   */
  readonly extra: readonly number[] | null;
}
export interface CpuLawEffect {
  readonly k: EffectKind.CPU_LAW;
  readonly law: LawName;
  /** Request size in 4 KiB pages, as SubmitEffect.n (1 but for a readahead window read synchronously). */
  readonly n: number;
}
export interface SleepEffect { readonly k: EffectKind.SLEEP; readonly ns: number }
export interface BlockEffect {
  readonly k: EffectKind.BLOCK;
  readonly res: WaitResource;
  /** What the task does while blocked, kernel style: `down_read`, `vma_start_write`. */
  readonly what: string;
  /** TASK_KILLABLE: a fatal signal ends the sleep (signal.ts `killable`). */
  readonly killable: boolean;
}
export interface SubmitEffect {
  readonly k: EffectKind.SUBMIT;
  readonly law: LawName;
  readonly folio: Folio;
  /** Completion handler (runs in "interrupt" context: no current task). */
  readonly end_io: (folio: Folio) => void;
  /** The task that submitted the work (the I/O's owner for blocking chains). */
  readonly owner: Task | null;
  /**
   * Request size in 4 KiB pages (a readahead window is one request): the
   * simulator adds the transfer time of the pages beyond the first when the
   * scenario gives the device's read bandwidth (io.read_bandwidth).
   */
  readonly n: number;
}
export interface CallEffect { readonly k: EffectKind.CALL; readonly path: KPath<unknown> }
export type Effect = PointEffect | CpuEffect | CpuLawEffect | SleepEffect | BlockEffect | SubmitEffect | CallEffect;

/** A kernel path: a generator yielding effects and returning T. */
export type KPath<T = void> = Generator<Effect, T, unknown>;

/**
 * Every effect is an `EffectRecord`: one object shape for all kinds, so the
 * engines' `e.k` loads and field reads stay monomorphic (V8 inline caches go
 * megamorphic, and slow, past four shapes). The typed views above are what
 * paths and engines see.
 */
class EffectRecord {
  what = '';
  cost: Cost = Cost.handle_mm_fault;
  n = 0;
  then: Cost | -1 = -1;
  extra: readonly number[] | null = null;
  law: LawName = LawName.read;
  ns = 0;
  res: WaitResource | null = null;
  killable = false;
  folio: Folio | null = null;
  end_io: ((folio: Folio) => void) | null = null;
  owner: Task | null = null;
  path: KPath<unknown> | null = null;
  /** The TASK_KILLABLE form of this BLOCK effect, made on first use (signal.ts). */
  killableForm: EffectRecord | null = null;
  constructor(public k: EffectKind) {}
}
// `ns` holds times past 2^31 ns and fractions: a double from the first EffectRecord on (shapes.ts).
doubleFields(new EffectRecord(EffectKind.POINT), ['ns']);

export function point(what: string): PointEffect {
  const e = new EffectRecord(EffectKind.POINT);
  e.what = what;
  return e as PointEffect;
}
const cpuOnce: CpuEffect[] = [];
/** CPU for `n` units of `cost` (n = 1 is preallocated). */
export function cpu(cost: Cost, n = 1): CpuEffect {
  if (n === 1) {
    let e = cpuOnce[cost];
    if (e === undefined) cpuOnce[cost] = e = cpuN(cost, 1);
    return e;
  }
  return cpuN(cost, n);
}
const cpuThen = new Map<number, CpuEffect>();
/**
 * One CPU step charging `first`, then `then`: for work a path does back to
 * back with no point between where the kernel could sleep or schedule (two
 * `cpu` yields would be two steps, and on a busy CPU set the task would give
 * up its CPU between them). Preallocated per pair.
 */
export function cpu_then(first: Cost, then: Cost): CpuEffect {
  const key = first * 64 + then;
  let e = cpuThen.get(key);
  if (e === undefined) {
    const r = new EffectRecord(EffectKind.CPU);
    r.cost = first;
    r.n = 1;
    r.then = then;
    cpuThen.set(key, (e = r as CpuEffect));
  }
  return e;
}
/**
 * `cpu(cost, n)` plus further costs in the same step (`extra`: pairs [cost,
 * n, ...], each n >= 0). For costs a cost profile adds to an existing step
 * (fork's per-kind PTE copy, a TLB shoot-down): the step stays one step, so
 * the checker's interleavings are unchanged. Returns the plain `cpu(cost, n)`
 * when every extra count is 0.
 */
export function cpu_plus(cost: Cost, n: number, extra: readonly number[]): CpuEffect {
  let any = false;
  for (let i = 1; i < extra.length; i += 2) if (extra[i]! > 0) any = true;
  if (!any) return cpu(cost, n);
  const e = new EffectRecord(EffectKind.CPU);
  e.cost = cost;
  e.n = n;
  e.extra = extra;
  return e as CpuEffect;
}
/**
 * A CPU step of `cost` plus `extra` costs (as in `cpu_plus`) whose counts
 * its owner rewrites before each yield, for a step made once per item of a
 * loop (dup_mmap's per-VMA copy): one effect per loop, not per item. Both
 * engines read a CPU effect as soon as it is yielded (the checker keeps only
 * its label, of `cost`), so one object can serve every iteration.
 */
export class CpuStep {
  readonly effect: CpuEffect;
  private readonly rec: EffectRecord;
  private readonly counts: number[];
  constructor(cost: Cost, extra: readonly Cost[]) {
    this.rec = new EffectRecord(EffectKind.CPU);
    this.rec.cost = cost;
    this.counts = [];
    if (extra.length > 4) throw new RangeError('CpuStep: at most four extra costs');
    for (const c of extra) this.counts.push(c, 0);
    this.effect = this.rec as CpuEffect;
  }
  /**
   * The effect for `n` units of the cost and counts c0.. of the extra costs
   * (in the constructor's order, at most four). Charges what `cpu_plus(cost,
   * n, [extra[0], c0, ...])` charges: an extra with count 0 adds 0.
   */
  set(n: number, c0: number, c1 = 0, c2 = 0, c3 = 0): CpuEffect {
    const r = this.rec, a = this.counts;
    for (let i = 1; i < a.length; i += 2) a[i] = i === 1 ? c0 : i === 3 ? c1 : i === 5 ? c2 : c3;
    r.n = n;
    r.extra = c0 > 0 || c1 > 0 || c2 > 0 || c3 > 0 ? a : null;
    return this.effect;
  }
}
function cpuN(cost: Cost, n: number): CpuEffect {
  const e = new EffectRecord(EffectKind.CPU);
  e.cost = cost;
  e.n = n;
  return e as CpuEffect;
}
export function cpuLaw(law: LawName, n = 1): CpuLawEffect {
  const e = new EffectRecord(EffectKind.CPU_LAW);
  e.law = law;
  e.n = n;
  return e as CpuLawEffect;
}
export function sleep(ns: number): SleepEffect {
  const e = new EffectRecord(EffectKind.SLEEP);
  e.ns = ns;
  return e as SleepEffect;
}
/** A SLEEP effect whose `ns` its owner rewrites before each yield (engines read it at once). */
export function mutableSleep(): { readonly k: EffectKind.SLEEP; ns: number } {
  return new EffectRecord(EffectKind.SLEEP) as { readonly k: EffectKind.SLEEP; ns: number };
}
/** A CALL effect whose `path` its owner sets before each yield (next_effect pushes it at once). */
export function mutableCall(): { readonly k: EffectKind.CALL; path: KPath<unknown> } {
  return new EffectRecord(EffectKind.CALL) as { readonly k: EffectKind.CALL; path: KPath<unknown> };
}
export function call(path: KPath<unknown>): CallEffect {
  const e = new EffectRecord(EffectKind.CALL);
  e.path = path;
  return e as CallEffect;
}
export function block(res: WaitResource, what: string): BlockEffect {
  const e = new EffectRecord(EffectKind.BLOCK);
  e.res = res;
  e.what = what;
  return e as BlockEffect;
}
/** A TASK_KILLABLE sleep on `res` (see signal.ts), made directly: killable(block(res, what)) without the plain form. */
export function killableBlock(res: WaitResource, what: string): BlockEffect {
  const e = new EffectRecord(EffectKind.BLOCK);
  e.res = res;
  e.what = what;
  e.killable = true;
  return e as BlockEffect;
}
/**
 * The TASK_KILLABLE form of a sleep (see signal.ts): the same resource and
 * description, made once per BLOCK effect.
 */
export function killable(b: BlockEffect): BlockEffect {
  const r = b as unknown as EffectRecord;
  let k = r.killableForm;
  if (k === null) {
    k = r.killableForm = new EffectRecord(EffectKind.BLOCK);
    k.res = r.res;
    k.what = r.what;
    k.killable = true;
  }
  return k as BlockEffect;
}
export function submit(law: LawName, folio: Folio, end_io: (folio: Folio) => void, owner: Task | null, nr = 1): SubmitEffect {
  const e = new EffectRecord(EffectKind.SUBMIT);
  e.n = nr;
  e.law = law;
  e.folio = folio;
  e.end_io = end_io;
  e.owner = owner;
  return e as SubmitEffect;
}

/**
 * A task (kernel `task_struct`): one simulated thread.
 * Engines own scheduling fields; the model only reads `comm`, `prio` and `id`.
 */
export interface Task {
  readonly id: number;
  /** Thread name as in /proc/PID/task/TID/comm. */
  readonly comm: string;
  /** Priority rank: 0 is the most important (USER_INTERACTIVE). */
  readonly prio: number;
  /** Model-only: SIGKILL is pending (see sched.ts `fatal_signal_pending`). */
  sigkill?: boolean;
  /** current->memcg_nr_pages_over_high: pages charged over memory.high, paid on return to user. */
  memcg_nr_pages_over_high?: number;
  /**
   * Model-only: folios in this task's lru_add batch (mm/swap.c
   * cpu_fbatches.lru_add, per CPU in the kernel; per task here, see
   * src/model/swap.ts). Counted only when a cost profile sets
   * Cost.folio_batch_move_lru.
   */
  lru_add_nr?: number;
}
