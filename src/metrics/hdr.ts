/**
 * A compact HdrHistogram for the simulator's hot loop: the layout and the
 * percentile rule of hdr-histogram-js (`build({ lowestDiscernibleValue: 1,
 * numberOfSignificantValueDigits: 3, autoResize: true })`), so every
 * percentile is the value that library gives for the same samples
 * (test/hdr.test.ts checks it against the library on random samples), but
 * stored sparsely and cheaper to fill:
 *
 * - Bucket 0 holds values 0..2047 at unit resolution; bucket b >= 1 holds
 *   [2^(b+10), 2^(b+11)) in 1024 sub-buckets of width 2^b, as in
 *   HdrHistogram. A bucket's counts (a Uint32Array of 2048 or 1024 entries,
 *   8 or 4 kB) exist only once a value lands in it. The library instead
 *   keeps one Float64Array from 0 up to the largest value seen (about 140 kB
 *   for a 100 ms maximum) and copies it each time it grows.
 * - The bucket of a value below 2^31 comes from Math.clz32 and a shift
 *   instead of Math.log2, a division and Math.pow.
 * - Several percentiles are read in one pass over the counts (`cdf`).
 */
import { objectArray } from '../model/shapes.js';

/** Sub-buckets per bucket above bucket 0 (HdrHistogram's subBucketHalfCount for 3 digits). */
const HALF = 1024;
/** log2(HALF). */
const HALF_MAG = 10;
const U32_MAX = 0xffffffff;

type Counts = Uint32Array | Float64Array;

export class CompactHdr {
  /** counts[b]: bucket b's sub-bucket counts, or undefined while empty. */
  private readonly counts: Array<Counts | undefined> = objectArray();
  total = 0;

  /** Record one non-negative integer value. */
  record(v: number): void {
    let b: number, j: number;
    if (v < 2 * HALF) {
      b = 0;
      j = v;
    } else if (v < 0x80000000) {
      b = 31 - Math.clz32(v) - HALF_MAG;
      j = (v >>> b) - HALF;
    } else {
      // HdrHistogram's own arithmetic (JsHistogram.getBucketIndex / getSubBucketIndex) for large values.
      b = Math.max(Math.floor(Math.log2(v)) - HALF_MAG, 0);
      j = Math.floor(v / Math.pow(2, b)) - HALF;
    }
    let c = this.counts[b];
    if (c === undefined) {
      while (this.counts.length < b) this.counts.push(undefined);
      c = this.counts[b] = new Uint32Array(b === 0 ? 2 * HALF : HALF);
    }
    if (c[j] === U32_MAX && c instanceof Uint32Array) c = this.counts[b] = Float64Array.from(c);
    c[j]!++;
    this.total++;
  }

  /**
   * The value at each percentile of `ps` (ascending, each in (0, 100]):
   * HdrHistogram's getValueAtPercentile, the highest value equivalent to the
   * recorded value at that rank. 0 when empty.
   */
  valuesAt(ps: readonly number[]): number[] {
    const out = new Array<number>(ps.length).fill(0);
    if (this.total === 0 || ps.length === 0) return out;
    let k = 0;
    let want = rank(ps[0]!, this.total);
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      const c = this.counts[b];
      if (c === undefined) continue;
      for (let j = 0; j < c.length; j++) {
        const n = c[j]!;
        if (n === 0) continue;
        seen += n;
        while (seen >= want) {
          out[k] = b === 0 ? j : (j + HALF + 1) * Math.pow(2, b) - 1;
          if (++k === ps.length) return out;
          want = rank(ps[k]!, this.total);
        }
      }
    }
    return out;
  }

  valueAt(p: number): number {
    return this.valuesAt([p])[0]!;
  }
}

/** HdrHistogram's count at a percentile: ceil of the exact count less one ulp, at least 1. */
function rank(p: number, total: number): number {
  const fp = (Math.min(p, 100) / 100) * total;
  return Math.max(Math.ceil(fp - ulp(fp)), 1);
}

/** hdr-histogram-js's ulp (dist/ulp.js), for the same rounding. */
function ulp(x: number): number {
  return Math.pow(2, Math.floor(Math.log2(x)) - 52);
}
