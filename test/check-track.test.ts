/**
 * The checker's footprints (src/check/track.ts) see changes made in place to
 * a VMA's page cache (XArray) and to its evicted / swapped page sets
 * (IndexSet): otherwise DPOR would take a step that inserts a folio and one
 * that looks it up for independent and skip their other order.
 */
import { describe, expect, it } from 'vitest';
import { Tracker } from '../src/check/index.js';
import { Folio, MmStruct, VmAreaStruct } from '../src/model/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

function tracked(): { t: Tracker; vma: VmAreaStruct } {
  const mm = new MmStruct(faultStrategy('mainline'), forkStrategy('fork-lock-all'));
  const vma = new VmAreaStruct(mm, 0, 'file', 0x10, 0x20, 0x1, true, true, 0);
  const t = new Tracker();
  t.register(vma);
  t.flush();
  return { t, vma };
}

describe('footprints of the page tables', () => {
  it('a folio stored into or erased from the page cache is a write; a lookup is a read only', () => {
    const { t, vma } = tracked();
    t.begin();
    vma.cache.get(3);
    const look = t.end();
    expect(look.w).toEqual([]);
    expect(look.r.length).toBe(1); // the `cache` field

    t.begin();
    vma.cache.set(3, new Folio(vma.id, 3));
    const store = t.end();
    expect(store.w).toEqual(look.r); // the same slot: the two steps are dependent

    t.begin();
    vma.cache.delete(3);
    expect(t.end().w).toEqual(look.r);
  });

  it('evicted and swapped sets: add and delete are writes; a change undone in the same step is not', () => {
    const { t, vma } = tracked();
    t.begin();
    vma.evicted.add(5);
    const ev = t.end();
    expect(ev.w.length).toBe(1);
    t.begin();
    vma.swapped.add(6);
    const sw = t.end();
    expect(sw.w.length).toBe(1);
    expect(sw.w).not.toEqual(ev.w);
    t.begin();
    vma.swapped.add(7);
    vma.swapped.delete(7);
    expect(t.end().w).toEqual([]);
  });
});
