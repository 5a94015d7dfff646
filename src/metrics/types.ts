/**
 * The figures of one simulation run, as plain JSON-able data. Every time is in
 * simulated integer nanoseconds (means may be fractional). Definitions of every
 * figure: docs/metrics.md.
 */
import type { OpName, PriorityClass } from '../scenario/types.js';
import type { WaitClass } from '../sim/observer.js';

/** Operations in report order. */
export const OP_NAMES = ['fault', 'mprotect', 'madvise_dontneed', 'munmap', 'mmap', 'fork'] as const satisfies readonly OpName[];

/** Where a task's time inside an op goes (time breakdown categories), in report order. */
export const TIME_CATEGORIES = ['running', 'runqueue', 'mmap_lock', 'vma_lock', 'folio', 'io', 'other'] as const;
export type TimeCategory = (typeof TIME_CATEGORIES)[number];
/** The categories that are a blocked state, named by the WaitClass of the `blocked` event. */
export const WAIT_CATEGORIES = ['mmap_lock', 'vma_lock', 'folio', 'io'] as const satisfies readonly WaitClass[];

/** Latency distribution of completed ops (HdrHistogram, 3 significant digits). */
export interface LatencyStats {
  count: number;
  /** Exact arithmetic mean. */
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  /** Exact maximum. */
  max: number;
}

export interface OpStats {
  /** Ops that began at or after warm-up and ended before the end of the run. */
  count: number;
  /** Ops that began at or after warm-up and had not ended when the run stopped. */
  unfinished: number;
  /** Latency of the `count` completed ops; null when count is 0. */
  latency: LatencyStats | null;
}

/** A set of intervals (waits or lock holds): count, exact total, p99 and exact max. */
export interface DurationStats {
  count: number;
  total: number;
  /** null when count is 0. */
  p99: number | null;
  max: number | null;
}

export interface ClassBreakdown {
  /** Time spent inside ops by threads of this class, clipped to the measured window. */
  opTime: number;
  ns: Record<TimeCategory, number>;
  /** ns / opTime; null when opTime is 0. */
  fraction: Record<TimeCategory, number> | null;
}

export interface ChainRecord {
  /** Number of tasks on the chain, the waiter included. */
  length: number;
  /** e.g. `main -> HeapTaskDaemon -> Binder:2 -> io`. */
  chain: string;
  /** Simulated time (ns) at which the chain was first seen at this length. */
  at: number;
}

export interface ClassInversion {
  /** Time threads of this class spent blocked behind a lower-priority task. */
  invertedTime: number;
  /** Longest blocking chain seen with a waiter of this class (0: never blocked). */
  maxChain: number;
}

export interface InversionMetrics {
  /** False when every thread has the same priority class (inversion is 0 by definition). */
  analysed: boolean;
  byClass: Partial<Record<PriorityClass, ClassInversion>>;
  longestChain: ChainRecord | null;
}

export interface MmapLockMetrics {
  readWait: DurationStats;
  writeWait: DurationStats;
  readHold: DurationStats;
  writeHold: DurationStats;
  readAcquisitions: number;
  writeAcquisitions: number;
  failedTrylocks: number;
}

export interface RunMetrics {
  fault: string;
  fork: string;
  seed: number;
  /** The measured window [warmup, end) in simulated ns. */
  window: { warmup: number; end: number };
  /** Classes that have threads (or showed up in events), most important first. */
  classes: PriorityClass[];
  /** Per class, per op (only ops that occurred). */
  opsByClass: Partial<Record<PriorityClass, Partial<Record<OpName, OpStats>>>>;
  /** Per op over all threads. */
  opsAll: Partial<Record<OpName, OpStats>>;
  mmapLock: MmapLockMetrics;
  vmaLock: { writerWait: DurationStats };
  /** Every VM_EVENT_NAMES counter, events at or after warm-up. */
  vmEvents: Record<string, number>;
  breakdown: Partial<Record<PriorityClass, ClassBreakdown>>;
  inversion: InversionMetrics;
}
