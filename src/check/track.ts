/**
 * Footprints: which shared fields a step read and wrote, for the partial-order
 * reduction (two steps are independent when neither writes what the other
 * reads or writes).
 *
 * Every model object (mm, rwsem, VMA, folio, anon_vma; see custom.ts
 * `object_created`) and every checker observation record is instrumented once
 * it exists at a step boundary: each mutable own field becomes an accessor
 * that logs reads and writes while tracking is on. Containers (arrays, Maps,
 * Sets, and the model's XArray / IndexSet page tables) are changed in place,
 * so their writes are found by comparing a digest of their contents after the
 * step. Fields listed as immutable are made read-only, so a kernel path that
 * writes one fails loudly instead of hiding a dependency. Objects created during a step are instrumented at its end: no
 * other task can reach them before that.
 *
 * Assumption (audited for the current model, docs/checker.md): a kernel path
 * reaches a container through its owner's field in the same step in which it
 * reads it (no container reference is kept across a scheduling point).
 */

import { IndexSet, XArray } from '../model/index.js';

/** Read and written slots (object index * 64 + field index) of one step. */
export interface Footprint {
  readonly r: readonly number[];
  readonly w: readonly number[];
}

/** Fields that never change after construction, by class name. */
const IMMUTABLE: Record<string, readonly string[]> = {
  MmStruct: ['mmap_lock', 'fault', 'fork', 'mm_mt'],
  RwSemaphore: ['lockClass', 'label', 'readerWake', 'blockRead', 'blockWrite'],
  // A VMA's range, pgoff and page state change (split, merge) and a freed
  // object is re-initialised when reused (SLAB_TYPESAFE_BY_RCU): only the
  // lock class, the owning mm (the model reuses an object only in the mm
  // that freed it) and the preallocated wait effect are fixed.
  VmAreaStruct: ['lockClass', 'mm', 'blockWrite'],
  MapleTree: [],
  Folio: ['lockClass', 'vmaId', 'index'],
  AnonVma: ['id'],
  VmaObs: ['vma'],
};
/** How to instrument objects of one class (own keys are the same for every instance). */
interface Plan {
  readonly keys: readonly string[];
  readonly descs: PropertyDescriptorMap;
  readonly containers: readonly number[];
  readonly immutable: readonly string[];
}
const plans = new Map<unknown, Plan>();

function planFor(o: object): Plan {
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
  p = { keys, descs, containers, immutable };
  plans.set(o.constructor, p);
  return p;
}

/** A field whose value is changed in place (tracked by digest, see Tracker.end). */
function isContainer(v: unknown): boolean {
  return Array.isArray(v) || v instanceof Map || v instanceof Set || v instanceof XArray || v instanceof IndexSet;
}

/** Lazily built caches that carry no state (not instrumented). */
const IGNORED: Record<string, readonly string[]> = {
  Folio: ['bl', 'bw'],
};

interface ContainerSlot {
  slot: number;
  store: Store;
  idx: number;
  hash: number;
}

/** Values of an instrumented object's fields, behind shared accessors. */
interface Store {
  readonly base: number;
  readonly v: unknown[];
}
const STORE = Symbol('faultline.check.store');
/** The tracker whose step is running (accessors are shared by every execution). */
const running: { tracker: Tracker | null } = { tracker: null };

/** Shared accessor descriptors per field index (one pair of functions per index, not per object). */
const accessors: PropertyDescriptor[] = [];
function accessor(idx: number): PropertyDescriptor {
  let d = accessors[idx];
  if (d === undefined) {
    d = {
      get(this: { [STORE]: Store }) {
        const st = this[STORE];
        const t = running.tracker;
        if (t !== null && t.on) t.read(st.base + idx);
        return st.v[idx];
      },
      set(this: { [STORE]: Store }, x: unknown) {
        const st = this[STORE];
        const t = running.tracker;
        if (t !== null && t.on) t.write(st.base + idx);
        st.v[idx] = x;
      },
      enumerable: true,
      configurable: false,
    };
    accessors[idx] = d;
  }
  return d;
}

const FIELDS_PER_OBJECT = 64;

function mix(h: number, x: number): number {
  h = Math.imul(h ^ x, 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

function strHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return h;
}

export class Tracker {
  /** Instrumented objects in creation order (index = object id). */
  readonly objects: object[] = [];
  private readonly ids = new Map<object, number>();
  private pending: object[] = [];
  private readonly containers: ContainerSlot[] = [];
  /** Logging on (a tracked step is running). */
  on = false;
  private rStamp = new Uint32Array(1024);
  private wStamp = new Uint32Array(1024);
  private epoch = 1;
  private r: number[] = [];
  private w: number[] = [];
  /** Container digests are stale (steps ran untracked since the last tracked one). */
  private stale = true;

  /** A new object: instrumented at the next step boundary (`flush`). */
  register(o: object): void {
    this.pending.push(o);
  }

  /** Id of an object for digests: instrumented objects by index, tasks by id. */
  idOf(x: unknown): number {
    if (x === null) return -1;
    if (x === undefined) return -2;
    switch (typeof x) {
      case 'number': return Number.isInteger(x) ? x | 0 : strHash(String(x));
      case 'boolean': return x ? -3 : -4;
      case 'string': return strHash(x);
      case 'object': {
        const id = this.ids.get(x);
        if (id !== undefined) return 1_000_000 + id;
        const t = (x as { id?: unknown; comm?: unknown });
        if (typeof t.id === 'number' && typeof t.comm === 'string') return 2_000_000 + t.id;
        return -5;
      }
      default: return -6;
    }
  }

  private digest(v: unknown): number {
    let h = 0x811c9dc5;
    if (Array.isArray(v)) {
      h = mix(h, v.length);
      for (const x of v) h = mix(h, this.idOf(x));
    } else if (v instanceof Map) {
      h = mix(h, v.size + 7);
      for (const [k, x] of v) {
        h = mix(h, this.idOf(k));
        h = mix(h, this.idOf(x));
      }
    } else if (v instanceof Set) {
      h = mix(h, v.size + 13);
      for (const x of v) h = mix(h, this.idOf(x));
    } else if (v instanceof XArray) {
      // Ascending index order: the digest depends on the contents, not on the table's layout.
      h = mix(h, v.size + 17);
      for (const k of v.keys()) {
        h = mix(h, k);
        h = mix(h, this.idOf(v.get(k)));
      }
    } else if (v instanceof IndexSet) {
      h = mix(h, v.size + 19);
      for (const k of v.values()) h = mix(h, k);
    } else {
      h = mix(h, this.idOf(v));
    }
    return h;
  }

  /** Instrument objects created since the last call. */
  flush(): void {
    if (this.pending.length === 0) return;
    const list = this.pending;
    this.pending = [];
    for (const o of list) this.instrument(o);
  }

  private instrument(o: object): void {
    if (this.ids.has(o)) return;
    const idx = this.objects.length;
    this.objects.push(o);
    this.ids.set(o, idx);
    const plan = planFor(o);
    const rec = o as Record<string, unknown>;
    const keys = plan.keys;
    const v: unknown[] = new Array<unknown>(keys.length);
    for (let i = 0; i < keys.length; i++) v[i] = rec[keys[i]!];
    const store: Store = { base: idx * FIELDS_PER_OBJECT, v };
    Object.defineProperty(o, STORE, { value: store, enumerable: false });
    Object.defineProperties(o, plan.descs);
    if (Tracker.paranoid) {
      for (const k of plan.immutable) Object.defineProperty(o, k, { value: rec[k], writable: false, enumerable: true, configurable: false });
    }
    for (const i of plan.containers) this.containers.push({ slot: store.base + i, store, idx: i, hash: this.digest(v[i]) });
  }

  /** Freeze the fields listed as immutable (tests): a kernel path writing one throws. */
  static paranoid = false;

  private grow(slot: number): void {
    let n = this.rStamp.length;
    while (n <= slot) n *= 2;
    const r = new Uint32Array(n), w = new Uint32Array(n);
    r.set(this.rStamp);
    w.set(this.wStamp);
    this.rStamp = r;
    this.wStamp = w;
  }

  read(slot: number): void {
    const pr = this.probeReads;
    if (pr !== null) {
      if (!pr.includes(slot)) pr.push(slot);
      return;
    }
    if (slot >= this.rStamp.length) this.grow(slot);
    if (this.rStamp[slot] !== this.epoch) {
      this.rStamp[slot] = this.epoch;
      this.r.push(slot);
    }
  }

  write(slot: number): void {
    if (this.probeReads !== null) throw new Error('check: an invariant wrote model state (invariants must only read)');
    if (slot >= this.wStamp.length) this.grow(slot);
    if (this.wStamp[slot] !== this.epoch) {
      this.wStamp[slot] = this.epoch;
      this.w.push(slot);
    }
  }

  /** Containers are digested in this step (its footprint is wanted). */
  private digesting = false;

  /**
   * Start a step. Field accesses are always logged (the executor merges a
   * sub-step that touched no shared field into the task's next one, in every
   * search mode: Execution.resume). `footprint`: the step's footprint is
   * wanted, so container contents are digested to find in-place writes.
   */
  begin(footprint = true): void {
    if (footprint && this.stale) {
      for (const c of this.containers) c.hash = this.digest(c.store.v[c.idx]);
      this.stale = false;
    }
    if (!footprint) this.stale = true;
    this.digesting = footprint;
    this.epoch++;
    this.r = [];
    this.w = [];
    this.on = true;
    running.tracker = this;
  }

  /** Fields read or written since the step began: a sub-step touched shared state if this grew. */
  get accesses(): number {
    return this.r.length + this.w.length;
  }

  /**
   * End a step: container changes become writes; returns the footprint. After
   * `begin(false)` the in-place container writes are not in it (callers then
   * do not use it).
   */
  end(): Footprint {
    this.on = false;
    if (this.digesting) {
      for (const c of this.containers) {
        const h = this.digest(c.store.v[c.idx]);
        if (h !== c.hash) {
          c.hash = h;
          this.write(c.slot);
        }
      }
    }
    return { r: this.r, w: this.w };
  }

  /** Reads of the running probe (see `probe`), or null. */
  private probeReads: number[] | null = null;

  /**
   * Evaluate `fn` (an invariant over the state after a step) with its reads
   * logged apart from the step's: returns its value and the slots it read.
   * The caller decides whether the reads join the step's footprint.
   */
  probe<T>(fn: () => T): { value: T; reads: number[] } {
    const reads: number[] = [];
    const prev = running.tracker, prevOn = this.on;
    this.probeReads = reads;
    this.on = true;
    running.tracker = this;
    try {
      return { value: fn(), reads };
    } finally {
      this.probeReads = null;
      this.on = prevOn;
      running.tracker = prev;
    }
  }

}

/** Two steps are independent: neither writes a slot the other reads or writes. */
export function independent(a: Footprint, b: Footprint): boolean {
  return disjoint(a.w, b.w) && disjoint(a.w, b.r) && disjoint(b.w, a.r);
}

function disjoint(x: readonly number[], y: readonly number[]): boolean {
  if (x.length === 0 || y.length === 0) return true;
  for (const s of x) if (y.includes(s)) return false;
  return true;
}

/** Union of two footprints. */
export function union(a: Footprint, b: Footprint): Footprint {
  const r = [...a.r], w = [...a.w];
  for (const s of b.r) if (!r.includes(s)) r.push(s);
  for (const s of b.w) if (!w.includes(s)) w.push(s);
  return { r, w };
}
