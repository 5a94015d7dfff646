/**
 * The initial state of a search's executions, built once (docs/checker.md,
 * "Cheaper executions"). Every execution of a search starts
 * from the same state: the scenario's mms, VMAs, page tables, anon_vmas and
 * the invariants' observation records, instrumented. Building and
 * instrumenting them cost a fifth of the search; instead the first
 * execution builds them (Execution's constructor) and `capture` copies what
 * a step can change: every tracked field's value, containers by content
 * (recursively, each with the container object itself, restored in place so
 * that aliases stay aliases), the tracker's ids, birth counts and digests,
 * and the execution's own tables. Each later execution `restore`s them
 * into the same objects before its first step.
 *
 * Why the restored objects are indistinguishable from fresh ones: an
 * instrumented object's state is its tracked fields (restored) and its
 * untracked own fields, which are immutable (never written: a test freezes
 * them, `Tracker.paranoid`), lazily built caches that carry no state
 * (track-plan.ts IGNORED) or functions (none in the model's classes). An
 * object made during an execution is not reachable from the restored
 * fields. Model state outside the objects is keyed by them in three module
 * tables, which are cleared for the reused mms and VMAs (`mpol_ids_reset`,
 * `oom_state_reset`); the model's other module state is set per step and is
 * the same for fresh objects. `test/check-world.test.ts` compares restored
 * worlds with fresh builds field by field after executions that create and
 * free objects, and the search's counts with and without reuse.
 */
import { IndexSet, MmStruct, mpol_ids_reset, oom_state_reset, VmAreaStruct, XArray } from '../model/index.js';
import type { VmaObs } from './invariants.js';
import type { CheckModel, Slot } from './execution-types.js';
import { storeOf } from './track-plan.js';
import type { Tracker, TrackerSnapshot } from './track.js';

type Container = unknown[] | Map<unknown, unknown> | Set<unknown> | XArray<unknown> | IndexSet;

/** A container's contents at the snapshot (items: values, nested containers saved the same way; a Map's or XArray's as key, value pairs). */
class Saved {
  constructor(readonly ref: Container, readonly items: readonly unknown[]) {}
}

function save(v: unknown): unknown {
  if (Array.isArray(v)) return new Saved(v, v.map(save));
  if (v instanceof Map) {
    const items: unknown[] = [];
    for (const [k, x] of v) items.push(k, save(x));
    return new Saved(v, items);
  }
  if (v instanceof Set) return new Saved(v, [...v].map(save));
  if (v instanceof XArray) {
    const items: unknown[] = [];
    for (const k of v.keys()) items.push(k, save(v.get(k)));
    return new Saved(v, items);
  }
  if (v instanceof IndexSet) return new Saved(v, v.values());
  return v;
}

/** The value `save` saved, containers refilled in place. */
function load(s: unknown): unknown {
  if (!(s instanceof Saved)) return s;
  const c = s.ref, items = s.items;
  if (Array.isArray(c)) {
    c.length = 0;
    for (const x of items) c.push(load(x));
  } else if (c instanceof Map) {
    c.clear();
    for (let i = 0; i < items.length; i += 2) c.set(items[i], load(items[i + 1]));
  } else if (c instanceof Set) {
    c.clear();
    for (const x of items) c.add(load(x));
  } else if (c instanceof XArray) {
    c.clear();
    for (let i = 0; i < items.length; i += 2) c.set(items[i] as number, load(items[i + 1]));
  } else {
    c.clear();
    for (const x of items) c.add(x as number);
  }
  return c;
}

/** What an Execution holds of the initial state (its constructor fills these). */
export interface WorldHost {
  readonly tracker: Tracker;
  readonly obs: VmaObs[];
  readonly obsOf: Map<VmAreaStruct, VmaObs>;
  readonly mms: Map<string, MmStruct>;
  readonly slots: Map<string, Slot>;
  readonly lockEdges: Map<string, string>;
}

/** The parts of the initial state an Execution keeps in read-only fields. */
export interface WorldRoots {
  readonly mm: MmStruct;
  readonly cachep: VmAreaStruct[];
}

interface Snapshot {
  readonly model: CheckModel;
  readonly mask: string;
  readonly tracker: TrackerSnapshot;
  /** Per tracked object (in tracker order), its fields' values, saved. */
  readonly values: ReadonlyArray<readonly unknown[]>;
  readonly obs: readonly VmaObs[];
  readonly obsOf: ReadonlyArray<readonly [VmAreaStruct, VmaObs]>;
  readonly mms: ReadonlyArray<readonly [string, MmStruct]>;
  readonly slots: ReadonlyArray<readonly [string, Slot]>;
  readonly lockEdges: ReadonlyArray<readonly [string, string]>;
  readonly roots: WorldRoots;
}

/** One search's initial state (./search.ts makes one per search; executions run one at a time). */
export class World {
  private snap: Snapshot | null = null;
  /** Executions started from the snapshot (not built). */
  restored = 0;

  /** Take the initial state of `host`, just built for `model` with `mask`, before its first step. */
  capture(model: CheckModel, mask: readonly number[], host: WorldHost, roots: WorldRoots): void {
    const tracker = host.tracker.snapshot();
    this.snap = {
      model, mask: mask.join(','), tracker,
      values: tracker.objects.map((o) => storeOf(o).v.map(save)),
      obs: [...host.obs], obsOf: [...host.obsOf], mms: [...host.mms], slots: [...host.slots], lockEdges: [...host.lockEdges],
      roots,
    };
  }

  /**
   * Put the initial state back into its objects and into `host` (a new
   * Execution's empty tables and tracker), or return null when there is
   * none yet for `model` and `mask` (the caller builds it and captures it).
   */
  restore(model: CheckModel, mask: readonly number[], host: WorldHost): WorldRoots | null {
    const s = this.snap;
    if (s === null || s.model !== model || s.mask !== mask.join(',')) return null;
    const objs = s.tracker.objects;
    for (let k = 0; k < objs.length; k++) {
      const o = objs[k]!;
      const st = storeOf(o), v = st.v, saved = s.values[k]!;
      for (let i = 0; i < saved.length; i++) {
        const x = load(saved[i]);
        if (v[i] !== x) st.ok = false; // the kept hash is stale (TrackerIds.foldObjects)
        v[i] = x;
      }
      if (o instanceof MmStruct) mpol_ids_reset(o);
      if (o instanceof MmStruct || o instanceof VmAreaStruct) oom_state_reset(o);
    }
    host.tracker.restore(s.tracker);
    for (const o of s.obs) host.obs.push(o);
    for (const [k, o] of s.obsOf) host.obsOf.set(k, o);
    for (const [k, m] of s.mms) host.mms.set(k, m);
    for (const [k, x] of s.slots) host.slots.set(k, x);
    for (const [k, e] of s.lockEdges) host.lockEdges.set(k, e);
    this.restored++;
    return s.roots;
  }
}
