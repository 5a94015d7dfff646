/**
 * The simulator's allocation-free fast paths (bench/README.md, "Fewer
 * allocations per run"): each must leave the model in the state, and hand
 * the engines the effect fields, that the general path does.
 */
import { describe, expect, it } from 'vitest';
import {
  Cost, cpu_plus, CpuStep, lock_vma_under_rcu, mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock,
  vma_end_read, vma_is_write_locked, vma_start_write_killable, type CpuEffect,
} from '../src/model/index.js';
import { hold, lanes } from './lanes.js';

/** What the engines read of a CPU effect. */
function fields(e: CpuEffect): unknown[] {
  return [e.k, e.cost, e.n, e.then, e.extra === null ? null : [...e.extra]];
}

describe('CpuStep: one reused CPU effect per loop charges what cpu_plus charges', () => {
  const extra = [Cost.copy_pte_range, Cost.wrprotect_pte, Cost.copy_file_pte];
  it('the same fields as cpu_plus for each set of counts, the same object each time', () => {
    const step = new CpuStep(Cost.copy_pte, extra);
    for (const [n, a, b, c] of [[7, 2, 0, 3], [0, 0, 0, 0], [5, 0, 0, 0], [1, 0, 4, 0], [12, 1, 1, 1]] as const) {
      const e = step.set(n, a, b, c);
      expect(e).toBe(step.effect);
      const ref = cpu_plus(Cost.copy_pte, n, [extra[0]!, a, extra[1]!, b, extra[2]!, c]);
      expect(fields(e)).toEqual(fields(ref)); // all-zero extras: null in both
    }
  });
  it('refuses more than four extra costs', () => {
    expect(() => new CpuStep(Cost.copy_pte, [Cost.pgscan, Cost.pgsteal, Cost.swap_out, Cost.zap_pte, Cost.exit_vma])).toThrow(RangeError);
  });
});

describe('vma_start_write_killable: no generator when nothing can sleep (simulator)', () => {
  it('no reader: returns 0 at once and write-locks the VMA; a second call too', () => {
    const h = lanes();
    const seen: unknown[] = [];
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      const r = vma_start_write_killable(h.vma[0]!);
      seen.push(r, vma_is_write_locked(h.vma[0]!));
      seen.push(vma_start_write_killable(h.vma[0]!)); // already write-locked in this section
      mmap_write_unlock(h.mm);
      seen.push(vma_is_write_locked(h.vma[0]!));
    });
    h.run();
    expect(seen).toEqual([0, true, 0, false]);
  });

  it('a reader holds the VMA: the path, which waits for the reader to leave', () => {
    const h = lanes();
    const seen: unknown[] = [];
    h.lane('R', 0, function* () {
      const v = lock_vma_under_rcu(h.mm, h.addr(0))!;
      yield* hold(10);
      vma_end_read(v);
    });
    h.lane('W', 2, function* () {
      yield* mmap_write_lock(h.mm);
      const r = vma_start_write_killable(h.vma[0]!);
      seen.push(typeof r);
      const ret = typeof r === 'number' ? r : yield* r;
      h.mark(`write-locked ${ret} ${vma_is_write_locked(h.vma[0]!)}`);
      mmap_write_unlock(h.mm);
    });
    h.run();
    expect(seen).toEqual(['object']);
    expect(h.marks).toEqual([['W', 'write-locked 0 true', 10]]);
  });

  it('without mmap_lock held for write it still throws (the path checks)', () => {
    const h = lanes();
    let err = '';
    h.lane('W', 0, function* () {
      yield* mmap_read_lock(h.mm);
      try {
        const r = vma_start_write_killable(h.vma[0]!);
        if (typeof r !== 'number') yield* r;
      } catch (e) {
        err = (e as Error).message;
      }
      mmap_read_unlock(h.mm);
    });
    h.run();
    expect(err).toMatch(/does not hold mmap_lock for write/);
  });
});
