/**
 * Latency recording. Every percentile comes from an HdrHistogram
 * (hdr-histogram-js) with 3 significant decimal digits; the count, total, mean
 * and max are kept exactly beside it.
 */
import * as hdr from 'hdr-histogram-js';
import { LATENCY_CDF_PERCENTILES, WAIT_DECADE_BOUNDS, type DurationStats, type LatencyStats } from './types.js';

/**
 * 64-bit count buckets and auto-resize: values are integer ns and may exceed
 * 2^32 (a stuck wait of hours); the histogram grows to the largest value seen.
 */
function newHistogram(): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 64,
    autoResize: true,
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

/** A distribution of non-negative durations in ns. Allocates its histogram on first use. */
export class Distribution {
  private h: hdr.Histogram | null = null;
  count = 0;
  total = 0;
  max = 0;
  /** Exact counts per decade bucket (WAIT_DECADE_BOUNDS). */
  private readonly byDecade: number[] = new Array<number>(WAIT_DECADE_BOUNDS.length + 1).fill(0);

  record(ns: number): void {
    const v = Math.max(0, Math.round(ns));
    if (this.h === null) this.h = newHistogram();
    this.h.recordValue(v);
    let b = 0;
    while (b < WAIT_DECADE_BOUNDS.length && v >= WAIT_DECADE_BOUNDS[b]!) b++;
    this.byDecade[b]!++;
    this.count++;
    this.total += v;
    if (v > this.max) this.max = v;
  }

  /**
   * HdrHistogram value at `p` percent (0 < p <= 100): the highest value
   * equivalent (within 3 significant digits) to the recorded value at that
   * rank, capped at the exact maximum. 0 when empty.
   */
  percentile(p: number): number {
    return this.h === null ? 0 : Math.min(this.h.getValueAtPercentile(p), this.max);
  }

  latency(): LatencyStats | null {
    if (this.count === 0) return null;
    return {
      count: this.count,
      mean: this.total / this.count,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      p999: this.percentile(99.9),
      max: this.max,
    };
  }

  /** Values at LATENCY_CDF_PERCENTILES (the latency CDF for plots); null when empty. */
  cdf(): number[] | null {
    if (this.count === 0) return null;
    return LATENCY_CDF_PERCENTILES.map((p) => this.percentile(p));
  }

  /** Exact number of values per decade bucket: [0, 1us), [1us, 10us), ..., >= 100ms. */
  decades(): number[] {
    return [...this.byDecade];
  }

  durations(): DurationStats {
    if (this.count === 0) return { count: 0, total: 0, p99: null, max: null };
    return { count: this.count, total: this.total, p99: this.percentile(99), max: this.max };
  }
}
