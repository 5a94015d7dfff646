/**
 * Tracepoints the model fires, named after the kernel's
 * (include/trace/events/mmap_lock.h). The engine installs the sink; with none
 * installed they cost one indirect call.
 */
import type { MmStruct } from './mm_types.js';

export interface TracepointSink {
  /** trace_mmap_lock_acquire_returned(mm, write, success) */
  mmap_lock_acquire_returned(mm: MmStruct, write: boolean, success: boolean): void;
  /** trace_mmap_lock_released(mm, write); also fired for the write side of a downgrade. */
  mmap_lock_released(mm: MmStruct, write: boolean): void;
}

const nop: TracepointSink = {
  mmap_lock_acquire_returned: () => {},
  mmap_lock_released: () => {},
};
export let tp: TracepointSink = nop;

export function install_tracepoints(sink: TracepointSink | null): void {
  tp = sink ?? nop;
}
