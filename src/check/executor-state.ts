/**
 * The state after a step, for the search: the state invariants as an
 * assertion inside a tracked step (checkStateTracked) and the state hash
 * (stateHash); split out of ./executor.ts.
 */
import { checkVmaObs, type Violation } from './invariants.js';
import { fmix, fold, foldString, lanes } from './hash.js';
import { DIAG_LOG } from './track.js';
import { planFor, storeOf } from './track-plan.js';
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
    const edges = [...this.lockEdges.keys()].filter((k) => !k.endsWith('->anon_vma') && (this.fileRmap || !k.endsWith('->fs_reclaim'))).sort();
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
    } else if (DIAG_COARSE) {
      foldString(t.opLabel); foldString(t.pending); fold(t.retries); fold(t.vmaReadLocks); fold(t.iMmapLocks); fold(t.fsReclaim);
    } else {
      fold(t.histA);
      fold(t.histB);
    }
  }
  const res: [number, number] = [fmix(lanes.a), fmix(lanes.b)];
  if (DIAG_STATS) diagCoarse(this);
  return res;
}

const DIAG_COARSE = process.env['FL_DIAG_COARSE'] === '1';
const DIAG_STATS = process.env['FL_DIAG_STATS'] === '1';
export const diag = { coarseStates: new Set<string>(), taskCoarse: new Set<string>(), taskFine: new Set<string>(), hashes: 0, logs: new Map<string, Map<string, string>>() };
function diagCoarse(x: Execution): void {
  const sa = lanes.a, sb = lanes.b;
  lanes.a = 0x51a7e; lanes.b = 0xe7a15;
  x.tracker.foldObjects();
  fold(x.tasks.length);
  for (const t of x.tasks) {
    fold(t.state);
    if (t.state === TState.DONE) continue;
    if (t.io !== null) { fold(x.tracker.idOf(t.io.folio)); foldString(t.io.fn.name); continue; }
    foldString(t.opLabel); foldString(t.pending); fold(t.retries); fold(t.vmaReadLocks);
    const k = `${t.id}|${t.opLabel}|${t.pending}|${t.retries}|${t.vmaReadLocks}`;
    diag.taskCoarse.add(k);
    diag.taskFine.add(`${k}|${t.histA}|${t.histB}`);
    if (DIAG_LOG.on) { let m = diag.logs.get(k); if (m === undefined) diag.logs.set(k, m = new Map()); m.set(`${t.histA},${t.histB}`, DIAG_LOG.hist.get(`${t.histA},${t.histB}`) ?? '?'); }
  }
  diag.coarseStates.add(`${fmix(lanes.a)},${fmix(lanes.b)}`);
  if (DIAG_SHARED) diagShared(x);
  diag.hashes++;
  lanes.a = sa; lanes.b = sb;
}

function intersects(a: readonly number[], b: readonly number[]): boolean {
  for (const x of a) if (b.includes(x)) return true;
  return false;
}

const DIAG_SHARED = process.env['FL_DIAG_SHARED'] === '1';
export const diagSh = new Map<string, Set<string>>();
function shHash(x: Execution, exCls: string | null, exKey: string | null, coarse: boolean): string {
  lanes.a = 0x51a7e; lanes.b = 0xe7a15;
  fold(x.tracker.objects.length);
  for (const o of x.tracker.objects) {
    const st = storeOf(o); const plan = planFor(o); const cls = o.constructor.name;
    fold(st.base);
    for (let i = 0; i < plan.keys.length; i++) {
      if (i === plan.seq) continue;
      if (cls === exCls && (exKey === null || plan.keys[i] === exKey)) { fold(77); continue; }
      x.tracker.foldValue(st.v[i]);
    }
  }
  foldString([...x.lockEdges.keys()].sort().join(','));
  for (const t of x.tasks) {
    fold(t.state);
    if (t.state === TState.DONE) continue;
    if (t.io !== null) { fold(x.tracker.idOf(t.io.folio)); foldString(t.io.fn.name); continue; }
    if (coarse) { foldString(t.opLabel); foldString(t.pending); fold(t.retries); fold(t.vmaReadLocks); }
    else { fold(t.histA); fold(t.histB); }
  }
  return `${fmix(lanes.a)},${fmix(lanes.b)}`;
}
function diagShared(x: Execution): void {
  const add = (k: string, h: string): void => { let s = diagSh.get(k); if (s === undefined) diagSh.set(k, s = new Set()); s.add(h); };
  add('(none)', shHash(x, null, null, false));
  if (DIAG_SHARED_CLS !== '') {
    const full = shHash(x, null, null, false);
    const ex = shHash(x, DIAG_SHARED_CLS, null, false);
    const desc = x.tracker.objects.map((o) => { const st = storeOf(o); const pl = planFor(o); return `${(o as { label?: string }).label ?? '?'}#${st.base >> 6}{` + pl.keys.map((k, i) => `${k}=${x.tracker.diagShort(st.v[i])}`).join(' ') + '}'; }).join(' ; ');
    const prev = diagEx.get(ex);
    if (prev === undefined) diagEx.set(ex, [full, desc]);
    else if (prev[0] !== full && diagExamples.length < 40) {
      const a = prev[1].split(' ; '), b = desc.split(' ; ');
      const d: string[] = [];
      for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) d.push(`A: ${a[i]}\n   B: ${b[i]}`);
      diagExamples.push(d.join('\n') || `(no field differs: tasks) ${x.tasks.map((t) => t.comm + ':' + t.pending).join(', ')}`);
    }
  }
  add('(none, coarse)', shHash(x, null, null, true));
  const seen = new Set<string>();
  for (const o of x.tracker.objects) {
    const cls = o.constructor.name; if (seen.has(cls)) continue; seen.add(cls);
    add(`${cls}.*`, shHash(x, cls, null, false));
    if (DIAG_SHARED_FIELDS) for (const k of planFor(o).keys) add(`${cls}.${k}`, shHash(x, cls, k, false));
  }
}
const DIAG_SHARED_CLS = process.env['FL_DIAG_SHARED_CLS'] ?? '';
const diagEx = new Map<string, [string, string]>();
export const diagExamples: string[] = [];
const DIAG_SHARED_FIELDS = process.env['FL_DIAG_SHARED_FIELDS'] === '1';
