/**
 * Issue 13, second part: mmap merges a new range into its neighbours
 * (__mmap_region -> vma_merge_new_range -> vma_expand), mremap shrinks
 * (do_vmi_munmap of the tail) and moves to a fixed address (MREMAP_FIXED:
 * unmap the target first; copy_vma merges into a neighbour). Hand-built
 * runs with exact outcomes: the VMAs left, which objects survive, and which
 * VMAs are write-locked.
 */
import { describe, expect, it } from 'vitest';
import {
  do_mmap, do_mremap, do_vmi_align_munmap, lock_vma_under_rcu, mmap_write_lock, mmap_write_unlock, MREMAP_FIXED, MREMAP_MAYMOVE,
  vma_end_read, vma_is_write_locked, vma_merge_new_range, VM_READ, VM_WRITE, type KPath, type VmaShape, type VmAreaStruct,
} from '../src/model/index.js';
import { do_mprotect_pkey } from '../src/model/index.js';
import { loadCheckScenario } from '../src/check/index.js';
import { runCheck, verdict } from './check-helpers.js';
import { hold, lanes, type Lanes } from './lanes.js';

/** Where buildMm puts the first VMA (page number). */
const BASE = 0x10;

/** [start, end) relative to `base`, pgoff: the shape of the address space. */
function layout(vmas: readonly VmAreaStruct[], base: number): Array<[number, number, number]> {
  return vmas.map((v) => [v.vm_start - base, v.vm_end - base, v.vm_pgoff]);
}

/**
 * One 16-page file VMA; at 0 us [from, from + n) of it is unmapped; `body`
 * then runs (at 10 us) with the shape unmapped. The engine runs once.
 */
function withHole(from: number, n: number, body: (h: Lanes, base: number, shape: VmaShape) => KPath): Lanes {
  const h = lanes({ vmas: 1 });
  const base = h.vma[0]!.vm_start;
  let shape: VmaShape | null = null;
  h.lane('U', 0, function* () {
    shape = yield* do_vmi_align_munmap(h.mm, base + from, n);
  });
  h.lane('M', 10, () => body(h, base, shape!));
  h.run();
  return h;
}

describe('mmap merges a new range into compatible neighbours (vma_merge_new_range)', () => {
  it('a range between two pieces of its mapping: prev grows over it and next, both write-locked; next is detached and freed; one VMA', () => {
    let pn: VmAreaStruct[] = [];
    let locked: boolean[] = [];
    let ret: VmAreaStruct | null = null;
    const h = withHole(4, 4, function* (h, _base, shape) {
      pn = h.mm.vmas.slice();
      yield* mmap_write_lock(h.mm);
      ret = yield* vma_merge_new_range(h.mm, pn[0]!, pn[1]!, shape);
      locked = pn.map(vma_is_write_locked);
      mmap_write_unlock(h.mm);
    });
    const [prev, next] = pn as [VmAreaStruct, VmAreaStruct];
    expect(ret).toBe(prev);
    expect(locked).toEqual([true, true]);
    expect(layout(h.mm.vmas, BASE)).toEqual([[0, 16, 0]]);
    expect([next.detached, next.freed]).toEqual([true, true]);
    expect(h.mm.map_count).toBe(1);
  });

  it('do_mmap of the tail just unmapped: the VMA before it is extended (the same object), nothing new is allocated', () => {
    let head: VmAreaStruct | null = null, ret: VmAreaStruct | null = null;
    let ids = 0;
    const h = withHole(12, 4, function* (h, _base, shape) {
      head = h.mm.vmas[0]!;
      ids = h.mm.nextVmaId;
      ret = yield* do_mmap(h.mm, shape);
      expect(h.mm.nextVmaId).toBe(ids);
    });
    expect(ret).toBe(head);
    expect(layout(h.mm.vmas, BASE)).toEqual([[0, 16, 0]]);
  });

  it('do_mmap of the head just unmapped: the next VMA grows down (vm_start and vm_pgoff move), write-locked: a reader of it delays the mmap', () => {
    let tail: VmAreaStruct | null = null;
    const h = withHole(0, 4, function* (h, base, shape) {
      tail = h.mm.vmas[0]!;
      h.lane('R', 0, function* () {
        const r = lock_vma_under_rcu(h.mm, base + 8);
        expect(r).toBe(tail);
        yield* hold(5);
        vma_end_read(r!);
      });
      yield* hold(1);
      expect(yield* do_mmap(h.mm, shape)).toBe(tail);
      h.mark('mapped');
    });
    expect(h.marks).toEqual([['M', 'mapped', 15]]);
    expect(layout(h.mm.vmas, BASE)).toEqual([[0, 16, 0]]);
    expect(h.mm.vmas[0]).toBe(tail);
  });

  it('only a neighbour with the same flags merges: prev grows, next (other flags) is not write-locked and stays', () => {
    const h = lanes({ vmas: 1 });
    const base = h.vma[0]!.vm_start;
    let pn: VmAreaStruct[] = [];
    let locked: boolean[] = [];
    h.lane('M', 0, function* () {
      expect(yield* do_mprotect_pkey(h.mm, base + 8, 8, VM_READ | VM_WRITE)).toBe(true); // [0,8) r, [8,16) rw
      const shape = yield* do_vmi_align_munmap(h.mm, base + 4, 4); // [0,4) r, [8,16) rw
      pn = h.mm.vmas.slice();
      yield* mmap_write_lock(h.mm);
      expect(yield* vma_merge_new_range(h.mm, pn[0]!, pn[1]!, shape!)).toBe(pn[0]);
      locked = pn.map(vma_is_write_locked);
      mmap_write_unlock(h.mm);
    });
    h.run();
    expect(locked).toEqual([true, false]);
    expect(layout(h.mm.vmas, base)).toEqual([[0, 8, 0], [8, 16, 8]]);
    expect(h.mm.vmas[1]).toBe(pn[1]);
  });

  it('a range of another mapping (or one whose offsets do not continue) does not merge: a new VMA, only it write-locked', () => {
    const merged: Array<VmAreaStruct | null> = [];
    let pn: VmAreaStruct[] = [];
    let made: VmAreaStruct | null = null;
    const h = withHole(4, 4, function* (h, _base, shape) {
      pn = h.mm.vmas.slice();
      yield* mmap_write_lock(h.mm);
      merged.push(yield* vma_merge_new_range(h.mm, pn[0]!, pn[1]!, { ...shape, mapping: undefined }));
      merged.push(yield* vma_merge_new_range(h.mm, pn[0]!, pn[1]!, { ...shape, vm_pgoff: 5 }));
      expect(pn.map(vma_is_write_locked)).toEqual([false, false]);
      mmap_write_unlock(h.mm);
      made = yield* do_mmap(h.mm, { ...shape, mapping: undefined });
    });
    expect(merged).toEqual([null, null]);
    expect(layout(h.mm.vmas, BASE)).toEqual([[0, 4, 0], [4, 8, 0], [8, 16, 8]]);
    expect(h.mm.vmas[1]).toBe(made);
    expect(made!.cache).not.toBe(pn[0]!.cache);
  });

  it('an anonymous range merged into its neighbour is fresh memory: the swap entries left at its offsets are gone', () => {
    const h = lanes({ vmas: 0, anon: 1 });
    const heap = h.vma[0]!, base = heap.vm_start;
    heap.swapped.add(5).add(20);
    h.lane('M', 0, function* () {
      const shape = yield* do_vmi_align_munmap(h.mm, base + 4, 4);
      expect(yield* do_mmap(h.mm, shape!)).toBe(h.mm.vmas[0]);
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[0, 64, 0]]);
    expect([heap.swapped.has(5), heap.swapped.has(20)]).toEqual([false, true]);
  });
});

describe('mremap: shrink, and MREMAP_FIXED', () => {
  it('shrinking unmaps the tail (do_vmi_munmap with unlock): the head is split off as a new VMA, the original (now the tail) is freed', () => {
    const h = lanes({ vmas: 1 });
    const v = h.vma[0]!, base = v.vm_start;
    let ret = 0;
    h.lane('W', 0, function* () {
      ret = yield* do_mremap(h.mm, base, 16, 10, 0);
    });
    h.run();
    expect(ret).toBe(base);
    expect(layout(h.mm.vmas, base)).toEqual([[0, 10, 0]]);
    expect(h.mm.vmas[0]).not.toBe(v);
    expect([v.vm_start - base, v.vm_end - base, v.freed]).toEqual([10, 16, true]);
    expect(h.rec.mmap.map(([, what]) => what)).toEqual(['write', 'up_write', 'read', 'up_read']); // downgraded (mmap_write_downgrade), then released
  });

  it('shrinking the middle of a VMA leaves its head and the rest after the hole', () => {
    const h = lanes({ vmas: 1 });
    const base = h.vma[0]!.vm_start;
    h.lane('W', 0, function* () {
      expect(yield* do_mremap(h.mm, base + 2, 8, 4, 0)).toBe(base + 2);
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[0, 6, 0], [10, 16, 10]]);
  });

  it('MREMAP_FIXED onto part of another VMA: that part is unmapped first (the VMA splits around it), then the source moves there', () => {
    const h = lanes({ vmas: 2 });
    const [a, b] = [h.vma[0]!, h.vma[1]!];
    const base = a.vm_start, to = b.vm_start + 4;
    let ret = 0;
    h.lane('W', 0, function* () {
      ret = yield* do_mremap(h.mm, base, 4, 4, MREMAP_MAYMOVE | MREMAP_FIXED, to);
    });
    h.run();
    expect(ret).toBe(to);
    expect(layout(h.mm.vmas, base)).toEqual([[4, 16, 4], [17, 21, 0], [21, 25, 0], [25, 33, 8]]);
    expect(h.mm.vmas[2]!.cache).toBe(a.cache); // the moved pages: a's file
    expect([h.mm.vmas[1]!.cache, h.mm.vmas[3]!.cache]).toEqual([b.cache, b.cache]);
    expect(h.mm.map_count).toBe(4);
  });

  it('MREMAP_FIXED next to a piece of the same mapping merges into it (copy_vma -> vma_merge_new_range), write-locking it', () => {
    const h = lanes({ vmas: 1 });
    const base = h.vma[0]!.vm_start, far = base + 40;
    let piece: VmAreaStruct | null = null;
    h.lane('W', 0, function* () {
      expect(yield* do_mremap(h.mm, base, 4, 4, MREMAP_MAYMOVE | MREMAP_FIXED, far)).toBe(far); // [4,16) p4, [40,44) p0
      piece = h.mm.vmas[1]!;
      h.lane('R', 0, function* () {
        const r = lock_vma_under_rcu(h.mm, far);
        expect(r).toBe(piece);
        yield* hold(5);
        vma_end_read(r!);
      });
      yield* hold(1);
      expect(yield* do_mremap(h.mm, base + 4, 4, 4, MREMAP_MAYMOVE | MREMAP_FIXED, far + 4)).toBe(far + 4);
      h.mark('moved');
    });
    h.run();
    expect(h.marks).toEqual([['W', 'moved', 5]]);
    expect(layout(h.mm.vmas, base)).toEqual([[8, 16, 8], [40, 48, 0]]);
    expect(h.mm.vmas[1]).toBe(piece);
  });

  it('the VMAs a shrink or an MREMAP_FIXED target unmap are write-locked: a reader of each delays the mremap until it leaves', () => {
    const h = lanes({ vmas: 2 });
    const [a, b] = [h.vma[0]!, h.vma[1]!];
    h.lane('Ra', 0, function* () {
      const r = lock_vma_under_rcu(h.mm, a.vm_start + 15);
      yield* hold(5);
      vma_end_read(r!);
    });
    h.lane('Rb', 0, function* () {
      const r = lock_vma_under_rcu(h.mm, b.vm_start);
      yield* hold(20);
      vma_end_read(r!);
    });
    h.lane('W', 1, function* () {
      expect(yield* do_mremap(h.mm, a.vm_start, 16, 12, 0)).toBe(BASE);
      h.mark('shrunk');
      expect(yield* do_mremap(h.mm, BASE, 4, 4, MREMAP_MAYMOVE | MREMAP_FIXED, b.vm_start)).toBe(b.vm_start);
      h.mark('moved');
    });
    h.run();
    expect(h.marks).toEqual([['W', 'shrunk', 5], ['W', 'moved', 20]]);
    expect(layout(h.mm.vmas, BASE)).toEqual([[4, 12, 4], [17, 21, 0], [21, 33, 4]]);
  });

  it('MREMAP_FIXED onto the source itself, or without MREMAP_MAYMOVE, fails (-EINVAL) and changes nothing', () => {
    const h = lanes({ vmas: 1 });
    const base = h.vma[0]!.vm_start;
    const r: number[] = [];
    h.lane('W', 0, function* () {
      r.push(yield* do_mremap(h.mm, base, 8, 8, MREMAP_MAYMOVE | MREMAP_FIXED, base + 4));
      r.push(yield* do_mremap(h.mm, base, 8, 8, MREMAP_FIXED, base + 40));
    });
    h.run();
    expect(r).toEqual([-1, -1]);
    expect(layout(h.mm.vmas, base)).toEqual([[0, 16, 0]]);
  });

  it('MREMAP_FIXED with a shrink: the source loses its tail, the rest moves', () => {
    const h = lanes({ vmas: 1 });
    const base = h.vma[0]!.vm_start;
    h.lane('W', 0, function* () {
      expect(yield* do_mremap(h.mm, base, 8, 4, MREMAP_MAYMOVE | MREMAP_FIXED, base + 40)).toBe(base + 40);
    });
    h.run();
    expect(layout(h.mm.vmas, base)).toEqual([[8, 16, 8], [40, 44, 0]]);
  });
});

describe('the checker on the new paths', () => {
  const base = loadCheckScenario('check-mprotect-merge');
  it('a fault on the next piece while munmap + mmap of the middle page merges it back (next swallowed, detached, freed): safe, complete search', () => {
    const sc = {
      ...base,
      threads: [
        { name: 'T1', ops: [{ op: 'fault' as const, vma: ['heap'], page: 3, access: 'write' as const, state: ['zero' as const] }] },
        { name: 'T2', ops: [{ op: 'munmap' as const, vma: ['heap'], page: 1, pages: 1 }, { op: 'mmap' as const, vma: ['heap'] }] },
      ],
    };
    const r = runCheck(sc);
    expect(verdict(r)).toBe('safe');
    expect(r.complete).toBe(true);
  });

  it('a fault racing an mremap shrink of its VMA: safe, complete search', () => {
    const sc = {
      ...base,
      threads: [
        { name: 'T1', ops: [{ op: 'fault' as const, vma: ['heap'], page: 1, access: 'write' as const, state: ['zero' as const] }] },
        { name: 'T2', ops: [{ op: 'mremap' as const, vma: ['heap'], page: 0, pages: null, new_pages: 2, maymove: true, dontunmap: false, to_page: null }] },
      ],
    };
    const r = runCheck(sc);
    expect(verdict(r)).toBe('safe');
    expect(r.complete).toBe(true);
  });
});
