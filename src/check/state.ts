/**
 * The visited-state table of the stateful DFS (./dfs.ts): 64-bit state
 * hashes (Execution.stateHash) with the sleep sets each state was explored
 * with. A state reached again with sleep set S is pruned when it was explored
 * before with a sleep set Z ⊆ S: everything the search would explore from it
 * now was explored then (Godefroid 1996, §5.3; the argument is in
 * docs/checker.md, "State caching"). Open addressing over typed arrays: about
 * 13 bytes per state.
 */

/** Sleep sets as bit masks of task ids (ids below 31). */
export type SleepMask = number;

export class StateTable {
  private a!: Int32Array;
  private b!: Int32Array;
  private m!: Int32Array;
  private used!: Uint8Array;
  /** Entry number of each slot (states in order of first visit). */
  private e!: Int32Array;
  private mask!: number;
  /** States stored. */
  size = 0;
  /** More sleep sets for a state than the first (rare). */
  private readonly more = new Map<number, SleepMask[]>();

  constructor(capacity = 1 << 16) {
    let n = 1;
    while (n < capacity) n *= 2;
    this.alloc(n);
  }

  private slotOf(a: number, b: number): number {
    let i = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    while (this.used[i] === 1 && (this.a[i] !== a || this.b[i] !== b)) i = (i + 1) & this.mask;
    return i;
  }

  /**
   * Visit state (a, b) with sleep set `sleep`. It was explored before with a
   * sleep set that is a subset of `sleep` (prune it): returns -1 - n, n the
   * state's entry number. Otherwise it is recorded as explored with `sleep`
   * and its entry number n >= 0 is returned.
   */
  visit(a: number, b: number, sleep: SleepMask): number {
    const i = this.slotOf(a, b);
    if (this.used[i] === 0) {
      const n = this.size++;
      this.used[i] = 1;
      this.a[i] = a;
      this.b[i] = b;
      this.m[i] = sleep;
      this.e[i] = n;
      if (this.size * 2 > this.mask) this.grow();
      return n;
    }
    const n = this.e[i]!;
    const z = this.m[i]!;
    if ((z & ~sleep) === 0) return -1 - n;
    const extra = this.more.get(i);
    if (extra !== undefined) for (const y of extra) if ((y & ~sleep) === 0) return -1 - n;
    // Explored now with `sleep`: any stored set that contains it is subsumed.
    const keep = [z, ...(extra ?? [])].filter((y) => (sleep & ~y) !== 0);
    this.m[i] = sleep;
    if (keep.length > 0) this.more.set(i, keep);
    else this.more.delete(i);
    return n;
  }

  /** Empty arrays of `n` slots (a power of two). */
  private alloc(n: number): void {
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.m = new Int32Array(n);
    this.used = new Uint8Array(n);
    this.e = new Int32Array(n);
    this.mask = n - 1;
  }

  private grow(): void {
    const oa = this.a, ob = this.b, om = this.m, ou = this.used, oe = this.e, omore = new Map(this.more);
    const n = oa.length * 2;
    this.alloc(n);
    this.more.clear();
    for (let i = 0; i < oa.length; i++) {
      if (ou[i] === 0) continue;
      const j = this.slotOf(oa[i]!, ob[i]!);
      this.used[j] = 1;
      this.a[j] = oa[i]!;
      this.b[j] = ob[i]!;
      this.m[j] = om[i]!;
      this.e[j] = oe[i]!;
      const e = omore.get(i);
      if (e !== undefined) this.more.set(j, e);
    }
  }
}
