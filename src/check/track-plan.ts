/**
 * Instrumentation plans for the footprint tracker (./track.ts): which fields of
 * each model class are tracked, immutable or ignored, the per-object value
 * stores behind shared accessors, and the canonical object ids of a search.
 */
import { IndexSet, MmStruct, VmAreaStruct, XArray } from '../model/index.js';
import type { Tracker } from './track.js';

/** Fields that never change after construction, by class name. */
export const IMMUTABLE: Record<string, readonly string[]> = {
  MmStruct: ['mmap_lock', 'fault', 'fork', 'mm_mt', 'comm'],
  RwSemaphore: ['lockClass', 'label', 'readerWake', 'blockRead', 'blockWrite'],
  // A VMA's range, pgoff and page state change (split, merge) and a freed
  // object is re-initialised when reused (SLAB_TYPESAFE_BY_RCU), by this mm
  // or another (vm_mm changes): only the lock class is fixed (the wait
  // effect, made on first use, is IGNORED).
  VmAreaStruct: ['lockClass'],
  MapleTree: [],
  Folio: ['lockClass', 'vmaId', 'index'],
  // PG_writeback's wait queue of one folio (made on first use): only its waiters change.
  FolioWriteback: ['lockClass', 'label', 'blockWait'],
  AnonVma: ['id'],
  // A PTE table maps one PMD range for its whole life; only `freed` changes.
  PteTable: ['index'],
  VmaObs: ['vma'],
};
/** How to instrument objects of one class (own keys are the same for every instance). */
export interface Plan {
  readonly keys: readonly string[];
  readonly descs: PropertyDescriptorMap;
  readonly containers: readonly number[];
  /** Indices of the other fields (TrackerIds.foldObjects keeps their hash). */
  readonly flat: readonly number[];
  readonly immutable: readonly string[];
  /** Tracked keys, as a set (Tracker.instrument). */
  readonly tracked: ReadonlySet<string>;
  /** Index of the lock sequence field (`mm_lock_seq` of an mm, `vm_lock_seq` of a VMA), else -1 (Tracker.foldObjects). */
  readonly seq: number;
}
const plans = new Map<unknown, Plan>();

export function planFor(o: object): Plan {
  let p = plans.get(o.constructor);
  if (p !== undefined) return p;
  const cls = o.constructor.name;
  const imm = IMMUTABLE[cls] ?? [];
  const ign = IGNORED[cls] ?? [];
  const keys: string[] = [], containers: number[] = [], immutable: string[] = [];
  const descs: PropertyDescriptorMap = {};
  const rec = o as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    const v0 = rec[key];
    if (typeof v0 === 'function' || ign.includes(key)) continue;
    if (imm.includes(key)) {
      immutable.push(key);
      continue;
    }
    if (keys.length >= FIELDS_PER_OBJECT) throw new Error(`check: ${cls} has more than ${FIELDS_PER_OBJECT} fields`);
    const i = keys.length;
    keys.push(key);
    descs[key] = accessor(i);
    if (isContainer(v0)) containers.push(i);
  }
  p = { keys, descs, containers, flat: keys.map((_, i) => i).filter((i) => !containers.includes(i)), immutable, tracked: new Set(keys), seq: keys.indexOf(o instanceof MmStruct ? 'mm_lock_seq' : o instanceof VmAreaStruct ? 'vm_lock_seq' : '') };
  plans.set(o.constructor, p);
  return p;
}

/** Per original prototype, the prototype that carries its class's tracked fields as accessors (Tracker.instrument). */
const instrumentedProtos = new Map<object, object>();

/**
 * The prototype an instrumented object of `plan`'s class gets: its original
 * prototype (so methods, `constructor` and `instanceof` are unchanged) with
 * the tracked fields' accessors on top. One per class: objects keep V8's
 * fast properties (accessors defined on each object turned each into a
 * dictionary-mode object; docs/checker.md, "Where the time goes").
 */
export function instrumentedProto(proto: object, plan: Plan): object {
  let p = instrumentedProtos.get(proto);
  if (p === undefined) {
    p = Object.create(proto, plan.descs) as object;
    instrumentedProtos.set(proto, p);
  }
  return p;
}

/** A field whose value is changed in place (tracked by digest, see Tracker.end). */
function isContainer(v: unknown): boolean {
  return Array.isArray(v) || v instanceof Map || v instanceof Set || v instanceof XArray || v instanceof IndexSet;
}

/** Lazily built caches that carry no state (not instrumented). */
export const IGNORED: Record<string, readonly string[]> = {
  Folio: ['bl', 'bw', 'bk', 'bwk'],
  // file_ptes (model/file_ptes.ts): written only while the fault-around costs are installed
  // (fault_around.ts `charged`), which the checker never does: the empty set in every checker state.
  // line_cpu (model/lock_line.ts): written only through the simulator's lock-line hook, never installed by
  // the checker: -1 in every checker state.
  VmAreaStruct: ['bw', 'file_ptes', 'line_cpu'],
  // The simulator's optimistic spinner (RwSemaphore.optimistic_spin_begin): null in every checker state;
  // its lock stealing (RwSemaphore.lockSteal, set by the simulator only): false, null, false.
  // line_cpu: as VmAreaStruct's.
  RwSemaphore: ['spinner', 'lockSteal', 'wokenWriter', 'handoff', 'line_cpu'],
};

export interface ContainerSlot {
  slot: number;
  store: Store;
  idx: number;
  hash: number;
}

/** Values of an instrumented object's fields, behind shared accessors. */
export interface Store {
  readonly base: number;
  /** The object's class's plan (planFor, kept here: TrackerIds.foldObjects looks it up per object per state hash). */
  readonly plan: Plan;
  readonly v: unknown[];
  /**
   * The object's own hash (`ha`, `hb`; TrackerIds.foldObjects) is that of
   * `v` as it is now, folded with lock-sequence form `key`. Every write
   * through an accessor clears it, and so does World.restore.
   */
  ok: boolean;
  key: number;
  ha: number;
  hb: number;
  /**
   * The fields written through an accessor since the World's last capture
   * or restore, a bit per field (`writtenBit`): ./world.ts puts back only
   * these fields, and checks the containers. Set by every write; only World
   * clears it.
   */
  w: number;
}

/**
 * The bit of field `idx` in Store.w: fields 0 to 30 one each, every later
 * field bit 31 (World then restores all of the object's fields).
 */
export function writtenBit(idx: number): number {
  return idx < 31 ? 1 << idx : 1 << 31;
}
/** Store.w: a field past the 31st was written. */
export const WRITTEN_HIGH = 1 << 31;
export const STORE = Symbol('faultline.check.store');

export function storeOf(o: object): Store {
  const st = (o as { [STORE]?: Store })[STORE];
  if (st === undefined) throw new Error('check: state hash with objects not yet instrumented');
  return st;
}
/** The tracker whose step is running (accessors are shared by every execution). */
export const running: { tracker: Tracker | null } = { tracker: null };

/** The tracker whose step is running, or null. */
export function runningTracker(): Tracker | null {
  return running.tracker;
}

/** Shared accessor descriptors per field index (one pair of functions per index, not per object). */
const accessors: PropertyDescriptor[] = [];
function accessor(idx: number): PropertyDescriptor {
  let d = accessors[idx];
  if (d === undefined) {
    const bit = writtenBit(idx);
    d = {
      get(this: { [STORE]: Store }) {
        const st = this[STORE];
        const t = running.tracker;
        if (t !== null && t.on) {
          t.read(st.base + idx);
          if (t.hist) t.input(st.base + idx, st.v[idx]);
        }
        return st.v[idx];
      },
      set(this: { [STORE]: Store }, x: unknown) {
        const st = this[STORE];
        const t = running.tracker;
        if (t !== null && t.on) t.write(st.base + idx);
        st.v[idx] = x;
        st.ok = false;
        st.w |= bit;
      },
      enumerable: true,
      configurable: false,
    };
    accessors[idx] = d;
  }
  return d;
}

export const FIELDS_PER_OBJECT = 64;

export function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

export function strHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return h;
}

/**
 * Canonical object ids (with state caching, `Tracker.inputs`), shared by every
 * execution of one search: an object's
 * id comes from what it was born as (its class, the values of its immutable
 * fields, its owner, and how many objects of that kind the execution created
 * before it), not from when it was created. So an object has the same id,
 * and its fields the same slots, in every interleaving that creates it, and
 * equal states of two executions hash equal (Execution.stateHash).
 */
export class Canon {
  private readonly ids = new Map<string, number>();
  /**
   * Per-slot stamps of the running step's reads and writes, shared by the
   * executions of the search (they run one at a time): `epoch` is never
   * reused, so no execution allocates or clears them.
   */
  rStamp = new Uint32Array(1024);
  wStamp = new Uint32Array(1024);
  epoch = 1;
  id(key: string): number {
    let i = this.ids.get(key);
    if (i === undefined) {
      i = this.ids.size;
      this.ids.set(key, i);
    }
    return i;
  }
}
