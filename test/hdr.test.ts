/**
 * CompactHdr (src/metrics/hdr.ts) gives exactly hdr-histogram-js's
 * percentiles (3 significant digits, lowest discernible value 1, auto-resize,
 * 64-bit counts: the histogram faultline used before) for the same samples.
 */
import fc from 'fast-check';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { CompactHdr } from '../src/metrics/hdr.js';
import { Distribution } from '../src/metrics/histograms.js';
import { LATENCY_CDF_PERCENTILES } from '../src/metrics/types.js';

const PS = [...new Set([...LATENCY_CDF_PERCENTILES, 0.001, 25, 50, 75, 90, 99, 99.9, 99.999])].sort((a, b) => a - b);

function reference(values: readonly number[]): number[] {
  const h = hdr.build({ bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  for (const v of values) h.recordValue(v);
  return PS.map((p) => h.getValueAtPercentile(p));
}

function compact(values: readonly number[]): CompactHdr {
  const h = new CompactHdr();
  for (const v of values) h.record(v);
  return h;
}

/** Values of every magnitude, powers of two and their neighbours included. */
const value = fc.oneof(
  fc.integer({ min: 0, max: 4096 }),
  fc.integer({ min: 0, max: 10_000_000 }),
  fc.integer({ min: 0, max: 2 ** 40 }),
  fc.tuple(fc.integer({ min: 1, max: 45 }), fc.integer({ min: -2, max: 2 })).map(([k, d]) => Math.max(0, 2 ** k + d)),
);

describe('CompactHdr', () => {
  it('matches hdr-histogram-js at every percentile, for any samples', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), (values) => {
      const h = compact(values);
      expect(h.total).toBe(values.length);
      expect(h.valuesAt(PS)).toEqual(reference(values));
      expect(PS.map((p) => h.valueAt(p))).toEqual(reference(values));
    }), { numRuns: 300 });
  });

  it('matches on a long run of latencies (a million samples, a heavy tail)', () => {
    const values: number[] = [];
    let x = 12345;
    for (let i = 0; i < 1_000_000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      values.push(Math.round(1000 * Math.exp((x / 2 ** 31) * 12)));
    }
    expect(compact(values).valuesAt(PS)).toEqual(reference(values));
  });

  it('hand-checked values: unit resolution below 2048, then 3 significant digits', () => {
    const h = compact([5, 2047, 2048, 2049, 1_000_000]);
    // 2049 shares 2048's sub-bucket (width 2); 1,000,000 lies in [999,424, 1,000,448) (width 512).
    expect(h.valuesAt([20, 40, 60, 80, 100])).toEqual([5, 2047, 2049, 2049, 1_000_447]);
    expect(new CompactHdr().valuesAt([50, 99])).toEqual([0, 0]);
  });
});

describe('Distribution', () => {
  it('caps percentiles at the exact maximum and reads them in one pass', () => {
    const d = new Distribution();
    for (const v of [3, 1_000_000, 1_000_001.4]) d.record(v);
    expect(d.latency()).toEqual({ count: 3, mean: (3 + 1_000_000 + 1_000_001) / 3, p50: 1_000_001, p90: 1_000_001, p99: 1_000_001, p999: 1_000_001, max: 1_000_001 });
    expect(d.percentiles([10, 50])).toEqual([3, 1_000_001]);
    expect(d.cdf()).toHaveLength(LATENCY_CDF_PERCENTILES.length);
  });
});
