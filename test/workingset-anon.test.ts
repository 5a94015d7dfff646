/**
 * Anonymous refaults (mm/workingset.c, v7.0 §C.6): swap-out leaves a shadow
 * entry in the swap cache (workingset_eviction from __remove_mapping); a
 * swap-in that meets it is a refault (WORKINGSET_REFAULT_ANON), activated at
 * once when the refault distance is within the workingset size, which for an
 * anonymous refault is the file lists plus the active anon list
 * (workingset_test_recent).
 */
import { describe, expect, it } from 'vitest';
import { do_user_addr_fault, LruPage, MemCgroup, page_key } from '../src/model/index.js';
import { us } from './helpers.js';
import { lanes, type Lanes } from './lanes.js';

const count = (h: Lanes, e: string): number => h.rec.vmEvents.filter(([, n]) => n === e).length;

describe('anonymous workingset refaults', () => {
  it('a swapped-out page leaves a shadow; its swap-in is a refault, activated when the distance is within the workingset', () => {
    const h = lanes({ anon: 1, costs: { swap_out: us(10) } });
    const av = h.vma[4]!, file = h.vma[1]!;
    const memcg = new MemCgroup({ max: 64, high: Infinity, total: 0, other: 0 });
    h.mm.memory = memcg;
    // Workingset for an anonymous refault: 2 inactive file pages + 0 active = 2.
    for (const p of [0, 1]) memcg.lruvec.add(new LruPage(file, p));
    memcg.usage = 2;
    av.swapped.add(3);
    av.swapped.add(4);
    memcg.shadows.set(page_key(av, 3), 5); // distance 6 - 5 = 1 <= 2: activate
    memcg.shadows.set(page_key(av, 4), 0); // distance 6: inactive
    memcg.nonresident_age = 6;
    h.lane('F', 0, function* () {
      yield* do_user_addr_fault(h.mm, av.vm_start + 3, false);
      yield* do_user_addr_fault(h.mm, av.vm_start + 4, false);
    });
    h.run();
    expect([count(h, 'WORKINGSET_REFAULT_ANON'), count(h, 'WORKINGSET_ACTIVATE_ANON'), count(h, 'PSWPIN')]).toEqual([2, 1, 2]);
    expect([memcg.lruvec.get(av, 3)!.active, memcg.lruvec.get(av, 4)!.active]).toEqual([true, false]);
    expect(memcg.shadows.size).toBe(0);
  });

  it('reclaim swapping a page out records its shadow at the current non-resident age', () => {
    const h = lanes({ anon: 1, costs: { swap_out: us(10) } });
    const av = h.vma[4]!;
    const memcg = new MemCgroup({ max: 4, high: Infinity, total: 0, other: 0 });
    h.mm.memory = memcg;
    for (let p = 0; p < 4; p++) memcg.lruvec.add(new LruPage(av, p, true));
    memcg.usage = 4;
    h.lane('W', 0, function* () {
      yield* do_user_addr_fault(h.mm, av.vm_start + 10, true); // over memory.max: reclaim swaps the 4 out
    });
    h.run();
    expect([0, 1, 2, 3].map((p) => memcg.shadows.get(page_key(av, p)))).toEqual([0, 1, 2, 3]);
    expect([count(h, 'PSWPOUT'), memcg.nonresident_age, memcg.usage]).toEqual([4, 4, 1]);
  });
});
