/**
 * DPOR's race detection over the executed trace (./dfs.ts): vector clocks
 * over conflicts (footprints, ./track.ts), wake-ups and I/O submission; after
 * each new step j, every earlier step i of another task that conflicts with j
 * and does not happen before it is a race. Also the races a pruned state's
 * subtree would have had with the current path (state caching, ./summary.ts).
 * The scheduler decides what a race adds to a backtrack set (`onRace`: the
 * tasks that can start the race's reversal at i's level, or null for every
 * task runnable there).
 *
 * Source sets (P. Abdulla, S. Aronis, B. Jonsson, K. Sagonas, "Optimal
 * dynamic partial order reduction", POPL 2014; "Source sets: a foundation for
 * optimal dynamic partial order reduction", JACM 64(4), 2017): only direct
 * races count (i happens before j through no other step), and a race's
 * reversal is given by the initials of notdep(i).j, the steps after i that do
 * not happen after i, then j: the tasks whose first step there has no
 * predecessor among them. The scheduler adds one of them to i's level unless
 * one is there already (./dfs.ts `race`). With `sourceSets` off, the rule
 * before it: every conflicting step not ordered before j's task races, and
 * j's task is tried when j could run right at i's level, else every task.
 */
import type { StepInfo, ThreadId } from './scheduler.js';
import type { Summaries, Summary } from './summary.js';
import type { Footprint } from './track.js';
import type { WalkFrom } from './cut-tree.js';

/**
 * Precise cut summaries (./cut-tree.ts): for event `e` racing with a cut
 * subtree, given the tasks the coarse rule would add (`coarse`) and what the
 * walk needs (`from`, made only if the walk runs), the tasks that start the
 * reversals of its races, or null (unknown: the coarse rule).
 */
export type PreciseInitials = (e: DporEvent, coarse: readonly ThreadId[], from: () => WalkFrom) => readonly ThreadId[] | null;

/** A step of the current execution. */
export interface DporEvent {
  readonly tid: ThreadId;
  /** The thread level it ran at. */
  readonly level: number;
  readonly fp: Footprint;
  /** clock[x] = 1 + index of the last event of task x that happens before (or is) this one; 0 none. */
  readonly clock: number[];
}

/**
 * A race of event `e` with a later step: `initials` can start its reversal
 * at e's level (null: any task runnable there). `exact` false: `initials`
 * only contains every task that can (each is to be tried).
 */
export type OnRace = (e: DporEvent, initials: readonly ThreadId[] | null, exact: boolean) => void;

/**
 * What undoes one change to a map of Races (`truncate`): the map, the key,
 * and the value before (undefined: absent); or, with no map, a readers list
 * (`old`) that grew by one.
 */
interface Undo {
  readonly m: Map<number, unknown> | null;
  readonly k: number;
  readonly old: unknown;
}

export class Races {
  private readonly events: DporEvent[] = [];
  private readonly lastOf = new Map<ThreadId, number>();
  private readonly enabler = new Map<ThreadId, number>();
  /** Per slot: last writing event, and events that read it since. */
  private readonly lastW = new Map<number, number>();
  private readonly readsSince = new Map<number, number[]>();
  /** Undo log of the maps' changes, and where each event's entries start (`truncate`). */
  private readonly undo: Undo[] = [];
  private readonly marks: number[] = [];

  /** `sourceSets`: direct races and their initials (above); else the over-approximation before it. */
  constructor(private readonly sourceSets = true) {}

  /** Events recorded (steps of the current execution so far). */
  get size(): number {
    return this.events.length;
  }

  /** The event of step j. */
  event(j: number): DporEvent {
    return this.events[j]!;
  }

  /**
   * Forget every event from step k on: the state is exactly the one after the
   * first k steps (the next execution replays them; ./dfs.ts keeps them
   * instead of recording them again).
   */
  truncate(k: number): void {
    if (k >= this.events.length) return;
    const to = this.marks[k]!;
    const u = this.undo;
    for (let i = u.length - 1; i >= to; i--) {
      const x = u[i]!;
      if (x.m === null) (x.old as number[]).pop();
      else if (x.old === undefined) x.m.delete(x.k);
      else x.m.set(x.k, x.old);
    }
    u.length = to;
    this.marks.length = k;
    this.events.length = k;
  }

  /** Set `m`'s entry `k` to `v`, logging the value before. */
  private put<V>(m: Map<number, V>, k: number, v: V | undefined): void {
    this.undo.push({ m: m as Map<number, unknown>, k, old: m.get(k) });
    if (v === undefined) m.delete(k);
    else m.set(k, v);
  }

  /**
   * Task `t` ran a step at thread level `level` with footprint `f`. `fresh`:
   * it ran for the first time (a replayed step looks for no races: it found
   * them when it first ran).
   */
  step(t: ThreadId, level: number, f: Footprint, fresh: boolean, info: StepInfo, onRace: OnRace): void {
    const j = this.events.length;
    this.marks.push(this.undo.length);
    const clock: number[] = [];
    const joinInto = (c: readonly number[]): void => {
      for (let x = 0; x < c.length; x++) if ((c[x] ?? 0) > (clock[x] ?? 0)) clock[x] = c[x]!;
    };
    const prev = this.lastOf.get(t);
    if (prev !== undefined) joinInto(this.events[prev]!.clock);
    const en = this.enabler.get(t);
    if (en !== undefined) {
      joinInto(this.events[en]!.clock);
      this.put(this.enabler, t, undefined);
    }
    const base = clock.slice();
    // Conflicting earlier events: the last writer of each slot touched, and
    // the readers since then of each slot written (older conflicting events
    // happen before these, FastTrack-style).
    const conflicts: number[] = [];
    for (const s of f.r) {
      const w = this.lastW.get(s);
      if (w !== undefined) conflicts.push(w);
    }
    for (const s of f.w) {
      const w = this.lastW.get(s);
      if (w !== undefined) conflicts.push(w);
      const rs = this.readsSince.get(s);
      if (rs !== undefined) for (const r of rs) conflicts.push(r);
    }
    const racing: number[] = [];
    for (const i of conflicts) {
      const e = this.events[i]!;
      if (e.tid === t) continue;
      if (fresh && (base[e.tid] ?? 0) < i + 1 && !racing.includes(i)) racing.push(i);
      joinInto(e.clock);
    }
    if (racing.length > 0 && this.sourceSets) {
      for (const i of racing) {
        // A direct race: i happens before j through none of j's other
        // conflicting steps (it cannot through base, checked above).
        const ti = this.events[i]!.tid;
        if (conflicts.some((c) => c !== i && (this.events[c]!.clock[ti] ?? 0) >= i + 1)) continue;
        onRace(this.events[i]!, this.initials(i, t, clock), true);
      }
    } else if (racing.length > 0) {
      // The race reverses i and this step j. Trying task t first at i's level
      // reaches the reversal only if this step can run right there: no step
      // after i happens before j (t's own earlier steps, the step that woke
      // or spawned t, or a conflicting step). Otherwise every task runnable
      // at that level is tried (source-DPOR's initials, Abdulla et al. 2014,
      // over-approximated; adding only t there loses executions).
      let last = -1;
      for (const x of clock) if (x !== undefined && x - 1 > last) last = x - 1;
      for (const i of racing) onRace(this.events[i]!, last > i ? null : [t], true);
    }
    for (const s of f.w) {
      this.put(this.lastW, s, j);
      if (this.readsSince.has(s)) this.put(this.readsSince, s, undefined);
    }
    for (const s of f.r) {
      if (f.w.includes(s)) continue;
      const rs = this.readsSince.get(s);
      if (rs === undefined) this.put(this.readsSince, s, [j]);
      else if (rs[rs.length - 1] !== j) {
        rs.push(j);
        this.undo.push({ m: null, k: s, old: rs });
      }
    }
    clock[t] = j + 1;
    this.events.push({ tid: t, level, fp: f, clock });
    this.put(this.lastOf, t, j);
    for (const w of info.woke) this.put(this.enabler, w, j);
    for (const s of info.spawned) this.put(this.enabler, s, j);
  }

  /**
   * The initials of notdep(i).j (source-DPOR): walking the steps after i,
   * those that do not happen after i form the sequence; a task is an initial
   * when its first step there has no predecessor in it. A task's later steps
   * follow its first, and a step with a predecessor in the sequence has one
   * that is the first step of its task there, so the first steps per task
   * (`first`) are all that need comparing. `jClock` is j's clock (j not
   * recorded yet); without j (t = -1), the initials of notdep(i) alone.
   */
  private initials(i: number, t: ThreadId, jClock: readonly number[]): ThreadId[] {
    const ti = this.events[i]!.tid;
    const firstTid: ThreadId[] = [];
    const firstIdx: number[] = [];
    const out: ThreadId[] = [];
    const visit = (tid: ThreadId, clock: readonly number[], k: number): void => {
      if (firstTid.includes(tid)) return; // a later step of a task in the sequence: its first precedes it
      let pred = false;
      for (let x = 0; x < firstTid.length && !pred; x++) pred = (clock[firstTid[x]!] ?? 0) >= firstIdx[x]! + 1;
      if (!pred) out.push(tid);
      firstTid.push(tid);
      firstIdx.push(k);
    };
    for (let k = i + 1; k < this.events.length; k++) {
      const e = this.events[k]!;
      if ((e.clock[ti] ?? 0) < i + 1) visit(e.tid, e.clock, k); // else it happens after i
    }
    if (t >= 0) visit(t, jClock, this.events.length);
    return out;
  }

  /**
   * What the walk of precise cut summaries (./cut-tree.ts) needs about step
   * j, when nothing after it on the path is unordered with it: the tasks
   * whose next step is ordered after j (its own, and those whose last step
   * or waker is; `clockOf`), and the slots written and read by the path's
   * steps after j that are ordered after it.
   */
  private walkFrom(j: number, cutRunnable: readonly ThreadId[], clockOf: (q: ThreadId) => number[]): WalkFrom {
    const e = this.events[j]!, ti = e.tid;
    let after = ti <= 30 ? 1 << ti : 0, runnable = 0;
    for (const q of cutRunnable) {
      if (q > 30) continue;
      runnable |= 1 << q;
      if ((clockOf(q)[ti] ?? 0) >= j + 1) after |= 1 << q;
    }
    const aw = new Set<number>(), ar = new Set<number>();
    for (let k = j + 1; k < this.events.length; k++) {
      const f = this.events[k]!;
      if ((f.clock[ti] ?? 0) < j + 1) continue;
      for (const s of f.fp.w) aw.add(s);
      for (const s of f.fp.r) ar.add(s);
    }
    return { ti, fp: e.fp, after, aw, ar, runnable, want: 0 };
  }

  /**
   * The current path reached a state explored before, whose subtree is
   * summarised by `sum`: every step of the path that is the last writer, or
   * a reader since, of a slot that a step of another task q in the subtree
   * writes or reads (as `step` would find for each of those steps; a step
   * inside the subtree can only take their place as a later one), and that
   * does not happen before q's next step, races with the subtree. Which task
   * can start the reversal is not known (the subtree's steps before q's may
   * be needed first): every task runnable at its level (null), or, with
   * source sets, the initials of the path's steps after it that do not
   * happen after it, notdep(i): the reversal the stateless search would
   * find is notdep(i).w.s for a step s of the subtree and the subtree's
   * steps w before it, and an initial of a prefix of a sequence is one of
   * the sequence (a predecessor comes before in the sequence). When notdep(i)
   * is empty, the initials are the first steps of the subtree's tasks that
   * do not happen after i: each is a task runnable at the pruned state
   * (`cutRunnable`; a task woken or spawned inside the subtree has its waker
   * before it) whose next step is not ordered after i (a task's steps
   * after a step ordered after i are too): every such task is tried
   * (`exact` false).
   */
  pruned(sum: Summary, sums: Summaries, cutRunnable: readonly ThreadId[], onRace: OnRace, precise: PreciseInitials | null = null): void {
    if (sum.wide) {
      for (const e of this.events) onRace(e, null, true);
      return;
    }
    const clocks = new Map<ThreadId, number[]>();
    const clockOf = (q: ThreadId): number[] => {
      let c = clocks.get(q);
      if (c === undefined) {
        // What q's future steps are already ordered after: its own last step
        // and the step that woke or spawned it (program order; happens-before
        // through steps inside the pruned subtree is not used).
        c = [];
        for (const i of [this.lastOf.get(q), this.enabler.get(q)]) {
          if (i === undefined) continue;
          const k = this.events[i]!.clock;
          for (let x = 0; x < k.length; x++) if ((k[x] ?? 0) > (c[x] ?? 0)) c[x] = k[x]!;
        }
        clocks.set(q, c);
      }
      return c;
    };
    const init = new Map<number, { readonly ini: readonly ThreadId[] | null; readonly exact: boolean }>();
    const check = (j: number, q: ThreadId): void => {
      const e = this.events[j]!;
      if (e.tid === q || (clockOf(q)[e.tid] ?? 0) >= j + 1) return; // e happens before every step of q from here
      let r = init.get(j);
      if (r === undefined) {
        if (!this.sourceSets) r = { ini: null, exact: true };
        else {
          const a = this.initials(j, -1, []);
          if (a.length > 0) r = { ini: a, exact: true };
          else {
            const coarse = cutRunnable.filter((p) => p !== e.tid && (clockOf(p)[e.tid] ?? 0) < j + 1);
            r = { ini: (precise === null ? null : precise(e, coarse, () => this.walkFrom(j, cutRunnable, clockOf))) ?? coarse, exact: false };
          }
        }
        init.set(j, r);
      }
      onRace(e, r.ini, r.exact);
    };
    const n = sum.r.length;
    for (let d = 0; d < n; d++) {
      const rm = sum.r[d]!, wm = sum.w[d]!;
      if ((rm | wm) === 0) continue;
      const slot = sums.slots[d]!;
      const w = this.lastW.get(slot);
      const rs = wm !== 0 ? this.readsSince.get(slot) : undefined;
      if (w === undefined && rs === undefined) continue;
      for (let q = 0; q <= 30; q++) {
        const bit = 1 << q;
        if (((rm | wm) & bit) === 0) continue;
        if (w !== undefined) check(w, q);
        if (rs !== undefined && (wm & bit) !== 0) for (const r of rs) check(r, q);
      }
    }
  }
}
