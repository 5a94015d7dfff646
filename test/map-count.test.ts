/**
 * The map_count limit (sysctl_max_map_count): split_vma, munmap's head split
 * and mmap fail with -ENOMEM at it (mm/vma.c split_vma,
 * vms_gather_munmap_vmas; mm/mmap.c do_mmap). Check scenarios lower it with
 * `mm: { max_map_count }`; exact outcomes of single-thread runs.
 */
import { describe, expect, it } from 'vitest';
import { checkScenarioFromObject } from '../src/check/index.js';
import { DEFAULT_MAX_MAP_COUNT, VM_WRITE } from '../src/model/index.js';
import { handRun } from './check-handrun.js';

function runOps(max: number | undefined, vmas: Array<{ name: string; pages: number }>, ops: unknown[]) {
  const sc = checkScenarioFromObject({
    name: 'map-count', description: 'one thread at the map_count limit',
    ...(max !== undefined ? { mm: { max_map_count: max } } : {}),
    vmas: vmas.map((v) => ({ ...v, kind: 'anon', anon_vma: true })),
    threads: [{ name: 'T', ops }],
  });
  const r = handRun(sc);
  const base = r.ex.mm.vmas[0]!.vm_start;
  r.run('T');
  expect(r.task('T').state).toBe(2);
  expect(r.violation).toBeNull();
  return {
    mm: r.ex.mm,
    layout: r.ex.mm.vmas.map((v) => [v.vm_start - base, v.vm_end - base, (v.vm_flags & VM_WRITE) !== 0]),
  };
}

describe('sysctl_max_map_count', () => {
  it('is the kernel default unless the scenario sets it', () => {
    const { mm } = runOps(undefined, [{ name: 'heap', pages: 4 }], [{ op: 'munmap', vma: 'heap', page: 3, pages: 1 }]);
    expect(mm.max_map_count).toBe(DEFAULT_MAX_MAP_COUNT);
  });

  it('mprotect of the middle at max_map_count 2: the head split is made, the tail split fails (-ENOMEM), the flags stay', () => {
    const r = runOps(2, [{ name: 'heap', pages: 4 }], [{ op: 'mprotect', vma: 'heap', page: 1, pages: 2, prot: 'r' }]);
    expect(r.layout).toEqual([[0, 1, true], [1, 4, true]]);
    expect(r.mm.map_count).toBe(2);
  });

  it('with room for both splits (max_map_count 3) the same mprotect leaves three VMAs', () => {
    const r = runOps(3, [{ name: 'heap', pages: 4 }], [{ op: 'mprotect', vma: 'heap', page: 1, pages: 2, prot: 'r' }]);
    expect(r.layout).toEqual([[0, 1, true], [1, 3, false], [3, 4, true]]);
  });

  it('munmap of the middle at the limit fails and changes nothing; of the tail it is allowed (one split, the count goes back)', () => {
    expect(runOps(1, [{ name: 'heap', pages: 4 }], [{ op: 'munmap', vma: 'heap', page: 1, pages: 2 }]).layout).toEqual([[0, 4, true]]);
    const tail = runOps(1, [{ name: 'heap', pages: 4 }], [{ op: 'munmap', vma: 'heap', page: 2, pages: 2 }]);
    expect(tail.layout).toEqual([[0, 2, true]]);
    expect(tail.mm.map_count).toBe(1);
  });

  it('mmap fails with more VMAs than the limit (do_mmap: map_count > max_map_count)', () => {
    const vmas = [{ name: 'a', pages: 2 }, { name: 'b', pages: 2 }, { name: 'c', pages: 2 }];
    const ops = [{ op: 'munmap', vma: 'c' }, { op: 'mmap', vma: 'c' }];
    expect(runOps(1, vmas, ops).layout).toEqual([[0, 2, true], [3, 5, true]]); // 2 VMAs > 1: -ENOMEM
    expect(runOps(2, vmas, ops).layout).toEqual([[0, 2, true], [3, 5, true], [6, 8, true]]);
  });

  it('mremap refuses to move a VMA within 3 of the limit (move_vma: a move may split one VMA into three)', () => {
    const vmas = [{ name: 'a', pages: 2 }, { name: 'b', pages: 2 }];
    const ops = [{ op: 'mremap', vma: 'a', new_pages: 4 }]; // b blocks growth in place: a must move
    expect(runOps(5, vmas, ops).layout).toEqual([[0, 2, true], [3, 5, true]]); // 2 >= 5 - 3: -ENOMEM
    expect(runOps(6, vmas, ops).layout).toEqual([[3, 5, true], [6, 10, true]]); // 2 < 6 - 3: moved above every VMA
  });
});
