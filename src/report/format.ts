/** Number formatting for the plain-text report. */
import { basename, isAbsolute, relative } from 'node:path';

const UNITS: Array<[string, number]> = [['us', 1e3], ['ms', 1e6], ['s', 1e9]];

/**
 * Simulated nanoseconds with 3 significant digits and the largest unit that
 * keeps the number at or above 1: 812ns, 17.7us, 1.23ms, 2.40s (and 3600s).
 */
export function formatNs(ns: number): string {
  if (!Number.isFinite(ns)) return String(ns);
  const sign = ns < 0 ? '-' : '';
  const a = Math.abs(ns);
  if (Math.round(a) < 1000) return `${sign}${Math.round(a)}ns`;
  let unit = 'us', scale = 1e3;
  for (const [u, s] of UNITS) {
    if (a >= s * 0.9995) { unit = u; scale = s; }
  }
  const v = a / scale;
  const text = v >= 999.5 ? String(Math.round(v)) : v.toPrecision(3);
  return `${sign}${text}${unit}`;
}

/** A count or a median of counts: integers as is, halves with one decimal. */
export function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** A fraction as a percentage with one decimal: 0.1234 -> 12.3%. */
export function formatPercent(f: number): string {
  return `${(f * 100).toFixed(1)}%`;
}

/** Ratio to mainline: 0.52x, 12.3x, 150x. */
export function formatRatio(r: number): string {
  if (r >= 99.95) return `${Math.round(r)}x`;
  if (r >= 9.995) return `${r.toFixed(1)}x`;
  return `${r.toFixed(2)}x`;
}

/** Spread as ±percent of the median, whole percent (±<1% below 0.5%). */
export function formatSpread(rel: number): string {
  const pct = rel * 100;
  if (pct > 0 && pct < 0.5) return '±<1%';
  return `±${Math.round(pct)}%`;
}

/**
 * Labels for the values of a swept parameter: 4 significant digits
 * (1.41421356237 -> 1.414, 5.65685424949 -> 5.657), more only where 4 would
 * make two values of the list print alike.
 */
export function formatParamValues(values: readonly number[]): string[] {
  for (let p = 4; p < 17; p++) {
    const out = values.map((v) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(p)))));
    if (new Set(out).size === new Set(values).size) return out;
  }
  return values.map(String);
}

/**
 * A scenario path as reports show it: relative to `cwd` when it lies under
 * it, else its file name, so a report or mail never carries the user's
 * directory layout (errors keep the path as given).
 */
export function shareablePath(p: string, cwd: string = process.cwd()): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(cwd, p);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : basename(p);
}

/** `1 task`, `2 tasks`: a count with its noun in the right number (plural: noun + s unless given). */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : many}`;
}

/** A figure in its unit: `ns` as formatNs, `share` as a percentage, `count` as formatCount. */
export function formatValue(v: number, unit: 'ns' | 'count' | 'share'): string {
  return unit === 'ns' ? formatNs(v) : unit === 'share' ? formatPercent(v) : formatCount(v);
}
