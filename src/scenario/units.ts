/**
 * Durations in scenario files: a number is nanoseconds; a string carries a
 * unit ("500ns", "17.7us", "17.7µs", "2ms", "1.5s"). Both become integer ns
 * (Math.round).
 */

/** Nanoseconds per unit. `µ` is accepted as both U+00B5 (micro sign) and U+03BC (Greek mu). */
export const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
};

/** Regular expression (source) a duration string must match; used by the JSON Schema. */
export const DURATION_PATTERN = '^\\s*([0-9]+(\\.[0-9]*)?|\\.[0-9]+)\\s*(ns|us|µs|μs|ms|s)\\s*$';
const DURATION_RE = new RegExp(DURATION_PATTERN, 'u');
const UNIT_LIST = 'ns, us (or µs), ms, s';

/**
 * Largest duration anywhere in a scenario: 10,000 s (1e13 ns). Simulated
 * times are sums of durations kept as exact integers in doubles (below
 * 2^53 ns, about 104 days); this bound leaves room for every sum a run makes.
 */
export const MAX_DURATION_NS = 1e13;

/**
 * Why `v` is not a valid duration, or null if it is one. The text completes
 * "invalid duration <v>: ...".
 */
export function durationProblem(v: unknown): string | null {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'invalid duration NaN: expected a number of ns or a string such as "17.7us"';
    if (!Number.isFinite(v)) return `invalid duration ${v}: must be finite`;
    if (v < 0) return `invalid duration ${v}: must not be negative`;
    if (Math.round(v) > MAX_DURATION_NS) return `invalid duration ${v}: too large (at most 10000s)`;
    return null;
  }
  if (typeof v !== 'string') return null;
  const q = JSON.stringify(v);
  const s = v.trim();
  if (s === '') return 'invalid duration "": expected a number of ns or a string such as "17.7us"';
  if (/^-/.test(s)) return `invalid duration ${q}: must not be negative`;
  if (/^(nan|[+]?inf(inity)?)$/i.test(s)) return `invalid duration ${q}: expected a finite number with a unit (${UNIT_LIST})`;
  const m = /^([0-9.]*)\s*(.*)$/u.exec(s)!;
  const num = m[1]!, unit = m[2]!;
  if (num === '' || !/^([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(num)) {
    return `invalid duration ${q}: expected a number followed by a unit (${UNIT_LIST}), e.g. "17.7us"`;
  }
  if (unit === '') {
    return `invalid duration ${q}: missing unit (${UNIT_LIST}); write a bare number, not a string, for nanoseconds`;
  }
  if (!(unit in DURATION_UNITS)) return `invalid duration ${q}: unknown unit '${unit}' (expected ${UNIT_LIST})`;
  const ns = Math.round(Number(num) * DURATION_UNITS[unit]!);
  if (!Number.isSafeInteger(ns) || ns > MAX_DURATION_NS) return `invalid duration ${q}: too large (at most 10000s)`;
  if (!DURATION_RE.test(v)) return `invalid duration ${q}: expected a number followed by a unit (${UNIT_LIST})`;
  return null;
}

/** Thrown by `parseDuration` on bad input; the message is one line. */
export class DurationError extends Error {
  override readonly name = 'DurationError';
}

/** Parses a duration (number = ns, or string with unit) to integer nanoseconds. */
export function parseDuration(v: number | string): number {
  if (typeof v !== 'number' && typeof v !== 'string') {
    throw new DurationError(`invalid duration: expected a number of ns or a string such as "17.7us", got ${typeof v}`);
  }
  const problem = durationProblem(v);
  if (problem !== null) throw new DurationError(problem);
  if (typeof v === 'number') return Math.round(v);
  const m = /^([0-9.]+)\s*(\S+)$/u.exec(v.trim())!;
  return Math.round(Number(m[1]) * DURATION_UNITS[m[2]!]!);
}

/** Formats integer ns with the largest unit that keeps it readable: 17700 -> "17.7us". */
export function formatDuration(ns: number): string {
  const abs = Math.abs(ns);
  const fmt = (x: number) => String(Number(x.toPrecision(6)));
  if (abs >= 1e9) return `${fmt(ns / 1e9)}s`;
  if (abs >= 1e6) return `${fmt(ns / 1e6)}ms`;
  if (abs >= 1e3) return `${fmt(ns / 1e3)}us`;
  return `${ns}ns`;
}
