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

import { fold } from './hash.js';
import type { Footprint } from './footprint.js';
import { Canon, FIELDS_PER_OBJECT, IMMUTABLE, instrumentedProto, planFor, running, STORE, type ContainerSlot, type Plan, type Store } from './track-plan.js';
import { TrackerIds } from './track-ids.js';

export { independent, union, type Footprint } from './footprint.js';
export { Canon, runningTracker } from './track-plan.js';

/** What Tracker.snapshot copies (read-only for its holder). */
export interface TrackerSnapshot {
  readonly objects: readonly object[];
  readonly ids: ReadonlyMap<object, number>;
  readonly born: ReadonlyMap<string, number>;
  readonly containers: readonly ContainerSlot[];
}

/** What `Tracker.end` returns when no footprint is wanted. */
const NO_FOOTPRINT: Footprint = Object.freeze({ r: Object.freeze([]), w: Object.freeze([]) });

/**
 * Where a class's fields are among an object's own keys, for the order its
 * constructor usually adds them in (Tracker.instrument): `src[i]` is the
 * position of the plan's key i, `keep` the positions of the untracked
 * fields, in order. Its own order is kept to compare with.
 */
interface Layout {
  readonly own: readonly string[];
  readonly src: readonly number[];
  readonly keep: readonly number[];
}
const layouts = new Map<Plan, Layout | null>();

/** The layout of `plan`'s class when an object's own keys are `own` in the usual order; null: look fields up by name. */
function layoutOf(plan: Plan, own: readonly string[]): Layout | null {
  let lay = layouts.get(plan);
  if (lay === undefined) {
    // The first object's order is the usual one; none when a tracked field is not an own key.
    const src = plan.keys.map((k) => own.indexOf(k));
    const keep = own.map((_, j) => j).filter((j) => !plan.tracked.has(own[j]!));
    lay = src.includes(-1) ? null : { own: [...own], src, keep };
    layouts.set(plan, lay);
  }
  if (lay === null || lay.own.length !== own.length) return null;
  const o = lay.own;
  for (let i = 0; i < own.length; i++) if (own[i] !== o[i]) return null;
  return lay;
}

export class Tracker extends TrackerIds {
  /** Objects born with each key in this execution (the key's next serial). */
  private readonly born = new Map<string, number>();

  constructor(private readonly canon: Canon = new Canon()) {
    super();
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
    const store: Store = { base: idx * FIELDS_PER_OBJECT, plan, v, ok: false, key: 0, ha: 0, hb: 0, w: 0 };
    // Move the tracked fields behind the class's accessor prototype: delete
    // every own field, last added first (V8 keeps the object's fast
    // properties when the last one is deleted), switch the prototype, and
    // add back the untracked ones in their order.
    const own = Object.keys(o);
    const vals = Object.values(o);
    const lay = layoutOf(plan, own);
    if (lay !== null) {
      // The class's usual field order (`layoutOf`): positions known, no lookup by name.
      const src = lay.src;
      for (let i = 0; i < src.length; i++) v[i] = vals[src[i]!];
    } else {
      for (let i = 0; i < keys.length; i++) v[i] = rec[keys[i]!];
    }
    for (let i = own.length - 1; i >= 0; i--) delete rec[own[i]!];
    // Plain assignments, not Object.defineProperty (half the cost of the
    // whole call: docs/checker.md, "Cheaper executions"): an
    // assignment adds the same writable, enumerable, configurable data
    // property; STORE, a symbol, is enumerable then, which nothing sees
    // (Object.keys, for-in and JSON skip symbols; no model object is spread
    // or assigned from).
    Object.setPrototypeOf(o, instrumentedProto(Object.getPrototypeOf(o) as object, plan));
    (o as { [STORE]?: Store })[STORE] = store;
    if (lay !== null) {
      const keep = lay.keep;
      for (let i = 0; i < keep.length; i++) {
        const j = keep[i]!;
        rec[own[j]!] = vals[j];
      }
    } else {
      for (let i = 0; i < own.length; i++) {
        const k = own[i]!;
        if (!plan.tracked.has(k)) rec[k] = vals[i];
      }
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

  /**
   * Start from `s` (a fresh tracker, before any object is registered).
   * `records`: `s.containers`' records to take over (./world.ts hands the
   * same ones to each execution's tracker, their digests reset, instead of
   * copies; the tracker it took them from is `retire`d), else copies.
   */
  restore(s: TrackerSnapshot, records?: ContainerSlot[]): void {
    if (this.objects.length !== 0 || this.pending.length !== 0) throw new Error('check: tracker restore after objects were registered');
    for (const o of s.objects) this.objects.push(o);
    for (const [o, id] of s.ids) this.ids.set(o, id);
    for (const [k, n] of s.born) this.born.set(k, n);
    const cs = s.containers;
    if (records === undefined) {
      for (const c of cs) this.containers.push({ ...c });
    } else {
      for (let i = 0; i < cs.length; i++) {
        const r = records[i]!;
        r.hash = cs[i]!.hash;
        this.containers.push(r);
      }
    }
  }

  /** Another tracker took over this one's container records (`restore`): no step may run here any more. */
  retire(): void {
    this.retired = true;
  }
  private retired = false;

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
    if (this.retired) throw new Error('check: a step of an execution whose World was restored for another one');
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
      // (Most are empty: a replayed step of known length logs nothing.)
      if (this.r.length !== 0) this.r.length = 0;
      if (this.w.length !== 0) this.w.length = 0;
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
   * `begin(false)` no footprint is wanted (its logs are scratch): an empty
   * one, shared.
   */
  end(): Footprint {
    this.on = false;
    if (!this.digesting) return NO_FOOTPRINT;
    for (const c of this.containers) {
      const h = this.digest(c.store.v[c.idx]);
      if (h !== c.hash) {
        c.hash = h;
        this.write(c.slot);
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
