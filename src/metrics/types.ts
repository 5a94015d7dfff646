/**
 * The figures of one simulation run, as plain JSON-able data. Every time is in
 * simulated integer nanoseconds (means may be fractional). Definitions of every
 * figure: docs/metrics.md.
 */
import type { OpName, PriorityClass } from '../scenario/types.js';
import type { WaitClass } from '../sim/observer.js';

/** Operations in report order. */
export const OP_NAMES = [
  'fault', 'mprotect', 'madvise_dontneed', 'munmap', 'mmap', 'fork', 'proc_maps', 'proc_smaps', 'proc_smaps_rollup', 'gup', 'madvise', 'mremap',
] as const satisfies readonly OpName[];

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

/**
 * Upper bounds (ns, exclusive) of the decade buckets of mmap_lock waits
 * (MmapLockMetrics.waitDecades): [0, 1us), [1us, 10us), [10us, 100us),
 * [100us, 1ms), [1ms, 10ms), [10ms, 100ms), and a last bucket >= 100ms.
 */
export const WAIT_DECADE_BOUNDS = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8] as const;
/** Names of the decade buckets, in order (one more than the bounds). */
export const WAIT_DECADE_LABELS = ['[0,1us)', '[1us,10us)', '[10us,100us)', '[100us,1ms)', '[1ms,10ms)', '[10ms,100ms)', '>=100ms'] as const;

export interface MmapLockMetrics {
  readWait: DurationStats;
  writeWait: DurationStats;
  readHold: DurationStats;
  writeHold: DurationStats;
  readAcquisitions: number;
  writeAcquisitions: number;
  failedTrylocks: number;
  /**
   * Exact counts of the down_read and down_write waits (the same waits as
   * readWait / writeWait) per decade bucket of their duration
   * (WAIT_DECADE_BOUNDS). Absent in results written before it existed.
   */
  waitDecades?: { read: number[]; write: number[] };
}

/** Frames of one frame thread (or of all of them per vsync), see frames.ts. */
export interface FrameStats {
  /** Frames whose vsync is at or after warm-up and whose work ended in the run. */
  count: number;
  /** vsyncs after warm-up at which no frame started because the previous frame overran them. */
  skipped: number;
  /** Frame time (vsync -> end of the frame's work); null when count is 0. */
  latency: LatencyStats | null;
  /** Frames whose time exceeded each deadline, largest deadline first. */
  missed: Array<{ deadline: number; count: number }>;
}

export interface FrameMetrics {
  /** Deadlines checked (ns), largest first. */
  deadlines: number[];
  byThread: Record<string, FrameStats>;
  /** Per vsync over every frame thread: the longest frame that began at it. */
  any: FrameStats;
}

/**
 * Process death (scenario `kill`): simulated times in ns, null when the
 * milestone was not reached before the end of the run.
 */
export interface DeathMetrics {
  /** When SIGKILL was sent. */
  killAt: number;
  /** Kill -> the reaper finished unmapping the anonymous memory. */
  reapLatency: number | null;
  /** Kill -> every thread of the process has left the kernel (exited). */
  threadsExitLatency: number | null;
  /** Kill -> exit_mmap finished (the address space is gone). */
  exitLatency: number | null;
  /** The OOM reaper's failed mmap_read_trylock attempts. */
  reapTrylockFailures: number;
  /** The OOM reaper gave up after its last attempt (MMF_OOM_SKIP without reaping). */
  reapGaveUp: boolean;
}

/**
 * Percentiles at which each latency CDF is sampled (RunMetrics.latencyCdf):
 * fine in the tail, where strategies differ.
 */
export const LATENCY_CDF_PERCENTILES = [
  0.1, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 97, 98, 99, 99.5, 99.8, 99.9, 99.95, 99.99, 100,
] as const;

/** Op latency CDFs: ns at each of LATENCY_CDF_PERCENTILES, per class and op, and per op over all threads. */
export interface LatencyCdfs {
  byClass: Partial<Record<PriorityClass, Partial<Record<OpName, number[]>>>>;
  all: Partial<Record<OpName, number[]>>;
}

/**
 * Memory stalls (scenarios with `memory:`), docs/metrics.md "Memory":
 * per class, direct/memcg reclaim stalls and memory.high penalty sleeps;
 * PSI-style SOME / FULL time of the scenario's threads in the window.
 */
export interface MemoryMetrics {
  byClass: Partial<Record<PriorityClass, { reclaimStall: DurationStats; highThrottle: DurationStats }>>;
  psi: { some: number; full: number; window: number };
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
  /** Present when the scenario has frame threads. */
  frames?: FrameMetrics;
  /** Present when the scenario kills the process. */
  death?: DeathMetrics;
  /** Present when the scenario has `memory:`. */
  memory?: MemoryMetrics;
  /** Latency CDFs of completed ops (same samples as `opsByClass`/`opsAll`), for plots. */
  latencyCdf?: LatencyCdfs;
}
