/**
 * Tracepoints the model fires, named after the kernel's
 * (include/trace/events/mmap_lock.h). The engine installs the sink; with none
 * installed they cost one indirect call.
 */
import type { MmStruct } from './mm_types.js';

/**
 * What a memory stall is (the psi_memstall_enter sites, kernel/sched/psi.c
 * callers, v7.0 §C.8): direct or memcg reclaim in the task that allocates or
 * charges (__perform_reclaim, try_charge_memcg, reclaim_high), the memory.high
 * penalty sleep (mem_cgroup_handle_over_high), or kswapd's balance_pgdat.
 */
export type MemstallKind = 'reclaim' | 'throttle' | 'kswapd';

export interface TracepointSink {
  /** trace_mmap_lock_acquire_returned(mm, write, success) */
  mmap_lock_acquire_returned(mm: MmStruct, write: boolean, success: boolean): void;
  /** trace_mmap_lock_released(mm, write); also fired for the write side of a downgrade. */
  mmap_lock_released(mm: MmStruct, write: boolean): void;
  /** psi_memstall_enter / psi_memstall_leave of the current task (model-only names for `kind`). */
  psi_memstall?(enter: boolean, kind: MemstallKind): void;
}

const nop: TracepointSink = {
  mmap_lock_acquire_returned: () => {},
  mmap_lock_released: () => {},
};

/** psi_memstall_enter (kernel/sched/psi.c) of the current task. */
export function psi_memstall_enter(kind: MemstallKind): void {
  tp.psi_memstall?.(true, kind);
}
/** psi_memstall_leave. */
export function psi_memstall_leave(kind: MemstallKind): void {
  tp.psi_memstall?.(false, kind);
}
export let tp: TracepointSink = nop;

export function install_tracepoints(sink: TracepointSink | null): void {
  tp = sink ?? nop;
}
