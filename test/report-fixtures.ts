/**
 * Synthetic RunMetrics for renderer and aggregation tests: fixed numbers
 * scaled by `k`, so the expected medians, spreads and ratios are easy to
 * work out by hand and do not move when the kernel model changes.
 */
import { VM_EVENT_NAMES } from '../src/model/index.js';
import type { DurationStats, LatencyStats, OpStats, RunMetrics } from '../src/metrics/index.js';

function lat(k: number, base: number): LatencyStats {
  return { count: 100, mean: 1.5 * base * k, p50: base * k, p90: 2 * base * k, p99: 5 * base * k, p999: 9 * base * k, max: 20 * base * k };
}
function op(k: number, base: number, count = 100): OpStats {
  return { count, unfinished: 0, latency: { ...lat(k, base), count } };
}
function dur(count: number, each: number): DurationStats {
  return count === 0 ? { count: 0, total: 0, p99: null, max: null } : { count, total: count * each, p99: each, max: 2 * each };
}

export interface FakeOptions {
  fork?: string;
  /** Include a fork op (default true). */
  forkOp?: boolean;
  /** mmap_lock write waits in this run (default 2). */
  writeWaits?: number;
}

/** A run whose latencies are `k` times the baseline. */
export function fakeRun(fault: string, seed: number, k: number, o: FakeOptions = {}): RunMetrics {
  const vmEvents: Record<string, number> = {};
  VM_EVENT_NAMES.forEach((n, i) => { vmEvents[n] = i === 0 ? Math.round(1000 / k) : i === 2 ? 10 * seed : 0; });
  const writers = o.forkOp === false ? {} : { fork: op(k, 2_000_000, 3) };
  const ww = o.writeWaits ?? 2;
  return {
    fault, fork: o.fork ?? 'fork-lock-all', seed,
    window: { warmup: 1_000_000, end: 101_000_000 },
    classes: ['USER_INTERACTIVE', 'BACKGROUND'],
    opsByClass: {
      USER_INTERACTIVE: { fault: op(k, 2_000) },
      BACKGROUND: { fault: op(k, 3_000), mprotect: op(k, 7_000, 10) },
    },
    opsAll: { fault: op(k, 2_500, 200), mprotect: op(k, 7_000, 10), ...writers },
    mmapLock: {
      readWait: dur(4, 10_000 * k), writeWait: dur(ww, 1_000_000 * k), readHold: dur(50, 3_000), writeHold: dur(13, 20_000 * k),
      readAcquisitions: 50, writeAcquisitions: 13, failedTrylocks: 0,
    },
    vmaLock: { writerWait: dur(1, 500_000 * k) },
    vmEvents,
    breakdown: {
      USER_INTERACTIVE: {
        opTime: 1_000_000, ns: { running: 600_000, runqueue: 0, mmap_lock: 100_000 * k, vma_lock: 0, folio: 0, io: 300_000, other: 0 },
        fraction: { running: 0.6, runqueue: 0, mmap_lock: 0.1 * k, vma_lock: 0, folio: 0, io: 0.3, other: 0 },
      },
      BACKGROUND: {
        opTime: 0, ns: { running: 0, runqueue: 0, mmap_lock: 0, vma_lock: 0, folio: 0, io: 0, other: 0 }, fraction: null,
      },
    },
    inversion: {
      analysed: true,
      byClass: { USER_INTERACTIVE: { invertedTime: 1_000_000 * k, maxChain: 3 }, BACKGROUND: { invertedTime: 0, maxChain: 1 } },
      longestChain: { length: 3, chain: 'main -> HeapTaskDaemon -> bg0 -> io', at: 5_000_000 * seed },
    },
  };
}
