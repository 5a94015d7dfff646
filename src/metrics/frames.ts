/**
 * Frame deadlines: for each frame thread (scenario `threads[].frame`), the
 * time from a vsync to the end of that frame's work, and how many frames miss
 * each deadline. `any` joins the frame threads per vsync: a vsync's frame
 * time is the longest of the frames that began at it (main and RenderThread
 * together), so a vsync misses when any of them misses.
 *
 * A frame counts when its vsync is at or after warm-up and its work ended
 * before the end of the run. A vsync at which a frame thread starts no frame
 * (its previous frame overran it) is a skipped vsync; `any` counts a vsync
 * skipped when any frame thread skipped it.
 */
import type { Scenario } from '../scenario/types.js';
import { Distribution } from './histograms.js';
import type { FrameMetrics, FrameStats } from './types.js';

class Frames {
  readonly dist = new Distribution();
  skipped = 0;
  readonly missed: number[];
  constructor(n: number) {
    this.missed = new Array<number>(n).fill(0);
  }
  add(ns: number, deadlines: readonly number[]): void {
    this.dist.record(ns);
    deadlines.forEach((d, i) => { if (ns > d) this.missed[i]!++; });
  }
  stats(deadlines: readonly number[]): FrameStats {
    return {
      count: this.dist.count,
      skipped: this.skipped,
      latency: this.dist.latency(),
      missed: deadlines.map((deadline, i) => ({ deadline, count: this.missed[i]! })),
    };
  }
}

export class FrameTracker {
  /** Union of the frame threads' deadlines, largest first. */
  readonly deadlines: number[];
  private readonly byThread = new Map<string, Frames>();
  /** vsync -> longest frame time seen at it. */
  private readonly perVsync = new Map<number, number>();
  private readonly period = new Map<string, number>();
  private readonly last = new Map<string, number>();
  /** vsyncs (after warm-up) at which some frame thread started no frame. */
  private readonly skippedVsyncs = new Set<number>();

  constructor(private readonly warmup: number, scenario: Scenario) {
    const ds = new Set<number>();
    for (const th of scenario.threads) {
      if (th.frame === undefined) continue;
      for (const d of th.frame.deadlines) ds.add(d);
      this.byThread.set(th.name, new Frames(0));
      this.period.set(th.name, th.frame.period);
    }
    this.deadlines = [...ds].sort((a, b) => b - a);
    for (const name of this.byThread.keys()) this.byThread.set(name, new Frames(this.deadlines.length));
  }

  /** Does the scenario have frame threads? */
  get active(): boolean {
    return this.byThread.size !== 0;
  }

  frameEnd(t: number, comm: string, vsync: number): void {
    let f = this.byThread.get(comm);
    if (f === undefined) this.byThread.set(comm, f = new Frames(this.deadlines.length));
    // The vsyncs between the previous frame and this one started no frame (the previous one overran them).
    const prev = this.last.get(comm), period = this.period.get(comm);
    this.last.set(comm, vsync);
    if (prev !== undefined && period !== undefined) {
      for (let v = prev + period; v < vsync; v += period) {
        if (v < this.warmup) continue;
        f.skipped++;
        this.skippedVsyncs.add(v);
      }
    }
    if (vsync < this.warmup) return;
    const ns = t - vsync;
    f.add(ns, this.deadlines);
    this.perVsync.set(vsync, Math.max(this.perVsync.get(vsync) ?? 0, ns));
  }

  result(): FrameMetrics {
    const any = new Frames(this.deadlines.length);
    for (const ns of this.perVsync.values()) any.add(ns, this.deadlines);
    any.skipped = this.skippedVsyncs.size;
    const byThread: Record<string, FrameStats> = {};
    for (const [name, f] of this.byThread) byThread[name] = f.stats(this.deadlines);
    return { deadlines: this.deadlines, byThread, any: any.stats(this.deadlines) };
  }
}
