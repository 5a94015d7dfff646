/**
 * Has the host changed since its profile was recorded? (`calibrate
 * --validate`, docs/calibration.md "The host's speed drifts".)
 *
 * The held-out comparison holds the model's costs fixed at the profile's
 * recording and measures the kernel later. On the calibration host (a VM)
 * the same idle machine ran the same faults 15-30 % slower at 03:32 and
 * 06:12 UTC than at 08:27 and 09:30 (recordings/validate/validate6..9), so
 * a miss can be the host's drift, not the model's. Before its real runs
 * `calibrate --validate` therefore re-runs four short benches of the suite
 * (HOST_PROBE) and prints each one's median beside the same figure in the
 * profile's `measurements`: a ratio far from 1 says the profile no longer
 * describes the host, whatever the model does.
 */
import type { BenchSamples } from './bench-output.js';
import { spreadOf } from './fit.js';
import type { CostProfile } from './profile.js';

/** The probe's benches (keys of SUITE) and the profile measurement each is compared with. */
export const HOST_PROBE: ReadonlyArray<{ key: string; measurement: string; what: string }> = [
  { key: 'getppid', measurement: 'syscall_floor', what: 'syscall floor (getppid)' },
  { key: 'anon-write', measurement: 'anon_write_fault', what: 'anonymous write fault' },
  { key: 'minor-cached', measurement: 'cached_fault', what: 'page-cache hit fault' },
  { key: 'major', measurement: 'major_fault', what: 'page-cache miss fault (zram)' },
];

export interface DriftRow {
  what: string;
  /** Median now, ns. */
  now: number;
  /** The profile's median, ns (null: the profile has no such measurement). */
  profile: number | null;
  ratio: number | null;
}

/** One row per probe bench that ran, against `profile.measurements`. */
export function driftRows(profile: CostProfile, probe: ReadonlyMap<string, BenchSamples>): DriftRow[] {
  const rows: DriftRow[] = [];
  for (const p of HOST_PROBE) {
    const b = probe.get(p.key);
    const samples = b === undefined ? [] : [...b.samples.values()].flat();
    if (samples.length === 0) continue;
    const now = spreadOf(samples).p50;
    const then = profile.measurements[p.measurement]?.spread?.p50 ?? null;
    rows.push({ what: p.what, now, profile: then, ratio: then === null || then === 0 ? null : now / then });
  }
  return rows;
}

/** Ratios outside this band are flagged: the host is not the profile's host any more. */
export const DRIFT_BAND = 0.15;

/** Markdown: the probe's table, or a line saying no probe was recorded. */
export function renderDrift(rows: readonly DriftRow[] | null, profileName: string, measured: string | undefined): string {
  if (rows === null) return `Host speed against the profile: not probed (recorded before \`calibrate --validate\` probed the host).\n`;
  const off = rows.filter((r) => r.ratio !== null && Math.abs(r.ratio - 1) > DRIFT_BAND);
  const out = [
    `Host speed against the profile \`${profileName}\` (recorded ${measured ?? 'at an unknown time'}): four benches of the suite re-run just before the real runs, median now / median in the profile.${off.length > 0 ? ` **${off.length} off by more than ±${DRIFT_BAND * 100} %: the host is not the one the profile measured; misses may be the host's drift.**` : ''}`,
    '',
    '| bench | now | profile | now / profile |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${fmtUs(r.now)} | ${r.profile === null ? '-' : fmtUs(r.profile)} | ${r.ratio === null ? '-' : r.ratio.toFixed(2)} |`),
    '',
  ];
  return out.join('\n') + '\n';
}

function fmtUs(ns: number): string {
  return ns < 1000 ? `${Math.round(ns)} ns` : `${(ns / 1e3).toPrecision(3)} µs`;
}
