/**
 * CPU costs: the `Cost` enum a kernel path's CPU effect names (effects.ts
 * `cpu`), and the names a scenario's `costs` section and a cost profile use.
 *
 * `Cost` is a const enum: tsc inlines its members across modules (tsconfig's
 * isolatedModules is off), so the engine's hot loop compares literals.
 */
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
  /**
   * One atomic read-modify-write on a lock's cache line, on a line the CPU
   * holds: kernel/locking/rwsem.c rwsem_read_trylock
   * (atomic_long_add_return_acquire on sem->count), __up_read
   * (atomic_long_add_return_release), rwsem_write_trylock / __up_write
   * (atomic_long_try_cmpxchg_acquire, atomic_long_fetch_add_release);
   * mm/mmap_lock.c vma_start_read (__refcount_inc_not_zero_limited_acquire
   * on vma->vm_refcnt) and include/linux/mmap_lock.h vma_refcount_put
   * (__refcount_dec_and_test). Charged to the task that takes or releases
   * mmap_lock or a VMA's read lock in the simulator (src/sim/lock-line.ts),
   * in its next CPU step: the fault's own step after an acquire, a step of
   * its own after a release. Default 0: lock operations cost no CPU (and the
   * simulator tracks no line); a cost profile fits it (`cacheline` X=0).
   */
  lock_atomic = 49,
  /**
   * The transfer of a lock's cache line to the CPU of the task taking or
   * releasing the lock when another CPU wrote the line last (the RMW's
   * read-for-ownership misses: the line comes from the other CPU's cache),
   * on top of Cost.lock_atomic. Each lock line (mmap_lock's sem->count, each
   * VMA's vm_refcnt) keeps the CPU that last wrote it (src/sim/lock-line.ts).
   * Its value is the host's: a transfer between two vCPUs of a VM sharing
   * an L3, or across sockets on a server, differs several-fold. Default 0;
   * a cost profile fits it (`cacheline` X=1 − X=2: ping-pong of one line
   * between two CPUs, half a round trip, − the same loop on private lines).
   */
  cacheline_transfer = 50,
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
  'lock_atomic', 'cacheline_transfer',
] as const;
export type CostName = (typeof COST_NAMES)[number];
