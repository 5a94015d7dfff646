/**
 * Subtree summaries for DPOR with state caching (./dfs.ts): for a state whose
 * subtree was explored, which tasks' steps in that subtree read and wrote
 * which slots. When the search reaches the state again and prunes it, the
 * races that the pruned subtree's steps would have had with the steps of the
 * current path are added from the summary instead (every conflicting pair,
 * without the happens-before filter: a superset of what exploring the subtree
 * would add). Soundness: docs/checker.md, "State caching".
 *
 * Slots are made dense (numbered in order of first sight in the search; they
 * are canonical, ./track.ts Canon, so one slot means the same field in every
 * execution); a summary holds per dense slot the bit masks of the tasks that
 * read it and that wrote it. Tasks above 30 do not fit a mask: a summary with
 * one is `wide`, and conflicts with every step of every task.
 */
import { fold, lanes } from './hash.js';
import type { Footprint } from './track.js';

export class Summary {
  constructor(
    public r: Int32Array,
    public w: Int32Array,
    public wide: boolean,
  ) {}
}

const EMPTY = new Int32Array(0);

export class Summaries {
  private readonly dense = new Map<number, number>();
  /** Slot of each dense index. */
  readonly slots: number[] = [];
  private readonly interned = new Map<number, Summary[]>();
  /** Distinct summaries kept. */
  get size(): number {
    let n = 0;
    for (const b of this.interned.values()) n += b.length;
    return n;
  }

  empty(): Summary {
    return new Summary(EMPTY, EMPTY, false);
  }

  private denseOf(slot: number): number {
    let d = this.dense.get(slot);
    if (d === undefined) {
      d = this.dense.size;
      this.dense.set(slot, d);
      this.slots.push(slot);
    }
    return d;
  }

  /**
   * Make `s` hold at least `n` dense slots. A summary that grows is sized
   * for every dense slot known so far at once (a working summary of a new
   * level otherwise grew 32, 64, 128, 256: four pairs of typed arrays, each
   * with a backing store outside the JS heap; docs/checker.md, "Cost per
   * execution"). Entries past the slots written are 0, which no reader
   * tells from absent (`intern` trims them).
   */
  private fit(s: Summary, n: number): void {
    if (s.r.length >= n) return;
    let len = Math.max(32, s.r.length * 2);
    while (len < n || len < this.slots.length) len *= 2;
    const r = this.take(len), w = this.take(len);
    r.set(s.r);
    w.set(s.w);
    this.give(s.r);
    this.give(s.w);
    s.r = r;
    s.w = w;
  }

  /** Working arrays given back (`recycle`, `fit`), by length (a power of 2, at least 32). */
  private readonly pool = new Map<number, Int32Array[]>();

  /** A zeroed array of `len` entries, from the pool if it has one. */
  private take(len: number): Int32Array {
    const a = this.pool.get(len)?.pop();
    if (a === undefined) return new Int32Array(len);
    a.fill(0);
    return a;
  }

  private give(a: Int32Array): void {
    if (a.length < 32 || (a.length & (a.length - 1)) !== 0) return; // only what `take` makes (EMPTY and copies' odd lengths are dropped)
    let l = this.pool.get(a.length);
    if (l === undefined) this.pool.set(a.length, (l = []));
    if (l.length < 256) l.push(a);
  }

  /**
   * `s` is no longer referenced (a working summary of a level the search
   * dropped, DfsScheduler.popTo): its arrays go back to the pool (working
   * summaries are made and dropped at every new level; each typed array has
   * a backing store outside the JS heap, costly to allocate and to free).
   * Never an interned summary (those are shared).
   */
  recycle(s: Summary): void {
    this.give(s.r);
    this.give(s.w);
    s.r = s.w = EMPTY;
  }

  /** Add a step of `task` with footprint `fp` (mutates `s`). */
  add(s: Summary, task: number, fp: Footprint): void {
    if (task > 30) {
      s.wide = true;
      return;
    }
    const bit = 1 << task;
    for (const slot of fp.r) {
      const d = this.denseOf(slot);
      this.fit(s, d + 1);
      s.r[d]! |= bit;
    }
    for (const slot of fp.w) {
      const d = this.denseOf(slot);
      this.fit(s, d + 1);
      s.w[d]! |= bit;
    }
  }

  /** `into` |= `from` (mutates `into`). */
  union(into: Summary, from: Summary): void {
    if (from.wide) into.wide = true;
    const n = from.r.length;
    this.fit(into, n);
    for (let i = 0; i < n; i++) {
      into.r[i]! |= from.r[i]!;
      into.w[i]! |= from.w[i]!;
    }
  }

  copy(s: Summary): Summary {
    return new Summary(s.r.slice(), s.w.slice(), s.wide);
  }

  /** One shared, immutable summary per content (summaries of many states are equal). */
  intern(s: Summary): Summary {
    let n = s.r.length;
    while (n > 0 && s.r[n - 1] === 0 && s.w[n - 1] === 0) n--;
    lanes.a = 0x5a;
    lanes.b = 0xa5;
    fold(s.wide ? 1 : 0);
    for (let i = 0; i < n; i++) {
      if (s.r[i] === 0 && s.w[i] === 0) continue;
      fold(i);
      fold(s.r[i]!);
      fold(s.w[i]!);
    }
    const h = lanes.a ^ Math.imul(lanes.b, 31);
    const bucket = this.interned.get(h);
    if (bucket !== undefined) {
      for (const t of bucket) if (same(t, s, n)) return t;
    }
    const t = new Summary(s.r.slice(0, n), s.w.slice(0, n), s.wide);
    if (bucket === undefined) this.interned.set(h, [t]);
    else bucket.push(t);
    return t;
  }

  /**
   * Tasks other than `tid` with a step in the summary that conflicts with a
   * step of footprint `fp` (one writes a slot the other reads or writes), as
   * a mask; -1 (every task) for a wide summary.
   */
  conflicts(s: Summary, tid: number, fp: Footprint): number {
    if (s.wide) return -1;
    let m = 0;
    const n = s.r.length;
    for (const slot of fp.w) {
      const d = this.dense.get(slot);
      if (d !== undefined && d < n) m |= s.r[d]! | s.w[d]!;
    }
    for (const slot of fp.r) {
      const d = this.dense.get(slot);
      if (d !== undefined && d < n) m |= s.w[d]!;
    }
    return tid <= 30 ? m & ~(1 << tid) : m;
  }
}

function same(t: Summary, s: Summary, n: number): boolean {
  if (t.wide !== s.wide || t.r.length !== n) return false;
  for (let i = 0; i < n; i++) if (t.r[i] !== s.r[i] || t.w[i] !== s.w[i]) return false;
  return true;
}
