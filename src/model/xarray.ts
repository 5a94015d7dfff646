/**
 * An index -> entry table for the page cache and the page tables' swap
 * entries (the kernel keeps them in an xarray: `mapping->i_pages`, and in PTEs).
 *
 * A JS `Map` keyed by page offset costs more than the rest of a major fault:
 * the fault adds a folio and the next draw of that page removes it, and the
 * built-in table reallocates as it shrinks back to empty. This is an
 * open-addressing table (linear probing, backward-shift deletion: no
 * tombstones, no reallocation while it stays small) with the subset of the
 * Map/Set API the model uses. Iteration (`values`, `keys`) is in ascending
 * index order, so every report that lists entries is deterministic and
 * reads in address order.
 */

const EMPTY = -1;
const NO_KEYS = new Int32Array(0);
/** Never written: `set` allocates first. Made like the real tables so `vals` keeps one elements kind. */
const NO_VALS: unknown[] = new Array<unknown>(1).fill(undefined);
const FIRST_CAPACITY = 8;

function ascending(a: number, b: number): number {
  return a - b;
}

/** What keysInto and valuesInto return for an empty table (never written). */
const NO_INDICES: number[] = [];

/**
 * The members of `keys` (a table's slots) into `out`, ascending, reusing its
 * storage: written by index (setting the length to 0 would drop the backing
 * store), and a short list sorted in place by insertion (Array.prototype.sort
 * copies into a work array first).
 */
function sortedInto(keys: Int32Array, out: number[]): number[] {
  let n = 0;
  for (const k of keys) {
    if (k === EMPTY) continue;
    let j = n++;
    if (n <= 32) {
      while (j > 0 && out[j - 1]! > k) {
        out[j] = out[j - 1]!;
        j--;
      }
    }
    out[j] = k;
  }
  out.length = n;
  return n <= 32 ? out : out.sort(ascending);
}

/** The multiplier of the Fibonacci hashing (2^32 / golden ratio). */
const FIB = 0x9e3779b1;

/** Fibonacci hashing of a non-negative integer index into `mask + 1` slots. */
function slotOf(index: number, mask: number): number {
  return (Math.imul(index, FIB) >>> 16) & mask;
}

/** Linear probing from `index`'s home slot: the slot holding `index`, or the empty slot where it would go. */
function probe(keys: Int32Array, mask: number, index: number): number {
  let i = slotOf(index, mask);
  for (;;) {
    const k = keys[i]!;
    if (k === index || k === EMPTY) return i;
    i = (i + 1) & mask;
  }
}

/** The slot holding `index`, or -1. */
function findSlot(keys: Int32Array, mask: number, index: number): number {
  const i = probe(keys, mask, index);
  return keys[i] === index ? i : -1;
}

/**
 * Backward-shift deletion of slot `i`: moves the later members of its probe
 * run into the hole (with their values, when the table has them) and
 * returns the slot left empty, which the caller clears.
 */
function backwardShift<V>(keys: Int32Array, vals: Array<V | undefined> | null, mask: number, i: number): number {
  let hole = i;
  for (;;) {
    i = (i + 1) & mask;
    const k = keys[i]!;
    if (k === EMPTY) return hole;
    const home = slotOf(k, mask);
    // Move k if its home is not in the cyclic range (hole, i].
    if (hole <= i ? home <= hole || home > i : home <= hole && home > i) {
      keys[hole] = k;
      if (vals !== null) vals[hole] = vals[i];
      hole = i;
    }
  }
}

export class XArray<V> {
  private keys_: Int32Array;
  private vals: Array<V | undefined>;
  private mask: number;
  private n = 0;

  /** The tables are made at the first store (most VMAs' tables stay empty). */
  constructor() {
    this.keys_ = NO_KEYS;
    this.vals = NO_VALS as Array<V | undefined>;
    this.mask = -1;
  }

  get size(): number {
    return this.n;
  }

  /**
   * xa_load. The probe is written out here (and in `has`) rather than
   * called through findSlot -> probe -> slotOf: every page-cache fault looks
   * up its page, and one small function fits TurboFan's inlining budget
   * (src/sweep/v8-flags.ts) where the chain of four did not.
   */
  get(index: number): V | undefined {
    if (this.n === 0) return undefined;
    const keys = this.keys_, mask = this.mask;
    for (let i = (Math.imul(index, FIB) >>> 16) & mask; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === index) return this.vals[i];
      if (k === EMPTY) return undefined;
    }
  }

  has(index: number): boolean {
    if (this.n === 0) return false;
    const keys = this.keys_, mask = this.mask;
    for (let i = (Math.imul(index, FIB) >>> 16) & mask; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === index) return this.vals[i] !== undefined;
      if (k === EMPTY) return false;
    }
  }

  /** xa_store (`value` must not be undefined). */
  set(index: number, value: V): this {
    if (index < 0 || index > 0x7fffffff || !Number.isInteger(index)) throw new RangeError(`XArray index ${index}`);
    if (this.mask < 0) this.alloc(FIRST_CAPACITY);
    const keys = this.keys_, mask = this.mask;
    const i = probe(keys, mask, index);
    this.vals[i] = value;
    if (keys[i] === index) return this;
    keys[i] = index;
    if (++this.n * 2 > mask + 1) this.grow();
    return this;
  }

  /** xa_erase: whether there was an entry. */
  delete(index: number): boolean {
    if (this.n === 0) return false;
    const keys = this.keys_, vals = this.vals, mask = this.mask;
    const i = findSlot(keys, mask, index);
    if (i < 0) return false;
    const hole = backwardShift(keys, vals, mask, i);
    keys[hole] = EMPTY;
    vals[hole] = undefined;
    this.n--;
    return true;
  }

  clear(): void {
    this.keys_ = NO_KEYS;
    this.vals = NO_VALS as Array<V | undefined>;
    this.mask = -1;
    this.n = 0;
  }

  /** Indices present, ascending. */
  keys(): number[] {
    return this.keysInto([]);
  }

  /** `keys()` into `out` (emptied first), for callers that reuse one array (the checker's digests). */
  keysInto(out: number[]): number[] {
    if (this.n === 0) return NO_INDICES;
    return sortedInto(this.keys_, out);
  }

  /** Entries in ascending index order. */
  values(): V[] {
    return this.keys().map((k) => this.get(k)!);
  }

  private alloc(cap: number): void {
    this.keys_ = new Int32Array(cap).fill(EMPTY);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
  }

  private grow(): void {
    const oldK = this.keys_, oldV = this.vals;
    this.alloc(oldK.length * 2);
    this.n = 0;
    for (let i = 0; i < oldK.length; i++) if (oldK[i] !== EMPTY) this.set(oldK[i]!, oldV[i]!);
  }
}

/**
 * A set of page indices (the xarray's marks): evicted file pages, swap PTEs,
 * write-protected PTEs. The same open-addressing table as `XArray`, keys
 * only: one Int32Array per set and no values array, and no wrapper object
 * between the VMA and its table (every page-cache fault reads `evicted`).
 */
export class IndexSet {
  private keys_: Int32Array = NO_KEYS;
  private mask = -1;
  private n = 0;

  get size(): number {
    return this.n;
  }
  /** (The probe written out, as in XArray.get.) */
  has(index: number): boolean {
    if (this.n === 0) return false;
    const keys = this.keys_, mask = this.mask;
    for (let i = (Math.imul(index, FIB) >>> 16) & mask; ; i = (i + 1) & mask) {
      const k = keys[i]!;
      if (k === index) return true;
      if (k === EMPTY) return false;
    }
  }
  add(index: number): this {
    if (index < 0 || index > 0x7fffffff || !Number.isInteger(index)) throw new RangeError(`IndexSet index ${index}`);
    if (this.mask < 0) this.alloc(FIRST_CAPACITY);
    const keys = this.keys_, mask = this.mask;
    const i = probe(keys, mask, index);
    if (keys[i] === index) return this;
    keys[i] = index;
    if (++this.n * 2 > mask + 1) this.grow();
    return this;
  }
  /** Whether `index` was a member (XArray.delete's backward-shift deletion). */
  delete(index: number): boolean {
    if (this.n === 0) return false;
    const keys = this.keys_, mask = this.mask;
    const i = findSlot(keys, mask, index);
    if (i < 0) return false;
    const hole = backwardShift(keys, null, mask, i);
    keys[hole] = EMPTY;
    this.n--;
    return true;
  }
  clear(): void {
    this.keys_ = NO_KEYS;
    this.mask = -1;
    this.n = 0;
  }
  /** Members, ascending. */
  values(): number[] {
    return this.valuesInto([]);
  }

  /** `values()` into `out` (emptied first), for callers that reuse one array (the checker's digests). */
  valuesInto(out: number[]): number[] {
    if (this.n === 0) return NO_INDICES;
    return sortedInto(this.keys_, out);
  }

  private alloc(cap: number): void {
    this.keys_ = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
  }
  private grow(): void {
    const old = this.keys_;
    this.alloc(old.length * 2);
    this.n = 0;
    for (let i = 0; i < old.length; i++) if (old[i] !== EMPTY) this.add(old[i]!);
  }
}
