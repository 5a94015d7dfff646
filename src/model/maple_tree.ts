/**
 * The mm's VMA tree (mm->mm_mt, lib/maple_tree.c) with only its visible
 * behaviour: ranges that do not overlap, looked up by address (mas_walk,
 * find_vma), walked in order (vma_next / vma_prev, for_each_vma), stored
 * (vma_iter_store_new: a new range; vma_iter_store_overwrite: a VMA whose
 * range changed) and erased (vma_iter_clear). Node layout, RCU node
 * replacement and preallocation are not modelled: a store or erase is one
 * atomic step, as a reader under rcu_read_lock sees it (docs/fidelity.md).
 *
 * Entries are VMAs, kept in an array sorted by vm_start. A lookup reads the
 * vm_start / vm_end of the entries it compares (so the checker's footprints
 * see a lookup depend on a range change); the array itself is a container
 * the checker digests by entry identity.
 */
import { hooks } from './custom.js';
import type { VmAreaStruct } from './mm_types.js';

export class MapleTree {
  /** Entries in address order (the tree's leaves). */
  readonly entries: VmAreaStruct[] = [];

  constructor() {
    hooks.object_created(this); // model-only (custom.ts)
  }

  /** mas_walk / vma_lookup: the entry whose range contains `addr`, or null. */
  walk(addr: number): VmAreaStruct | null {
    const v = this.entries;
    let lo = 0, hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = v[mid]!;
      if (addr < m.vm_start) hi = mid - 1;
      else if (addr >= m.vm_end) lo = mid + 1;
      else return m;
    }
    return null;
  }

  /**
   * walk(addr) given a guess `i` of the entry's index (the simulator's, from
   * an earlier lookup of the same range): entries never overlap, so the entry
   * at `i`, when it holds `addr`, is the one walk would find; else walk. The
   * same answer without the binary search (the kernel's mas_walk costs what
   * the cost model says, not what this does).
   */
  walkFrom(addr: number, i: number): VmAreaStruct | null {
    const v = this.entries;
    if (i >= 0 && i < v.length) {
      const m = v[i]!;
      if (addr >= m.vm_start && addr < m.vm_end) return m;
    }
    return this.walk(addr);
  }

  /** find_vma: the first entry ending above `addr` (it may start above it), or null. */
  find(addr: number): VmAreaStruct | null {
    const v = this.entries;
    let lo = 0, hi = v.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v[mid]!.vm_end <= addr) lo = mid + 1;
      else hi = mid;
    }
    return v[lo] ?? null;
  }

  /** The index of `vma` among the entries, or -1. */
  indexOf(vma: VmAreaStruct): number {
    return this.entries.indexOf(vma);
  }

  /** vma_next from `vma` (vma_iter_next_range): the entry after it, or null. */
  next(vma: VmAreaStruct): VmAreaStruct | null {
    const i = this.indexOf(vma);
    return i < 0 ? null : this.entries[i + 1] ?? null;
  }

  /** vma_prev from `vma`: the entry before it, or null. */
  prev(vma: VmAreaStruct): VmAreaStruct | null {
    const i = this.indexOf(vma);
    return i <= 0 ? null : this.entries[i - 1]!;
  }

  /**
   * vma_iter_store_new: store a new entry over its range, which must be
   * empty (a range still occupied is a model bug: the kernel would corrupt
   * the tree).
   */
  store(vma: VmAreaStruct): void {
    const v = this.entries;
    let i = v.length;
    while (i > 0 && v[i - 1]!.vm_start > vma.vm_start) i--;
    const before = v[i - 1], after = v[i];
    if ((before !== undefined && before.vm_end > vma.vm_start) || (after !== undefined && after.vm_start < vma.vm_end)) {
      throw new Error(`vma_iter_store(${vma.label} [${vma.vm_start}, ${vma.vm_end})): range overlaps an entry`);
    }
    v.splice(i, 0, vma);
  }

  /** vma_iter_clear: remove an entry. */
  erase(vma: VmAreaStruct): void {
    const i = this.indexOf(vma);
    if (i >= 0) this.entries.splice(i, 1);
  }

  /** The tree holds this object as an entry (the VMA is reachable by a lookup). */
  has(vma: VmAreaStruct): boolean {
    return this.indexOf(vma) >= 0;
  }

  /** __mt_destroy (exit_mmap). */
  destroy(): void {
    this.entries.length = 0;
  }

  get size(): number {
    return this.entries.length;
  }
}
