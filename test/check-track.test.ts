/**
 * The checker's footprints (src/check/track.ts) see changes made in place to
 * a VMA's page cache (XArray) and to its evicted / swapped page sets
 * (IndexSet): otherwise DPOR would take a step that inserts a folio and one
 * that looks it up for independent and skip their other order.
 */
import { describe, expect, it } from 'vitest';
import { Execution, INVARIANT_NAMES, loadCheckScenario, Tracker, uninstallCheckHooks } from '../src/check/index.js';
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

describe('footprints of the readahead state', () => {
  it("each file VMA's f_ra (mmap_miss and the window, written by faults) is tracked: a change is a write", () => {
    const { t, vma } = tracked();
    t.register(vma.f_ra, vma);
    t.flush();
    t.begin();
    vma.f_ra.mmap_miss++;
    const fp = t.end();
    expect(fp.w.length).toBe(1); // mmap_miss (the read of vma->f_ra itself is a read only)
    expect(fp.r).toContain(fp.w[0]); // read and written: two faults that miss on one file are dependent
  });

  it('the executor tracks the f_ra of every VMA', () => {
    const model = {
      scenario: loadCheckScenario('check-spin-anchor', {}), fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'),
      injections: [], invariants: new Set(INVARIANT_NAMES),
    };
    const ex = new Execution(model, model.scenario.threads.map((th) => th.ops.length), () => 0);
    try {
      expect(ex.mm.vmas.length).toBe(2);
      for (const v of ex.mm.vmas) expect(ex.tracker.objects).toContain(v.f_ra);
    } finally {
      uninstallCheckHooks();
    }
  });
});
