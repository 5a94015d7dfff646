/**
 * The tracker's object ids and its hashing of field values (split from
 * ./track.ts, moved verbatim): `idOf` and `digest` (container digests for
 * footprints), `foldValue` and `foldObjects` (the shared part of a state for
 * state caching: docs/checker.md, "State caching").
 */

import { IndexSet, MmStruct, XArray } from '../model/index.js';
import { fold, foldNumber, foldString, lanes } from './hash.js';
import { mix, storeOf, strHash, type Plan } from './track-plan.js';

/** Objects foldObjects hashed, and objects whose kept hash it used, in this process (statistics for benchmarks). */
export const foldStats = { hashed: 0, cached: 0 };

/** `mm_lock_seq` of the mm a VMA object's fields `v` (plan `p`) belong to (vma->vm_mm). */
function ownMmLockSeq(v: readonly unknown[], p: Plan): number {
  const mm = v[p.keys.indexOf('mm')] as MmStruct;
  const st = storeOf(mm);
  return st.v[st.plan.seq] as number;
}

/** Ids of the instrumented objects, and the hashing of their fields (the base of ./track.ts Tracker). */
export class TrackerIds {
  /** Instrumented objects, by canonical id (ascending). */
  readonly objects: object[] = [];
  protected readonly ids = new Map<object, number>();

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

  /** Reused by `digest` for a table's sorted indices (it does not nest). */
  private readonly digestKeys: number[] = [];
  /** Reused by `foldValue`, one per nesting depth of tables. */
  private readonly foldKeys: number[][] = [];
  private foldDepth = 0;

  protected digest(v: unknown): number {
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
      for (const k of v.keysInto(this.digestKeys)) {
        h = mix(h, k);
        h = mix(h, this.idOf(v.get(k)));
      }
    } else if (v instanceof IndexSet) {
      h = mix(h, v.size + 19);
      for (const k of v.valuesInto(this.digestKeys)) h = mix(h, k);
    } else {
      h = mix(h, this.idOf(v));
    }
    return h;
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
      this.deep = true;
      fold(9);
      fold(v.length);
      for (const x of v) this.foldValue(x);
      return;
    }
    if (v instanceof XArray) {
      this.deep = true;
      fold(12);
      fold(v.size);
      const ks = v.keysInto(this.foldKeys[this.foldDepth] ??= []);
      this.foldDepth++; // an entry may be a container: it gets the next array
      try {
        for (const k of ks) {
          fold(k);
          this.foldValue(v.get(k));
        }
      } finally {
        this.foldDepth--;
      }
      return;
    }
    if (v instanceof IndexSet) {
      this.deep = true;
      fold(13);
      fold(v.size);
      for (const k of v.valuesInto(this.foldKeys[this.foldDepth] ??= [])) fold(k);
      return;
    }
    if (v instanceof Set) {
      this.deep = true;
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
      this.deep = true;
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
   *
   * Each object is hashed on its own (its slot base, then its fields, from a
   * fixed seed) and its two lanes are folded in; an object whose fields are
   * all primitives, objects by id or tasks by id keeps that hash in its
   * store until a field is written (the accessors and World.restore clear
   * it) or its lock-sequence form changes (docs/checker.md, "Incremental
   * state hash"). An object with a container field is hashed every time
   * (containers change in place, past the accessors).
   */
  foldObjects(): void {
    fold(this.objects.length);
    const seq = this.seqPerMm ? null : this.singleMmLockSeq();
    const on = this.seqPerMm || seq !== null;
    for (const o of this.objects) {
      const st = storeOf(o);
      const v = st.v;
      const plan = st.plan;
      const canon = on ? plan.seq : -1;
      const mm = o instanceof MmStruct;
      const same = canon >= 0 && !mm && v[canon] === (seq ?? ownMmLockSeq(v, plan));
      // The form the lock sequence number is folded in: as it is (0), by parity (1), by (in)equality (2, 3).
      const key = canon < 0 ? 0 : mm ? 1 : same ? 2 : 3;
      if (st.ok && st.key === key) {
        foldStats.cached++;
      } else {
        const a0 = lanes.a, b0 = lanes.b;
        lanes.a = 0x0b1ec7;
        lanes.b = 0x0b1ec7;
        this.deep = false;
        fold(st.base);
        for (const i of plan.flat) {
          if (i !== canon) this.foldValue(v[i]);
          else if (mm) fold(0x5e91 + ((v[i] as number) & 1));
          else fold(same ? 0x5e93 : 0x5e94);
        }
        foldStats.hashed++;
        st.ok = !this.deep;
        st.key = key;
        st.ha = lanes.a;
        st.hb = lanes.b;
        lanes.a = a0;
        lanes.b = b0;
      }
      fold(st.ha);
      fold(st.hb);
      for (const i of plan.containers) this.foldValue(v[i]);
    }
  }

  /** foldValue went into a container (then the object's hash is not kept: foldObjects). */
  private deep = false;

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
    const st = storeOf(mm);
    return st.v[st.plan.seq] as number;
  }
}
