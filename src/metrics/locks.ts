/**
 * mmap_lock waits and holds, and VMA lock writer waits. A wait is a `blocked`
 * -> `woken` interval; a hold is mmapLockAcquired(success) -> mmapLockReleased
 * of the same task and mode. An interval is counted when it begins at or after
 * warm-up and ends before the end of the run.
 */
import { doubleArray } from '../model/shapes.js';
import type { WaitClass } from '../sim/observer.js';
import { Distribution } from './histograms.js';
import type { DurationStats, MmapLockMetrics } from './types.js';

const enum WaitKind { OTHER, MMAP_READ, MMAP_WRITE, VMA_WRITER }
const ACQ_READ = 0;
const ACQ_WRITE = 1;
const ACQ_FAILED = 2;

function waitKind(what: string, cls: WaitClass): WaitKind {
  if (what === 'vma_start_write') return WaitKind.VMA_WRITER;
  if (cls !== 'mmap_lock') return WaitKind.OTHER;
  return what === 'down_write' ? WaitKind.MMAP_WRITE : WaitKind.MMAP_READ;
}

export class LockStats {
  private readonly readWait = new Distribution();
  private readonly writeWait = new Distribution();
  private readonly vmaWriterWait = new Distribution();
  private readonly readHold = new Distribution();
  private readonly writeHold = new Distribution();
  /**
   * Where the intervals that begin before warm-up go, and the waits of
   * WaitKind.OTHER (never read).
   *
   * Why the tables and the sink (bench/README.md, "Compile time per
   * isolate"): these methods are inlined into the engine's loop and the
   * mmap_lock paths, which TurboFan first compiles during run 0's warm-up.
   * A property load or store that has not run yet has no type feedback, and
   * optimised code that reaches it is thrown away and compiled again: once
   * when simulated time passes warm-up (the recording that was skipped until
   * then), and once for each kind of wait or hold first met after the
   * compile (a field per kind). So every event runs the same code: the
   * distribution is picked by index from a table (one keyed load for every
   * kind), and the sample is recorded, into the sink before warm-up; the
   * counters add 0 before warm-up. What is kept is what was kept before.
   */
  private readonly warmupSink = new Distribution();
  /** Per WaitKind: the distribution of its waits. */
  private readonly waits: readonly Distribution[] = [this.warmupSink, this.readWait, this.writeWait, this.vmaWriterWait];
  /** Per mode (0 read, 1 write): the distribution of its holds. */
  private readonly holds: readonly Distribution[] = [this.readHold, this.writeHold];
  /** Read acquisitions, write acquisitions, failed trylocks (indexes ACQ_READ, ACQ_WRITE, ACQ_FAILED). */
  private readonly acquisitions = new Float64Array(3);
  /** Per task id: start of the current wait, and its kind. */
  private readonly waitStart: number[] = doubleArray();
  private readonly waitKinds: WaitKind[] = [];
  /** Per mode (0 read, 1 write), per task id: start of the current hold (-1: none). */
  private readonly since: readonly number[][] = [doubleArray(), doubleArray()];

  constructor(private readonly warmup: number) {}

  blocked(t: number, id: number, what: string, cls: WaitClass): void {
    grow(this.waitStart, id);
    while (this.waitKinds.length <= id) this.waitKinds.push(WaitKind.OTHER); // read only where waitStart is set
    this.waitStart[id] = t;
    this.waitKinds[id] = waitKind(what, cls);
  }

  woken(t: number, id: number): void {
    const start = this.waitStart[id] ?? -1;
    if (start < 0) return;
    this.waitStart[id] = -1;
    const d = this.waits[this.waitKinds[id]!]!;
    (start >= this.warmup ? d : this.warmupSink).record(t - start);
  }

  acquired(t: number, id: number, write: boolean, success: boolean): void {
    const mode = write ? 1 : 0;
    this.acquisitions[success ? mode : ACQ_FAILED]! += t >= this.warmup ? 1 : 0;
    if (!success) return;
    const since = this.since[mode]!;
    grow(since, id);
    since[id] = t;
  }

  released(t: number, id: number, write: boolean): void {
    const mode = write ? 1 : 0;
    const since = this.since[mode]!;
    const start = since[id] ?? -1;
    if (start < 0) return;
    since[id] = -1;
    const d = this.holds[mode]!;
    (start >= this.warmup ? d : this.warmupSink).record(t - start);
  }

  mmapLock(): MmapLockMetrics {
    return {
      readWait: this.readWait.durations(),
      writeWait: this.writeWait.durations(),
      readHold: this.readHold.durations(),
      writeHold: this.writeHold.durations(),
      readAcquisitions: this.acquisitions[ACQ_READ]!,
      writeAcquisitions: this.acquisitions[ACQ_WRITE]!,
      failedTrylocks: this.acquisitions[ACQ_FAILED]!,
      waitDecades: { read: this.readWait.decades(), write: this.writeWait.decades() },
    };
  }

  vmaWriter(): DurationStats {
    return this.vmaWriterWait.durations();
  }
}

/**
 * Make `a` long enough for index `id`, with -1 (none) in the new places: the
 * per-task tables stay dense, in the elements kind they were made with
 * (model/shapes.ts), instead of going holey at a task's first store.
 */
function grow(a: number[], id: number): void {
  while (a.length <= id) a.push(-1);
}
