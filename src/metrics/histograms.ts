/**
 * Latency recording. Every percentile comes from an HdrHistogram with 3
 * significant decimal digits (CompactHdr, hdr.ts: hdr-histogram-js's layout
 * and percentiles in a sparse form for the hot loop); the count, total, mean
 * and max are kept exactly beside it.
 */
import { doubleFields } from '../model/shapes.js';
import { CompactHdr } from './hdr.js';
import { LATENCY_CDF_PERCENTILES, WAIT_DECADE_BOUNDS, type DurationStats, type LatencyStats } from './types.js';

const LATENCY_PERCENTILES = [50, 90, 99, 99.9] as const;

/**
 * A distribution of non-negative durations in ns (integers; values of hours
 * are fine). Allocates its histogram on first use.
 */
export class Distribution {
  private h: CompactHdr | null = null;
  count = 0;
  total = 0;
  max = 0;
  /** Exact counts per decade bucket (WAIT_DECADE_BOUNDS). */
  private readonly byDecade: number[] = new Array<number>(WAIT_DECADE_BOUNDS.length + 1).fill(0);

  constructor() {
    // The sum of ns passes 2^31 in a long run ("overflow" deopt of record, then a new map): a double from the start.
    doubleFields(this, ['total']);
  }

  record(ns: number): void {
    const v = Math.max(0, Math.round(ns));
    if (this.h === null) this.h = new CompactHdr();
    this.h.record(v);
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
    return this.h === null ? 0 : Math.min(this.h.valueAt(p), this.max);
  }

  /** percentile() at each of `ps` (ascending), in one pass over the histogram. */
  percentiles(ps: readonly number[]): number[] {
    if (this.h === null) return ps.map(() => 0);
    return this.h.valuesAt(ps).map((v) => Math.min(v, this.max));
  }

  latency(): LatencyStats | null {
    if (this.count === 0) return null;
    const [p50, p90, p99, p999] = this.percentiles(LATENCY_PERCENTILES);
    return { count: this.count, mean: this.total / this.count, p50: p50!, p90: p90!, p99: p99!, p999: p999!, max: this.max };
  }

  /** Values at LATENCY_CDF_PERCENTILES (the latency CDF for plots); null when empty. */
  cdf(): number[] | null {
    if (this.count === 0) return null;
    return this.percentiles(LATENCY_CDF_PERCENTILES);
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
