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

/** One row per probe bench that ran (of `specs`, HOST_PROBE by default), against `profile.measurements`. */
export function driftRows(profile: CostProfile, probe: ReadonlyMap<string, BenchSamples>, specs: typeof HOST_PROBE = HOST_PROBE): DriftRow[] {
  const rows: DriftRow[] = [];
  for (const p of specs) {
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

/**
 * The per-run probe (`calibrate --validate`, docs/calibration.md "The host's
 * speed drifts"): the host's slow episodes last seconds to hours (12:30 UTC:
 * two fits 75 s apart agree within 12 %, the probe between them is 1.30-1.49x
 * slower; anon-write benches back to back move 1.47 -> 2.10 us from one
 * second to the next), so one probe before all the real runs cannot say which
 * run was slow. Two short benches of the suite (a few hundred ms, no block
 * device) run before each real run; a run whose probe is outside DRIFT_BAND
 * can be repeated (`--drift-retry N`) and only in-band runs kept.
 */
export const RUN_PROBE: readonly string[] = ['getppid', 'anon-write'];

/** One attempt of one real run: its probe and what became of it. */
export interface RunProbe {
  /** The real run (0-based) of the scenario, and the attempt at it (0: the first). */
  run: number;
  attempt: number;
  /** The probe's rows (median now against the profile's). */
  probe: DriftRow[];
  /** How far the probe's worst ratio is outside the band (0: in band; null: nothing to compare with). */
  excess: number | null;
  /** Whether the attempt's real run is one of the document's runs (false: dropped, repeated). */
  kept: boolean;
}

/** What `calibrate --validate` adds to each `faultline real --json` document it records. */
export interface ValidateProbeDoc {
  /** The probe's benches (RUN_PROBE) and the band (DRIFT_BAND). */
  benches: string[];
  band: number;
  /** `--drift-retry`: the attempts allowed after the first. */
  retries: number;
  attempts: RunProbe[];
}

/** Rows of the run probe (RUN_PROBE) against the profile, as driftRows. */
export function runProbeRows(profile: CostProfile, probe: ReadonlyMap<string, BenchSamples>): DriftRow[] {
  return driftRows(profile, probe, HOST_PROBE.filter((p) => RUN_PROBE.includes(p.key)));
}

/**
 * How far the probe is outside the band: max over its rows of |ratio - 1| -
 * DRIFT_BAND, 0 when every ratio is within it, null when no row has a ratio
 * (nothing to judge by: the run is kept).
 */
export function probeExcess(rows: readonly DriftRow[]): number | null {
  const rs = rows.map((r) => r.ratio).filter((r): r is number => r !== null);
  if (rs.length === 0) return null;
  const worst = Math.max(...rs.map((r) => Math.abs(r - 1)));
  const over = worst - DRIFT_BAND;
  return over > 1e-9 ? over : 0; // the band's edge is in it (rounding: as validate.ts's verdicts)
}

/** Whether an attempt with this excess is repeated: outside the band and attempts left. */
export function shouldRetry(excess: number | null, attempt: number, retries: number): boolean {
  return excess !== null && excess > 0 && attempt < retries;
}

/**
 * The attempt kept of a run's attempts (their excesses, in order): the first
 * in band (or unjudged), else, all outside the band, the one nearest it (the
 * earliest on a tie).
 */
export function keptAttempt(excesses: ReadonlyArray<number | null>): number {
  const ok = excesses.findIndex((e) => e === null || e === 0);
  if (ok >= 0) return ok;
  let best = 0;
  excesses.forEach((e, i) => { if ((e ?? 0) < (excesses[best] ?? 0)) best = i; });
  return best;
}

/** Markdown: one line per attempt of the scenario's real runs, for the validation report. */
export function renderRunProbes(p: ValidateProbeDoc): string {
  const dropped = p.attempts.filter((a) => !a.kept);
  const keptOut = p.attempts.filter((a) => a.kept && a.excess !== null && a.excess > 0);
  const line = (a: RunProbe): string => {
    const ratios = a.probe.map((r) => `${r.what.replace(/ \(.*\)$/, '')} ${r.ratio === null ? '-' : r.ratio.toFixed(2)}`).join(', ');
    const band = a.excess === null ? 'not judged' : a.excess > 0 ? '**outside the band**' : 'in band';
    return `- run ${a.run + 1}${p.retries > 0 || a.attempt > 0 ? `, attempt ${a.attempt + 1}` : ''}: ${ratios} — ${band}, ${a.kept ? 'kept' : 'dropped (repeated)'}`;
  };
  return [
    `Host probe before each real run (${p.benches.join(', ')}; median now / profile, band ±${Math.round(p.band * 100)} %, \`--drift-retry ${p.retries}\`): ${p.attempts.length} attempt(s), ${dropped.length} dropped${keptOut.length > 0 ? `, **${keptOut.length} kept outside the band** (no in-band attempt left)` : ''}.`,
    '',
    ...p.attempts.map(line),
    '',
  ].join('\n');
}

/** `faultline real`'s per-run check (RealOptions.gate): see gatedRun. */
export interface RunGate {
  /** Before each attempt: how far the host is outside its band (0 in band, null not judged). */
  before: (run: number, attempt: number) => number | null;
  /** Attempts allowed after the first, for a run whose check is outside the band. */
  retries: number;
  /** Which attempt of the run was kept. */
  onKept: (run: number, attempt: number) => void;
}

/**
 * One real run under a gate: check, run, and while the check was outside the
 * band and retries are left, check and run again; the kept attempt is
 * keptAttempt's (the first in band, else the nearest). Without a gate, one
 * attempt.
 */
export async function gatedRun<T>(run: number, gate: RunGate | undefined, attempt: (a: number) => Promise<T>, log: (m: string) => void): Promise<T> {
  const results: T[] = [];
  const excesses: Array<number | null> = [];
  for (let a = 0; ; a++) {
    const excess = gate === undefined ? null : gate.before(run, a);
    results.push(await attempt(a));
    excesses.push(excess);
    if (gate === undefined || !shouldRetry(excess, a, gate.retries)) break;
    log(`run ${run + 1}: the host probe before it was outside the band: run again`);
  }
  const k = keptAttempt(excesses);
  gate?.onKept(run, k);
  return results[k]!;
}
