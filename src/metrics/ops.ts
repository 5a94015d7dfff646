/**
 * Op latency: opBegin -> opEnd in simulated ns, per (class, op) and per op
 * over all classes. Ops that begin before warm-up are left out.
 */
import { PRIORITY_CLASSES, type OpName, type PriorityClass } from '../scenario/types.js';
import { doubleArray, objectArray } from '../model/shapes.js';
import { Distribution } from './histograms.js';
import { OP_NAMES, type LatencyCdfs, type OpStats } from './types.js';

/**
 * The open op of each task, by task id, as parallel arrays (no object per
 * op): its begin time (-1: none open, or it began before warm-up), name,
 * class, and the (class, op) and all-classes distributions it goes to.
 */
class OpenOps {
  readonly begin: number[] = doubleArray();
  readonly op: Array<OpName | undefined> = objectArray();
  readonly cls: Array<PriorityClass | undefined> = objectArray();
  readonly mine: Array<Distribution | undefined> = objectArray();
  readonly all: Array<Distribution | undefined> = objectArray();

  /** Make room for task `id`: the arrays grow together, without holes, in the elements kind they were made with. */
  grow(id: number): void {
    while (this.begin.length <= id) {
      this.begin.push(-1);
      this.op.push(undefined);
      this.cls.push(undefined);
      this.mine.push(undefined);
      this.all.push(undefined);
    }
  }
}

/** OpLatencies.cache's key of the warm-up sink, after every (class, op) and (all, op) key. */
const SINK_KEY = (PRIORITY_CLASSES.length + 1) * OP_NAMES.length;

export class OpLatencies {
  private readonly open = new OpenOps();
  private readonly byClass = new Map<PriorityClass, Map<OpName, Distribution>>();
  private readonly all = new Map<OpName, Distribution>();
  private readonly unfinishedByClass = new Map<PriorityClass, Map<OpName, number>>();
  private readonly unfinishedAll = new Map<OpName, number>();
  /**
   * dist(cls, op) by PRIORITY_CLASSES index * OP_NAMES.length + OP_NAMES
   * index; dist(null, op) after those.
   */
  private readonly cache: Array<Distribution | undefined> = objectArray();
  /**
   * Where an op begun before warm-up records its latency: never read. Such
   * an op runs the same code as the others (LockStats.warmupSink): had it
   * returned at once, begin's and end's code past the test would first run
   * at warm-up's end, after TurboFan compiled them, and be compiled again.
   */
  private readonly warmupSink = new Distribution();

  constructor(private readonly warmup: number) {
    // The sink at the cache's last key (dist(null, op)'s keys end before it): cached() returns it without making a distribution.
    while (this.cache.length < SINK_KEY) this.cache.push(undefined);
    this.cache.push(this.warmupSink);
  }

  begin(t: number, id: number, cls: PriorityClass, op: OpName): void {
    const o = this.open;
    o.grow(id);
    const warm = t >= this.warmup;
    const opIdx = OP_NAMES.indexOf(op);
    const mineKey = PRIORITY_CLASSES.indexOf(cls) * OP_NAMES.length + opIdx, allKey = PRIORITY_CLASSES.length * OP_NAMES.length + opIdx;
    o.begin[id] = t;
    o.op[id] = op;
    o.cls[id] = cls;
    o.mine[id] = this.cached(warm ? mineKey : SINK_KEY, cls, op);
    o.all[id] = this.cached(warm ? allKey : SINK_KEY, null, op);
  }

  private cached(key: number, cls: PriorityClass | null, op: OpName): Distribution {
    let d = this.cache[key];
    if (d === undefined) {
      while (this.cache.length <= key) this.cache.push(undefined);
      d = this.cache[key] = this.dist(cls, op);
    }
    return d;
  }

  end(t: number, id: number): void {
    const o = this.open;
    const begin = id < o.begin.length ? o.begin[id]! : -1;
    if (begin < 0) return;
    o.begin[id] = -1;
    o.mine[id]!.record(t - begin);
    o.all[id]!.record(t - begin);
  }

  /** Count the ops still open at the end of the run. */
  finish(): void {
    const o = this.open;
    for (let id = 0; id < o.begin.length; id++) {
      if (o.begin[id]! < 0) continue;
      const cls = o.cls[id]!, op = o.op[id]!;
      if (o.mine[id] === this.warmupSink) { // begun before warm-up: left out
        o.begin[id] = -1;
        continue;
      }
      let m = this.unfinishedByClass.get(cls);
      if (m === undefined) this.unfinishedByClass.set(cls, m = new Map());
      m.set(op, (m.get(op) ?? 0) + 1);
      this.unfinishedAll.set(op, (this.unfinishedAll.get(op) ?? 0) + 1);
      o.begin[id] = -1;
    }
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
