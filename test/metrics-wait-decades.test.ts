/**
 * mmap_lock waits in decade buckets (docs/metrics.md, "mmap_lock"): exact
 * counts, bucket edges inclusive below, and the same waits as the
 * down_read / down_write wait figures.
 */
import { describe, expect, it } from 'vitest';
import { Distribution, measure, WAIT_DECADE_BOUNDS, WAIT_DECADE_LABELS } from '../src/metrics/index.js';
import { loadScenario } from '../src/scenario/index.js';

describe('mmap_lock wait decades', () => {
  it('a value equal to a bound goes to the bucket above it', () => {
    const d = new Distribution();
    for (const v of [0, 999, 1000, 9999, 10_000, 99_999_999, 100_000_000, 5e12]) d.record(v);
    expect(WAIT_DECADE_LABELS).toHaveLength(WAIT_DECADE_BOUNDS.length + 1);
    expect(d.decades()).toEqual([2, 2, 1, 0, 0, 1, 2]);
  });

  it('a run counts every down_read and down_write wait once', () => {
    const sc = loadScenario('android-app');
    sc.duration = 3_000_000_000;
    const m = measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    const dec = m.mmapLock.waitDecades!;
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    expect(m.mmapLock.readWait.count).toBeGreaterThan(0);
    expect(sum(dec.read)).toBe(m.mmapLock.readWait.count);
    expect(sum(dec.write)).toBe(m.mmapLock.writeWait.count);
    // The longest read wait is in the highest non-empty bucket.
    const top = dec.read.reduce((last, n, i) => (n > 0 ? i : last), -1);
    const max = m.mmapLock.readWait.max!;
    expect(max).toBeGreaterThanOrEqual(top === 0 ? 0 : WAIT_DECADE_BOUNDS[top - 1]!);
    if (top < WAIT_DECADE_BOUNDS.length) expect(max).toBeLessThan(WAIT_DECADE_BOUNDS[top]!);
  }, 60_000);
});
