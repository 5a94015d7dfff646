/**
 * Precise cut summaries (docs/checker.md, "Precise cut summaries (issue 15,
 * eleventh part)"): for each stored state, the first steps the search ran
 * from it, each with its footprint and the state it led to. When the search
 * cuts at a stored state and a step i of the current path races with the
 * stored subtree with nothing after i on the path that is not ordered after
 * it, the initials of the race's reversal are the first steps of the stored
 * executions that are not ordered after i (./races.ts `pruned`); this walks
 * the stored states down to find them instead of taking every task runnable
 * at the cut.
 *
 * Kept compactly: one linked list of kids per state entry in a growable
 * Int32Array (task, footprint id, child entry, next), footprints interned
 * (the same step from many states has the same footprint). A kid is
 * recorded once per execution that ran its step afresh (`DfsScheduler`
 * records it at the next decision or at the execution's end), so each
 * stored execution's path is in the tree whatever data choices it made.
 */
import { fold, lanes } from './hash.js';
import type { Footprint } from './track.js';
import type { ThreadId } from './scheduler.js';
import type { Summaries, Summary } from './summary.js';

/** A kid's child: the execution ended there (no step below). */
export const END = -2;
/** A kid's child is not known (not stored, or the execution stopped early): the walk gives up. */
export const UNKNOWN = -1;

/** What a walk needs about the racing step i and the path after it. */
export interface WalkFrom {
  /** i's task and footprint. */
  readonly ti: ThreadId;
  readonly fp: Footprint;
  /** Tasks whose next step is ordered after i (program order, wake-up), as a mask. */
  after: number;
  /** Slots written and read by the path's steps after i that are ordered after it. */
  readonly aw: Set<number>;
  readonly ar: Set<number>;
  /** Tasks runnable at the cut, as a mask. */
  readonly runnable: number;
  /**
   * The tasks whose answer matters (the coarse rule's that are not in the
   * backtrack set yet), as a mask: once the walk has found all of them, the
   * rest of it can change nothing and it stops.
   */
  want: number;
}

const STRIDE = 4;

/** Why the last walk gave up (`CutTree.gaveUp`): its budget ran out, a state below was not known, or a task id did not fit the mask. */
export type GiveUp = 'budget' | 'unknown' | 'wide';

export class CutTree {
  /** Per entry: 1 + index of its first kid node, 0 none; `known` tells a leaf from a state never finished. */
  private head = new Int32Array(1 << 16);
  private known = new Uint8Array(1 << 16);
  private nodes = new Int32Array(STRIDE << 16);
  private nNodes = 0;
  /** Interned footprints, shared with the tree of the pass this one inherits from (`carry`). */
  private readonly fps: Footprint[];
  private readonly fpIds: Map<number, number[]>;
  /** Most kids one walk visits before it gives up (the coarse rule is used then). */
  budget = 32;
  /** Why the last walk that returned null gave up (for the statistics). */
  gaveUp: GiveUp = 'budget';

  /** `shared`: the tree of an earlier pass whose kids this one will carry over (`carry`): the footprint ids are shared. */
  constructor(shared?: CutTree) {
    this.fps = shared?.fps ?? [];
    this.fpIds = shared?.fpIds ?? new Map<number, number[]>();
  }

  private fit(e: number): void {
    if (e < this.head.length) return;
    let n = this.head.length;
    while (n <= e) n *= 2;
    const h = new Int32Array(n), k = new Uint8Array(n);
    h.set(this.head);
    k.set(this.known);
    this.head = h;
    this.known = k;
  }

  private fpId(fp: Footprint): number {
    lanes.a = 0x3c;
    lanes.b = 0xc3;
    for (const s of fp.r) fold(s);
    fold(-1);
    for (const s of fp.w) fold(s);
    const h = lanes.a ^ Math.imul(lanes.b, 31);
    let b = this.fpIds.get(h);
    if (b !== undefined) {
      for (const id of b) if (sameFp(this.fps[id]!, fp)) return id;
    } else this.fpIds.set(h, (b = []));
    const id = this.fps.length;
    this.fps.push({ r: fp.r.slice(), w: fp.w.slice() });
    b.push(id);
    return id;
  }

  /** Entry `e`'s exploration reached its end (its kids so far are every first step it ran). */
  finish(e: number): void {
    this.fit(e);
    this.known[e] = 1;
  }

  /** Task `task`'s step with footprint `fp` from state `e` led to state `child` (an entry, END or UNKNOWN). */
  add(e: number, task: ThreadId, fp: Footprint, child: number): void {
    this.addId(e, task, this.fpId(fp), child);
  }

  private addId(e: number, task: ThreadId, id: number, child: number): void {
    this.fit(e);
    const nd = this.nodes;
    for (let k = this.head[e]! - 1; k >= 0; k = nd[k * STRIDE + 3]! - 1) {
      if (nd[k * STRIDE] === task && nd[k * STRIDE + 1] === id && nd[k * STRIDE + 2] === child) return;
    }
    if ((this.nNodes + 1) * STRIDE > nd.length) {
      const m = new Int32Array(nd.length * 2);
      m.set(nd);
      this.nodes = m;
    }
    const k = this.nNodes++, o = k * STRIDE, n = this.nodes;
    n[o] = task;
    n[o + 1] = id;
    n[o + 2] = child;
    n[o + 3] = this.head[e]!;
    this.head[e] = k + 1;
  }

  /** Entry `e`'s exploration is known (finished) in this tree. */
  isKnown(e: number): boolean {
    return e < this.known.length && this.known[e] === 1;
  }

  /**
   * Carry entry `n` of an earlier pass's tree `from` (which shares this
   * tree's footprints) over as entry `e`: its kids, each child renumbered by
   * `child` (an entry of this pass, or UNKNOWN when it is not carried), and
   * its known mark. Only for a state the earlier pass explored exactly and
   * finished (docs/checker.md, "The cut tree across the hunting passes
   * (issue 15, thirteenth part)").
   */
  carry(from: CutTree, n: number, e: number, child: (n: number) => number): void {
    if (from.fps !== this.fps) throw new Error('check: a cut tree carries kids only from the tree it shares footprints with');
    if (!from.isKnown(n)) return;
    const nd = from.nodes;
    const kids: number[] = [];
    for (let k = from.head[n]! - 1; k >= 0; k = nd[k * STRIDE + 3]! - 1) kids.push(k);
    // Oldest first, as the earlier pass recorded them (the walk's order).
    for (let j = kids.length - 1; j >= 0; j--) {
      const o = kids[j]! * STRIDE, c = nd[o + 2]!;
      this.addId(e, nd[o]!, nd[o + 1]!, c === END ? END : c === UNKNOWN ? UNKNOWN : child(c));
    }
    this.finish(e);
  }

  /**
   * The tasks that start the reversal of some race of step i (`from`) with
   * a step of an execution stored below state `e`, as a mask: on each
   * stored path down from `e`, the first step not ordered after i (when a
   * step of its subtree conflicts with i), and every step on the way that
   * conflicts with i directly (it races with i; the steps before it on the
   * path are all ordered after i, so it starts the reversal itself). Null
   * when the walk reaches a state whose stored exploration is not known or
   * exceeds the budget: the caller takes the coarse rule. Only the tasks in
   * `from.want` are looked for: it stops once it has found them all (the
   * others are in the backtrack set already).
   */
  walk(e: number, from: WalkFrom, sums: Summaries, sumOf: (e: number) => Summary | undefined): number | null {
    let left = this.budget, out = 0;
    const nd = this.nodes, want = from.want;
    const go = (s: number): boolean => {
      if (s >= this.known.length || this.known[s] === 0) return this.stop('unknown');
      for (let k = this.head[s]! - 1; k >= 0; k = nd[k * STRIDE + 3]! - 1) {
        if (--left < 0) return this.stop('budget');
        const u = nd[k * STRIDE]!, fp = this.fps[nd[k * STRIDE + 1]!]!, child = nd[k * STRIDE + 2]!;
        if (u > 30) return this.stop('wide');
        const bit = 1 << u;
        const after = (from.after & bit) !== 0 || (from.runnable & bit) === 0 || touches(fp, from.aw, from.ar);
        const withI = u !== from.ti && conflict(fp, from.fp);
        if (!after && !withI) {
          // The first step not ordered after i on these paths: it starts
          // the reversal of every race below it, if there is one.
          if ((out & bit) === 0) {
            const cs = child >= 0 ? sumOf(child) : undefined;
            if (child === UNKNOWN || (child >= 0 && cs === undefined) || (cs !== undefined && sums.conflicts(cs, from.ti, from.fp) !== 0)) {
              out |= bit;
              if ((out & want) === want) return true;
            }
          }
          continue;
        }
        if (!after) {
          out |= bit; // a direct race with i
          if ((out & want) === want) return true;
        }
        if (child === END) continue;
        if (child === UNKNOWN) return this.stop('unknown');
        const cs = sumOf(child);
        if (cs !== undefined && !cs.wide && sums.conflicts(cs, from.ti, from.fp) === 0) continue; // no race below
        // Below it, this step is ordered after i.
        const a0 = from.after, addW: number[] = [], addR: number[] = [];
        from.after |= bit;
        for (const x of fp.w) if (!from.aw.has(x)) { from.aw.add(x); addW.push(x); }
        for (const x of fp.r) if (!from.ar.has(x)) { from.ar.add(x); addR.push(x); }
        const ok = go(child);
        from.after = a0;
        for (const x of addW) from.aw.delete(x);
        for (const x of addR) from.ar.delete(x);
        if (!ok) return false;
        if ((out & want) === want) return true;
      }
      return true;
    };
    if (want === 0) return 0;
    return go(e) ? out : null;
  }

  private stop(why: GiveUp): false {
    this.gaveUp = why;
    return false;
  }

  /** Kid nodes and distinct footprints kept (for the statistics). */
  get size(): { kids: number; footprints: number } {
    return { kids: this.nNodes, footprints: this.fps.length };
  }
}

function sameFp(a: Footprint, b: Footprint): boolean {
  if (a.r.length !== b.r.length || a.w.length !== b.w.length) return false;
  for (let i = 0; i < a.r.length; i++) if (a.r[i] !== b.r[i]) return false;
  for (let i = 0; i < a.w.length; i++) if (a.w[i] !== b.w[i]) return false;
  return true;
}

/** A step of footprint `fp` conflicts with one that wrote `aw` and read `ar`. */
function touches(fp: Footprint, aw: ReadonlySet<number>, ar: ReadonlySet<number>): boolean {
  for (const s of fp.w) if (aw.has(s) || ar.has(s)) return true;
  for (const s of fp.r) if (aw.has(s)) return true;
  return false;
}

function conflict(a: Footprint, b: Footprint): boolean {
  for (const s of a.w) if (b.w.includes(s) || b.r.includes(s)) return true;
  for (const s of a.r) if (b.w.includes(s)) return true;
  return false;
}
