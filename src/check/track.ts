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

import { IndexSet, MmStruct, XArray } from '../model/index.js';
import { fold, foldNumber, foldString, lanes } from './hash.js';
import type { Footprint } from './footprint.js';
import { Canon, FIELDS_PER_OBJECT, IMMUTABLE, instrumentedProto, mix, planFor, running, STORE, storeOf, strHash, type ContainerSlot, type Plan, type Store } from './track-plan.js';

export { independent, union, type Footprint } from './footprint.js';
export { Canon, runningTracker } from './track-plan.js';

/** `mm_lock_seq` of the mm a VMA object's fields `v` (plan `p`) belong to (vma->vm_mm). */
function ownMmLockSeq(v: readonly unknown[], p: Plan): number {
  const mm = v[p.keys.indexOf('mm')] as MmStruct;
  const st = storeOf(mm);
  return st.v[planFor(mm).seq] as number;
}

/** What Tracker.snapshot copies (read-only for its holder). */
export interface TrackerSnapshot {
  readonly objects: readonly object[];
  readonly ids: ReadonlyMap<object, number>;
  readonly born: ReadonlyMap<string, number>;
  readonly containers: readonly ContainerSlot[];
}

export class Tracker {
  /** Instrumented objects, by canonical id (ascending). */
  readonly objects: object[] = [];
  private readonly ids = new Map<object, number>();
  /** Objects born with each key in this execution (the key's next serial). */
  private readonly born = new Map<string, number>();

  constructor(private readonly canon: Canon = new Canon()) {
    this.rStamp = canon.rStamp;
    this.wStamp = canon.wStamp;
  }
  private pending: object[] = [];
  private readonly containers: ContainerSlot[] = [];
  /** Logging on (a tracked step is running). */
  on = false;
  private rStamp: Uint32Array;
  private wStamp: Uint32Array;
  private epoch = 0;
  private r: number[] = [];
  private w: number[] = [];
  /** The logs of steps whose footprint is not wanted (`begin`). */
  private readonly scratchR: number[] = [];
  private readonly scratchW: number[] = [];
  /** Container digests are stale (steps ran untracked since the last tracked one). */
  private stale = true;

  /**
   * A new object: it gets its id (index in `objects`) now, in creation order,
   * and is instrumented at the next step boundary (`flush`).
   */
  register(o: object, owner: object | null = null): void {
    if (this.ids.has(o)) return;
    if (!this.inputs) {
      // Stateless: ids in creation order (no state is compared across executions).
      this.ids.set(o, this.objects.length);
      this.objects.push(o);
      this.pending.push(o);
      return;
    }
    let key = this.birthKey(o, owner);
    const n = this.born.get(key) ?? 0;
    this.born.set(key, n + 1);
    if (n > 0) key += `#${n}`;
    const id = this.canon.id(key);
    this.ids.set(o, id);
    const objs = this.objects;
    let i = objs.length;
    objs.push(o);
    while (i > 0 && this.ids.get(objs[i - 1]!)! > id) {
      objs[i] = objs[i - 1]!;
      i--;
    }
    objs[i] = o;
    this.pending.push(o);
  }

  /** Class, immutable fields (tracked objects by id, other objects by class), owner. */
  private birthKey(o: object, owner: object | null): string {
    const cls = o.constructor.name;
    let key = cls;
    const rec = o as Record<string, unknown>;
    for (const f of IMMUTABLE[cls] ?? []) {
      const v = rec[f];
      const id = typeof v === 'object' && v !== null ? this.ids.get(v) : undefined;
      key += '|' + (id !== undefined ? `@${id}` : typeof v === 'object' && v !== null ? v.constructor.name : String(v));
    }
    if (owner !== null) key += `|owner@${this.ids.get(owner) ?? '?'}`;
    return key;
  }

  /** Id of an object for digests: instrumented objects by canonical id, tasks by id. */
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
    const idx = this.ids.get(o)!;
    const plan = planFor(o);
    const rec = o as Record<string, unknown>;
    const keys = plan.keys;
    const v: unknown[] = new Array<unknown>(keys.length);
    for (let i = 0; i < keys.length; i++) v[i] = rec[keys[i]!];
    const store: Store = { base: idx * FIELDS_PER_OBJECT, v };
    // Move the tracked fields behind the class's accessor prototype: delete
    // every own field, last added first (V8 keeps the object's fast
    // properties when the last one is deleted), switch the prototype, and
    // add back the untracked ones in their order.
    const own = Object.keys(o);
    const vals: unknown[] = new Array<unknown>(own.length);
    for (let i = 0; i < own.length; i++) vals[i] = rec[own[i]!];
    for (let i = own.length - 1; i >= 0; i--) delete rec[own[i]!];
    // Plain assignments, not Object.defineProperty (half the cost of the
    // whole call: docs/checker.md, "Cheaper executions"): an
    // assignment adds the same writable, enumerable, configurable data
    // property; STORE, a symbol, is enumerable then, which nothing sees
    // (Object.keys, for-in and JSON skip symbols; no model object is spread
    // or assigned from).
    Object.setPrototypeOf(o, instrumentedProto(Object.getPrototypeOf(o) as object, plan));
    (o as { [STORE]?: Store })[STORE] = store;
    for (let i = 0; i < own.length; i++) {
      const k = own[i]!;
      if (!plan.tracked.has(k)) rec[k] = vals[i];
    }
    if (Tracker.paranoid) {
      for (const k of plan.immutable) Object.defineProperty(o, k, { value: rec[k], writable: false, enumerable: true, configurable: false });
    }
    for (const i of plan.containers) this.containers.push({ slot: store.base + i, store, idx: i, hash: this.digest(v[i]) });
  }

  /**
   * The tracker's state after the initial objects (./world.ts): objects,
   * ids, birth counts and container digests, copied. Needs no object
   * waiting for instrumentation.
   */
  snapshot(): TrackerSnapshot {
    if (this.pending.length !== 0) throw new Error('check: tracker snapshot with objects not yet instrumented');
    return {
      objects: [...this.objects], ids: new Map(this.ids), born: new Map(this.born),
      containers: this.containers.map((c) => ({ ...c })),
    };
  }

  /** Start from `s` (a fresh tracker, before any object is registered). */
  restore(s: TrackerSnapshot): void {
    if (this.objects.length !== 0 || this.pending.length !== 0) throw new Error('check: tracker restore after objects were registered');
    for (const o of s.objects) this.objects.push(o);
    for (const [o, id] of s.ids) this.ids.set(o, id);
    for (const [k, n] of s.born) this.born.set(k, n);
    for (const c of s.containers) this.containers.push({ ...c });
  }

  /** Freeze the fields listed as immutable (tests): a kernel path writing one throws. */
  static paranoid = false;

  private grow(slot: number): void {
    let n = this.rStamp.length;
    while (n <= slot) n *= 2;
    const r = new Uint32Array(n), w = new Uint32Array(n);
    r.set(this.rStamp);
    w.set(this.wStamp);
    this.rStamp = this.canon.rStamp = r;
    this.wStamp = this.canon.wStamp = w;
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

  /**
   * A value the running task's own code read (with `inputs`): an input of the
   * task (Execution.step folds it into the task's history). Reads inside an
   * opaque call (./opaque.ts) are not: only its result is; nor are an
   * invariant's reads (`probe`).
   */
  input(slot: number, v: unknown): void {
    if (this.opaque !== 0 || this.probeReads !== null) return;
    fold(slot);
    this.foldValue(v);
  }

  /** Depth of opaque calls running (./opaque.ts). */
  opaque = 0;

  /**
   * Record the inputs of each step (first-read values and data choices) into
   * the hash lanes (./hash.ts), for the running task's history (state
   * caching: docs/checker.md, "State caching").
   */
  inputs = false;

  /**
   * Fold inputs now: `inputs`, except in a replayed step (Execution.step
   * with `replay`), whose histories are restored afterwards instead
   * (Execution.restoreLanes; docs/checker.md, "Where the time goes").
   */
  hist = false;

  /** A data choice made in the running step (an input of its task). */
  choice(n: number, v: number): void {
    if (!this.hist || !this.on) return;
    fold(0x6368); // 'ch'
    fold(n);
    fold(v);
  }

  /**
   * Fold a field value into the hash lanes, exactly: primitives by value,
   * instrumented objects by id, tasks by id, containers by their contents
   * (Sets in any order). Any other object (or a function) throws: the state
   * hash must never treat two different values as equal.
   */
  foldValue(v: unknown): void {
    if (v === undefined) { fold(1); return; }
    if (v === null) { fold(2); return; }
    switch (typeof v) {
      case 'boolean': fold(v ? 3 : 4); return;
      case 'number': fold(5); foldNumber(v); return;
      case 'string': fold(6); foldString(v); return;
      case 'object': break;
      default: throw new Error(`check: a shared field holds a ${typeof v}, which the state hash cannot compare`);
    }
    const id = this.ids.get(v);
    if (id !== undefined) { fold(7); fold(id); return; }
    if (Array.isArray(v)) {
      fold(9);
      fold(v.length);
      for (const x of v) this.foldValue(x);
      return;
    }
    if (v instanceof XArray) {
      fold(12);
      fold(v.size);
      for (const k of v.keys()) {
        fold(k);
        this.foldValue(v.get(k));
      }
      return;
    }
    if (v instanceof IndexSet) {
      fold(13);
      fold(v.size);
      for (const k of v.values()) fold(k);
      return;
    }
    if (v instanceof Set) {
      // Order-independent: the sum of each member's own hash.
      const a0 = lanes.a, b0 = lanes.b;
      let sa = 0, sb = 0;
      for (const x of v) {
        lanes.a = 0x5e7;
        lanes.b = 0x5e7;
        this.foldValue(x);
        sa = (sa + lanes.a) | 0;
        sb = (sb + lanes.b) | 0;
      }
      lanes.a = a0;
      lanes.b = b0;
      fold(11);
      fold(v.size);
      fold(sa);
      fold(sb);
      return;
    }
    if (v instanceof Map) {
      fold(10);
      fold(v.size);
      for (const [k, x] of v) {
        this.foldValue(k);
        this.foldValue(x);
      }
      return;
    }
    const t = v as { id?: unknown; comm?: unknown; stack?: unknown };
    if (typeof t.id === 'number' && typeof t.comm === 'string' && Array.isArray(t.stack)) {
      fold(8);
      fold(t.id);
      return;
    }
    throw new Error(`check: a shared field holds an untracked ${(v as object).constructor.name}, which the state hash cannot compare`);
  }

  /**
   * Fold every field of every instrumented object into the hash lanes (the
   * shared part of a state). With a single mm, the VMA lock sequence numbers
   * are folded by what they decide, not by value (docs/checker.md, "State
   * caching", lock sequence numbers): `mm_lock_seq` by its parity, each
   * `vm_lock_seq` by whether it equals `mm_lock_seq`.
   */
  foldObjects(): void {
    fold(this.objects.length);
    const seq = this.seqPerMm ? null : this.singleMmLockSeq();
    const on = this.seqPerMm || seq !== null;
    for (const o of this.objects) {
      const st = storeOf(o);
      fold(st.base);
      const v = st.v;
      const canon = on ? planFor(o).seq : -1;
      for (let i = 0; i < v.length; i++) {
        if (i !== canon) this.foldValue(v[i]);
        else if (o instanceof MmStruct) fold(0x5e91 + ((v[i] as number) & 1));
        else fold(v[i] === (seq ?? ownMmLockSeq(v, planFor(o))) ? 0x5e93 : 0x5e94);
      }
    }
  }

  /**
   * Every VMA object's `vm_lock_seq` is only ever compared with its own
   * mm's `mm_lock_seq` (one process, whose fork children run no lookup, and
   * no VMA object reused across those mms): fold it by that comparison in
   * every mm, not only when the execution has a single mm (Execution sets it).
   */
  seqPerMm = false;

  /**
   * `mm_lock_seq` of the execution's only mm, or null when there are several
   * (then a VMA object may be compared with another mm's sequence, and the
   * values are folded as they are).
   */
  private singleMmLockSeq(): number | null {
    let mm: MmStruct | null = null;
    for (const o of this.objects) {
      if (!(o instanceof MmStruct)) continue;
      if (mm !== null) return null;
      mm = o;
    }
    if (mm === null) return null;
    return storeOf(mm).v[planFor(mm).seq] as number;
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
   * `log` false: no access is logged at all (a replayed step whose number
   * of sub-steps is known: Execution.step).
   */
  begin(footprint = true, log = true): void {
    if (footprint && this.stale) {
      for (const c of this.containers) c.hash = this.digest(c.store.v[c.idx]);
      this.stale = false;
    }
    if (!footprint) this.stale = true;
    this.digesting = footprint;
    this.epoch = ++this.canon.epoch;
    if (footprint) {
      this.r = [];
      this.w = [];
    } else {
      // No footprint is handed out (Execution.step): reuse the logs.
      this.r = this.scratchR;
      this.w = this.scratchW;
      this.r.length = this.w.length = 0;
    }
    this.on = log;
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
