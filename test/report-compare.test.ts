import { describe, expect, it } from 'vitest';
import { compare, median, relativeSpread, summarise } from '../src/report/index.js';
import { fakeRun } from './report-fixtures.js';

describe('seed aggregation', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it('spread is half the min-max range over the median; null for one seed', () => {
    expect(relativeSpread(summarise([90, 100, 110]))).toBeCloseTo(0.1, 12);
    expect(relativeSpread(summarise([5]))).toBeNull();
    expect(relativeSpread(summarise([0, 0]))).toBe(0);
    expect(relativeSpread(summarise([0, 0, 4]))).toBeNull();
  });

  it('groups by combination, sorts runs by seed, and takes ratios to mainline with the same fork', () => {
    const cmp = compare([
      fakeRun('hold-io', 2, 3), fakeRun('mainline', 1, 1), fakeRun('hold-io', 1, 2), fakeRun('mainline', 2, 1.5),
      fakeRun('hold-io', 1, 2, { fork: 'fork-lock-none' }),
    ]);
    expect(cmp.combinations.map((c) => [c.fault, c.fork, c.runs.map((r) => r.seed)])).toEqual([
      ['hold-io', 'fork-lock-all', [1, 2]], ['mainline', 'fork-lock-all', [1, 2]], ['hold-io', 'fork-lock-none', [1]],
    ]);
    const [hold, main, none] = cmp.combinations;
    // UI fault p99 = 5 * 2us * k: hold-io k = 2, 3 -> median 25us; mainline k = 1, 1.5 -> 12.5us.
    expect(hold!.summary['ops.USER_INTERACTIVE.fault.p99']).toEqual({ median: 25_000, min: 20_000, max: 30_000, seeds: 2, ratio: 2 });
    expect(main!.summary['ops.USER_INTERACTIVE.fault.p99']).toEqual({ median: 12_500, min: 10_000, max: 15_000, seeds: 2, ratio: 1 });
    // No mainline with fork-lock-none: no ratio.
    expect(none!.summary['ops.USER_INTERACTIVE.fault.p99']).toEqual({ median: 20_000, min: 20_000, max: 20_000, seeds: 1 });
    // Mainline median 0 (FAULT_SIGSEGV): no ratio.
    expect(hold!.summary['vm_events.FAULT_SIGSEGV']!.ratio).toBeUndefined();
  });

  it('a figure missing in some seeds is summarised over the seeds that have it', () => {
    const cmp = compare([fakeRun('mainline', 1, 1, { writeWaits: 0 }), fakeRun('mainline', 2, 1, { writeWaits: 3 })]);
    const s = cmp.combinations[0]!.summary;
    expect(s['mmap_lock.write_wait.count']).toMatchObject({ median: 1.5, seeds: 2 });
    expect(s['mmap_lock.write_wait.p99']).toMatchObject({ median: 1_000_000, seeds: 1 });
  });
});
