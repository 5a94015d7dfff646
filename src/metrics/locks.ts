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
  private readAcquisitions = 0;
  private writeAcquisitions = 0;
  private failedTrylocks = 0;
  /** Per task id: start of the current wait, and its kind. */
  private readonly waitStart: number[] = doubleArray();
  private readonly waitKinds: WaitKind[] = [];
  /** Per task id: start of the current read / write hold (-1: none). */
  private readonly readSince: number[] = doubleArray();
  private readonly writeSince: number[] = doubleArray();

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
    if (start < this.warmup) return;
    switch (this.waitKinds[id]) {
      case WaitKind.MMAP_READ: this.readWait.record(t - start); break;
      case WaitKind.MMAP_WRITE: this.writeWait.record(t - start); break;
      case WaitKind.VMA_WRITER: this.vmaWriterWait.record(t - start); break;
      default: break;
    }
  }

  acquired(t: number, id: number, write: boolean, success: boolean): void {
    if (!success) {
      if (t >= this.warmup) this.failedTrylocks++;
      return;
    }
    if (t >= this.warmup) {
      if (write) this.writeAcquisitions++;
      else this.readAcquisitions++;
    }
    const since = write ? this.writeSince : this.readSince;
    grow(since, id);
    since[id] = t;
  }

  released(t: number, id: number, write: boolean): void {
    const since = write ? this.writeSince : this.readSince;
    const start = since[id] ?? -1;
    if (start < 0) return;
    since[id] = -1;
    if (start >= this.warmup) (write ? this.writeHold : this.readHold).record(t - start);
  }

  mmapLock(): MmapLockMetrics {
    return {
      readWait: this.readWait.durations(),
      writeWait: this.writeWait.durations(),
      readHold: this.readHold.durations(),
      writeHold: this.writeHold.durations(),
      readAcquisitions: this.readAcquisitions,
      writeAcquisitions: this.writeAcquisitions,
      failedTrylocks: this.failedTrylocks,
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
