/**
 * The state after a step, for the search: the state invariants as an
 * assertion inside a tracked step (checkStateTracked) and the state hash
 * (stateHash); split out of ./executor.ts.
 */
import { checkVmaObs, type Violation } from './invariants.js';
import { fmix, fold, foldString, lanes } from './hash.js';
import { TState } from './check-task.js';
import type { Footprint } from './track.js';
import type { Execution } from './executor.js';

/**
 * The state invariants after a tracked step, as an assertion at the end of
 * the step: each VMA's invariant is evaluated with its reads logged; if the
 * step wrote a slot that evaluation read, the step may have changed the
 * invariant's value, so the reads join the step's footprint (making the step
 * dependent on every step that writes them) and a violation is reported. If
 * it wrote none of them, the value is the one before the step, which the
 * step that last changed it already judged. A VMA created in the step
 * (objects are instrumented at its end, so their slots are in no footprint
 * yet) counts as written by it. Soundness: docs/checker.md.
 */
export function checkStateTracked(this: Execution, fp: Footprint, obsBefore: number): { fp: Footprint; violation: Violation | null } {
  const on = this.model.invariants;
  let violation: Violation | null = null;
  let r: number[] | null = null;
  for (let i = 0; i < this.obs.length; i++) {
    const o = this.obs[i]!;
    const p = this.tracker.probe(() => checkVmaObs(o, on, this.nameOf));
    if (i < obsBefore && !intersects(p.reads, fp.w)) continue;
    r ??= [...fp.r];
    for (const s of p.reads) if (!r.includes(s)) r.push(s);
    violation ??= p.value;
  }
  return { fp: r === null ? fp : { r, w: fp.w }, violation };
}

/**
 * The state at a step boundary, hashed to 64 bits (two lanes): every field
 * of every instrumented object (model objects and observation records,
 * containers by content), the number of tasks, and per task its state
 * (runnable, asleep, ended) and, unless it ended, what determines its local
 * state: a thread's input history, an I/O pseudo-task's folio. Two
 * executions with equal states (not only equal hashes) have the same
 * futures: docs/checker.md, "State caching". Needs CheckModel.stateCache.
 */
export function stateHash(this: Execution): [number, number] {
  if (!this.tracker.inputs) throw new Error('check: stateHash needs CheckModel.stateCache');
  if (this.lanesStale) throw new Error('check: stateHash after a replayed prefix without restoreLanes');
  lanes.a = 0x51a7e;
  lanes.b = 0xe7a15;
  this.tracker.foldObjects();
  // lockdep's graph: an edge an ended task added (no longer in any task's
  // history) decides whether a later acquisition closes a cycle.
  if (this.model.invariants.has('lock-order')) {
    // Edges into anon_vma are left out: nothing is taken while holding it
    // (rmap.ts), so they close no cycle and decide nothing later.
    // Edges into fs_reclaim likewise, unless some op takes a lock under it (try_to_unmap).
    // lockdep's graph only grows within an execution (check-hooks.ts
    // lock_acquire adds, nothing removes): the sorted list is made again
    // only when it has grown.
    let edges = this.hashedEdges;
    if (edges === null || this.hashedEdgeCount !== this.lockEdges.size) {
      edges = this.hashedEdges = [...this.lockEdges.keys()].filter((k) => !k.endsWith('->anon_vma') && (this.fileRmap || !k.endsWith('->fs_reclaim'))).sort();
      this.hashedEdgeCount = this.lockEdges.size;
    }
    fold(edges.length);
    for (const k of edges) foldString(k);
  }
  fold(this.tasks.length);
  for (const t of this.tasks) {
    fold(t.state);
    if (t.state === TState.DONE) continue;
    if (t.io !== null) {
      // A pseudo-task runs its completion (the same function for every
      // folio of its kind) once, on its folio.
      fold(this.tracker.idOf(t.io.folio));
      foldString(t.io.fn.name);
      foldString(t.comm.replace(/[0-9]+$/, ''));
    } else {
      fold(t.histA);
      fold(t.histB);
    }
  }
  return [fmix(lanes.a), fmix(lanes.b)];
}

function intersects(a: readonly number[], b: readonly number[]): boolean {
  for (const x of a) if (b.includes(x)) return true;
  return false;
}
