/** Aggregation over seeds. */

export interface FigureSummary {
  /** Median over the seeds that have the figure (mean of the two middle values for an even count). */
  median: number;
  min: number;
  max: number;
  /** Number of seeds that have the figure. */
  seeds: number;
  /** median / median of the `mainline` combination with the same fork strategy; absent when that is not run or is 0. */
  ratio?: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarise(values: readonly number[]): FigureSummary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), seeds: values.length };
}

/**
 * Relative spread: half the min-max range as a fraction of the median.
 * null with one seed, or when the median is 0 and the values differ.
 */
export function relativeSpread(s: FigureSummary): number | null {
  if (s.seeds < 2) return null;
  const half = (s.max - s.min) / 2;
  if (half === 0) return 0;
  return s.median === 0 ? null : half / Math.abs(s.median);
}

/** Ratio of medians; undefined when the reference is absent or 0. */
export function ratioTo(s: FigureSummary, ref: FigureSummary | undefined): number | undefined {
  if (ref === undefined || ref.median === 0) return undefined;
  return s.median / ref.median;
}
