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
 * into the same objects before its first step: only the fields written
 * since the last restore (the accessors mark them: Store.w) and the
 * containers whose contents differ from the saved ones (docs/checker.md,
 * "The collector and the restore").
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
import { storeOf, WRITTEN_HIGH, type Store } from './track-plan.js';
import type { Tracker, TrackerSnapshot } from './track.js';
import type { ContainerSlot } from './track-plan.js';

type Container = unknown[] | Map<unknown, unknown> | Set<unknown> | XArray<unknown> | IndexSet;

/** A container's class (Saved.kind). */
const ARRAY = 0, MAP = 1, SET = 2, XARRAY = 3, INDEXSET = 4;

/** A container's contents at the snapshot (items: values, nested containers saved the same way; a Map's or XArray's as key, value pairs). */
class Saved {
  constructor(readonly ref: Container, readonly kind: number, readonly items: readonly unknown[]) {}
}

function save(v: unknown): unknown {
  if (Array.isArray(v)) return new Saved(v, ARRAY, v.map(save));
  if (v instanceof Map) {
    const items: unknown[] = [];
    for (const [k, x] of v) items.push(k, save(x));
    return new Saved(v, MAP, items);
  }
  if (v instanceof Set) return new Saved(v, SET, [...v].map(save));
  if (v instanceof XArray) {
    const items: unknown[] = [];
    for (const k of v.keys()) items.push(k, save(v.get(k)));
    return new Saved(v, XARRAY, items);
  }
  if (v instanceof IndexSet) return new Saved(v, INDEXSET, v.values());
  return v;
}

/** The value `save` saved, containers refilled in place. */
function load(s: unknown): unknown {
  if (!(s instanceof Saved)) return s;
  const items = s.items;
  switch (s.kind) {
    case ARRAY: {
      const c = s.ref as unknown[];
      c.length = 0;
      for (const x of items) c.push(load(x));
      break;
    }
    case MAP: {
      const c = s.ref as Map<unknown, unknown>;
      c.clear();
      for (let i = 0; i < items.length; i += 2) c.set(items[i], load(items[i + 1]));
      break;
    }
    case SET: {
      const c = s.ref as Set<unknown>;
      c.clear();
      for (const x of items) c.add(load(x));
      break;
    }
    case XARRAY: {
      const c = s.ref as XArray<unknown>;
      c.clear();
      for (let i = 0; i < items.length; i += 2) c.set(items[i] as number, load(items[i + 1]));
      break;
    }
    default: {
      const c = s.ref as IndexSet;
      c.clear();
      for (const x of items) c.add(x as number);
    }
  }
  return s.ref;
}

/** Whether `x` is `item` as `save` saved it (a nested container: the same object, its contents compared by `same`). */
function sameItem(x: unknown, item: unknown): boolean {
  return item instanceof Saved ? x === item.ref && same(item) : x === item;
}

/** Whether a container still holds what `save` saved, in the same iteration order. */
function same(s: Saved): boolean {
  const items = s.items;
  switch (s.kind) {
    case ARRAY: {
      const c = s.ref as unknown[];
      if (c.length !== items.length) return false;
      for (let i = 0; i < items.length; i++) if (!sameItem(c[i], items[i])) return false;
      return true;
    }
    case MAP: {
      const c = s.ref as Map<unknown, unknown>;
      if (c.size * 2 !== items.length) return false;
      let i = 0;
      for (const [k, x] of c) {
        if (k !== items[i] || !sameItem(x, items[i + 1])) return false;
        i += 2;
      }
      return true;
    }
    case SET: {
      const c = s.ref as Set<unknown>;
      if (c.size !== items.length) return false;
      let i = 0;
      for (const x of c) if (!sameItem(x, items[i++])) return false;
      return true;
    }
    // XArray and IndexSet: what they show (get, has, size, keys and values in
    // ascending order) is their contents, whatever their layout.
    case XARRAY: {
      const c = s.ref as XArray<unknown>;
      if (c.size * 2 !== items.length) return false;
      for (let i = 0; i < items.length; i += 2) if (!sameItem(c.get(items[i] as number), items[i + 1])) return false;
      return true;
    }
    default: {
      const c = s.ref as IndexSet;
      if (c.size !== items.length) return false;
      for (const x of items) if (!c.has(x as number)) return false;
      return true;
    }
  }
}

/** A field's value put back: a container that still holds what was saved is left as it is. */
function reload(cur: unknown, saved: unknown): unknown {
  if (saved instanceof Saved && cur === saved.ref && same(saved)) return cur;
  return load(saved);
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
  /** Per tracked object, its store (storeOf, looked up once). */
  readonly stores: readonly Store[];
  /** Every field's container (as saved), in object and field order. */
  readonly containers: readonly Saved[];
  /** The tracked MmStructs and VmAreaStructs (their module tables are reset). */
  readonly resets: readonly (MmStruct | VmAreaStruct)[];
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

  /**
   * `full`: reload every field and refill every container at each restore
   * (the restore before issue 15's fourteenth part; for tests). Otherwise
   * only the fields written since the last restore (Store.w, set by the
   * accessors) get their values back, and each container is refilled only
   * when its contents differ from the saved ones.
   */
  constructor(public full = false) {}
  /** The container records of the snapshot's objects, handed to each restored tracker in turn (Tracker.restore), and the tracker that has them. */
  private records: ContainerSlot[] = [];
  private holder: Tracker | null = null;
  /** Executions started from the snapshot (not built). */
  restored = 0;

  /** Take the initial state of `host`, just built for `model` with `mask`, before its first step. */
  capture(model: CheckModel, mask: readonly number[], host: WorldHost, roots: WorldRoots): void {
    const tracker = host.tracker.snapshot();
    const stores = tracker.objects.map(storeOf);
    // From here on a write through an accessor marks its object (Store.w).
    for (const st of stores) st.w = 0;
    const values = stores.map((st) => st.v.map(save));
    this.snap = {
      model, mask: mask.join(','), tracker, values, stores,
      containers: values.flatMap((vs) => vs.filter((x): x is Saved => x instanceof Saved)),
      resets: tracker.objects.filter((o): o is MmStruct | VmAreaStruct => o instanceof MmStruct || o instanceof VmAreaStruct),
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
    const stores = s.stores, full = this.full;
    for (let k = 0; k < stores.length; k++) {
      const st = stores[k]!, w = st.w;
      if (w === 0 && !full) continue;
      const v = st.v, saved = s.values[k]!;
      if (full || (w & WRITTEN_HIGH) !== 0) {
        for (let i = 0; i < saved.length; i++) {
          const x = full ? load(saved[i]) : reload(v[i], saved[i]);
          if (v[i] !== x) st.ok = false; // the kept hash is stale (TrackerIds.foldObjects)
          v[i] = x;
        }
      } else {
        // The fields written since the last restore, one bit each (Store.w).
        for (let b = w; b !== 0; b &= b - 1) {
          const i = 31 - Math.clz32(b & -b);
          const x = reload(v[i], saved[i]);
          if (v[i] !== x) st.ok = false;
          v[i] = x;
        }
      }
      st.w = 0;
    }
    // A container is changed in place, not through its field's accessor:
    // each is compared with what was saved and refilled if it differs.
    if (!full) {
      const cs = s.containers;
      for (let j = 0; j < cs.length; j++) {
        const sv = cs[j]!;
        if (!same(sv)) load(sv);
      }
    }
    for (const o of s.resets) {
      if (o instanceof MmStruct) mpol_ids_reset(o);
      oom_state_reset(o);
    }
    if (this.holder === null) this.records = s.tracker.containers.map((c) => ({ ...c }));
    else this.holder.retire();
    host.tracker.restore(s.tracker, this.records);
    this.holder = host.tracker;
    for (const o of s.obs) host.obs.push(o);
    for (const [k, o] of s.obsOf) host.obsOf.set(k, o);
    for (const [k, m] of s.mms) host.mms.set(k, m);
    for (const [k, x] of s.slots) host.slots.set(k, x);
    for (const [k, e] of s.lockEdges) host.lockEdges.set(k, e);
    this.restored++;
    return s.roots;
  }
}
