/** Resolving the pieces every section uses: durations, latency laws, prose. */
import type { LawInput } from './schema.js';
import type { Law } from './types.js';
import { parseDuration } from './units.js';
import type { Path, RawIssue } from './issues.js';

export function normaliseParagraph(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

export function dur(v: number | string): number {
  return parseDuration(v);
}

export function resolveLaw(v: LawInput, path: Path, issues: RawIssue[]): Law {
  if (typeof v === 'number' || typeof v === 'string') return { law: 'constant', value: dur(v) };
  switch (v.law) {
    case 'constant':
      return { law: 'constant', value: dur(v.value) };
    case 'exponential':
      return { law: 'exponential', mean: dur(v.mean) };
    case 'lognormal':
      return { law: 'lognormal', median: dur(v.median), sigma: v.sigma };
    case 'uniform': {
      const min = dur(v.min), max = dur(v.max);
      if (max < min) issues.push({ path: [...path, 'max'], message: `must be >= min (${String(v.min)}), got ${String(v.max)}` });
      return { law: 'uniform', min, max };
    }
    case 'empirical':
      return { law: 'empirical', points: resolvePoints(v.points, [...path, 'points'], issues) };
  }
}

function resolvePoints(points: Extract<LawInput, { law: 'empirical' }>['points'], path: Path, issues: RawIssue[]): Array<[number, number]> {
  const pts: Array<{ p: number; ns: number; at: Path; label: string }> = [];
  if (Array.isArray(points)) {
    points.forEach(([p, d], i) => {
      if (p < 0 || p > 100) issues.push({ path: [...path, i, 0], message: `expected a percentile from 0 to 100, got ${p}` });
      pts.push({ p, ns: dur(d), at: [...path, i], label: `[${p}, ${String(d)}]` });
    });
    for (let i = 1; i < pts.length; i++) {
      if (pts[i]!.p <= pts[i - 1]!.p) {
        issues.push({ path: pts[i]!.at, message: `percentiles must increase: ${pts[i]!.p} comes after ${pts[i - 1]!.p}` });
        return [];
      }
    }
  } else {
    const keys = Object.keys(points);
    if (keys.length === 0) {
      issues.push({ path, message: 'must not be empty (expected pN: duration entries ending with max)' });
      return [];
    }
    for (const k of keys) {
      const p = k === 'max' ? 100 : Number(k.slice(1));
      if (!(p >= 0 && p <= 100)) {
        issues.push({ path: [...path, k], message: `percentile ${k.slice(1)} is out of range (expected pN with N from 0 to 100, or max)`, atKey: true });
        continue;
      }
      const dup = pts.find((x) => x.p === p);
      if (dup !== undefined) {
        issues.push({ path: [...path, k], message: `same percentile as ${dup.label.split(' ')[0]}`, atKey: true });
        continue;
      }
      pts.push({ p, ns: dur(points[k]!), at: [...path, k], label: `${k} (${String(points[k])})` });
    }
    pts.sort((a, b) => a.p - b.p);
  }
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!, b = pts[i]!;
    if (b.ns < a.ns) {
      issues.push({ path: b.at, message: `empirical points must not decrease: ${b.label} is below ${a.label}` });
      return [];
    }
  }
  const last = pts[pts.length - 1];
  if (last !== undefined && last.p !== 100) {
    issues.push({ path, message: `the last point must be p100 (write it as max), but the highest is ${last.label.split(' ')[0]}` });
  }
  return pts.map((x) => [x.p, x.ns]);
}
