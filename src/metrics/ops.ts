/**
 * Op latency: opBegin -> opEnd in simulated ns, per (class, op) and per op
 * over all classes. Ops that begin before warm-up are left out.
 */
import type { OpName, PriorityClass } from '../scenario/types.js';
import { Distribution } from './histograms.js';
import { OP_NAMES, type LatencyCdfs, type OpStats } from './types.js';

interface OpenOp {
  op: OpName;
  begin: number;
  cls: PriorityClass;
  /** Where the latency goes: the (class, op) and the all-classes distributions. */
  mine: Distribution;
  all: Distribution;
}

export class OpLatencies {
  private readonly open: Array<OpenOp | undefined> = [];
  private readonly byClass = new Map<PriorityClass, Map<OpName, Distribution>>();
  private readonly all = new Map<OpName, Distribution>();
  private readonly unfinishedByClass = new Map<PriorityClass, Map<OpName, number>>();
  private readonly unfinishedAll = new Map<OpName, number>();

  constructor(private readonly warmup: number) {}

  begin(t: number, id: number, cls: PriorityClass, op: OpName): void {
    this.open[id] = t >= this.warmup ? { op, begin: t, cls, mine: this.dist(cls, op), all: this.dist(null, op) } : undefined;
  }

  end(t: number, id: number): void {
    const o = this.open[id];
    if (o === undefined) return;
    this.open[id] = undefined;
    o.mine.record(t - o.begin);
    o.all.record(t - o.begin);
  }

  /** Count the ops still open at the end of the run. */
  finish(): void {
    for (const o of this.open) {
      if (o === undefined) continue;
      let m = this.unfinishedByClass.get(o.cls);
      if (m === undefined) this.unfinishedByClass.set(o.cls, m = new Map());
      m.set(o.op, (m.get(o.op) ?? 0) + 1);
      this.unfinishedAll.set(o.op, (this.unfinishedAll.get(o.op) ?? 0) + 1);
    }
    this.open.length = 0;
  }

  resultByClass(classes: readonly PriorityClass[]): Partial<Record<PriorityClass, Partial<Record<OpName, OpStats>>>> {
    const out: Partial<Record<PriorityClass, Partial<Record<OpName, OpStats>>>> = {};
    for (const cls of classes) {
      out[cls] = stats(this.byClass.get(cls), this.unfinishedByClass.get(cls));
    }
    return out;
  }

  resultAll(): Partial<Record<OpName, OpStats>> {
    return stats(this.all, this.unfinishedAll);
  }

  /** Latency CDFs (see LatencyCdfs), for the ops that completed. */
  resultCdf(classes: readonly PriorityClass[]): LatencyCdfs {
    const cdfs = (m: Map<OpName, Distribution> | undefined) => {
      const out: Partial<Record<OpName, number[]>> = {};
      for (const op of OP_NAMES) {
        const c = m?.get(op)?.cdf();
        if (c !== undefined && c !== null) out[op] = c;
      }
      return out;
    };
    const byClass: LatencyCdfs['byClass'] = {};
    for (const cls of classes) byClass[cls] = cdfs(this.byClass.get(cls));
    return { byClass, all: cdfs(this.all) };
  }

  private dist(cls: PriorityClass | null, op: OpName): Distribution {
    let m = this.all;
    if (cls !== null) {
      let c = this.byClass.get(cls);
      if (c === undefined) this.byClass.set(cls, c = new Map());
      m = c;
    }
    let d = m.get(op);
    if (d === undefined) m.set(op, d = new Distribution());
    return d;
  }
}

/** Stats in OP_NAMES order, for ops that completed or are unfinished. */
function stats(d: Map<OpName, Distribution> | undefined, unfinished: Map<OpName, number> | undefined): Partial<Record<OpName, OpStats>> {
  const out: Partial<Record<OpName, OpStats>> = {};
  for (const op of OP_NAMES) {
    const dist = d?.get(op);
    const u = unfinished?.get(op) ?? 0;
    if (dist === undefined && u === 0) continue;
    out[op] = { count: dist?.count ?? 0, unfinished: u, latency: dist?.latency() ?? null };
  }
  return out;
}
