/**
 * calibrate --validate's probe before each real run (src/calibrate/host-drift.ts
 * RUN_PROBE, gatedRun): recorded probe outputs judged against the profile, the
 * retry decision, which attempt is kept, and the report's lines (no root).
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DRIFT_BAND, gatedRun, keptAttempt, probeExcess, renderRunProbes, RUN_PROBE, runProbeRows, shouldRetry, type RunProbe, type ValidateProbeDoc,
} from '../src/calibrate/host-drift.js';
import { loadProfile } from '../src/calibrate/profile.js';
import { calibRecorded } from '../src/calibrate/shipped.js';
import { readRecorded, SUITE } from '../src/calibrate/suite.js';
import type { RealDoc } from '../src/calibrate/validate.js';
import { repoRoot } from '../src/scenario/index.js';
import { cli } from './cli-helpers.js';

/** validate13 (12:30 UTC): the profile fitted at 12:30:36 (P-refit.yaml: P.yaml refitted by the current code, the same measurements) and the probe recorded at 12:30:57, 1.30-1.49x slower. */
const v13 = join(repoRoot(), 'recordings/validate/validate13');

describe('the probe before each real run', () => {
  it('is two benches of the suite that need no block device', () => {
    expect(RUN_PROBE).toEqual(['getppid', 'anon-write']);
    for (const k of RUN_PROBE) expect(SUITE.find((b) => b.key === k)?.need).toBe('none');
  });

  it('the profile\'s own recording as the probe: in band (excess 0), not retried', () => {
    const rows = runProbeRows(loadProfile('calib-host'), calibRecorded());
    expect(rows.map((r) => [r.what, r.ratio])).toEqual([['syscall floor (getppid)', 1], ['anonymous write fault', 1]]);
    expect(probeExcess(rows)).toBe(0);
    expect(shouldRetry(probeExcess(rows), 0, 3)).toBe(false);
  });

  it('validate13\'s slow probe against the profile fitted a minute before: outside the band, retried while attempts are left', () => {
    const rows = runProbeRows(loadProfile(join(v13, 'P-refit.yaml')), readRecorded(join(v13, 'host-probe')).benches);
    expect(rows.map((r) => r.ratio!.toFixed(2))).toEqual(['1.48', '1.49']);
    const e = probeExcess(rows)!;
    expect(e).toBeCloseTo(Math.max(...rows.map((r) => r.ratio! - 1)) - DRIFT_BAND, 6);
    expect(shouldRetry(e, 0, 0)).toBe(false); // the default: record, never repeat
    expect(shouldRetry(e, 0, 2)).toBe(true);
    expect(shouldRetry(e, 1, 2)).toBe(true);
    expect(shouldRetry(e, 2, 2)).toBe(false);
  });

  it('a ratio just inside the band is in band; no ratio at all is not judged', () => {
    expect(probeExcess([{ what: 'a', now: 114, profile: 100, ratio: 1.14 }, { what: 'b', now: 86, profile: 100, ratio: 0.86 }])).toBe(0);
    expect(probeExcess([{ what: 'a', now: 120, profile: 100, ratio: 1.2 }])).toBeCloseTo(0.05, 9);
    expect(probeExcess([{ what: 'a', now: 80, profile: 100, ratio: 0.8 }])).toBeCloseTo(0.05, 9);
    expect(probeExcess([{ what: 'a', now: 120, profile: null, ratio: null }])).toBeNull();
    expect(probeExcess([])).toBeNull();
    expect(shouldRetry(null, 0, 5)).toBe(false);
  });

  it('keeps the first in-band attempt, else the nearest to the band (the earliest on a tie)', () => {
    expect(keptAttempt([0])).toBe(0);
    expect(keptAttempt([0.3, 0, 0])).toBe(1);
    expect(keptAttempt([0.3, null])).toBe(1);
    expect(keptAttempt([0.3, 0.1, 0.2])).toBe(1);
    expect(keptAttempt([0.2, 0.2])).toBe(0);
  });

  it('gatedRun: an out-of-band attempt is run, dropped and repeated; the in-band one is returned', async () => {
    const excess = [0.3, 0.2, 0, 0.4];
    const seen: string[] = [];
    const kept: Array<[number, number]> = [];
    const r = await gatedRun(4, { before: (run, a) => { seen.push(`probe ${run}.${a}`); return excess[a]!; }, retries: 3, onKept: (run, a) => kept.push([run, a]) },
      (a) => { seen.push(`run ${a}`); return Promise.resolve(`attempt ${a}`); }, () => {});
    expect(r).toBe('attempt 2');
    expect(seen).toEqual(['probe 4.0', 'run 0', 'probe 4.1', 'run 1', 'probe 4.2', 'run 2']);
    expect(kept).toEqual([[4, 2]]);
  });

  it('gatedRun: out of retries, the nearest attempt is kept; without a gate, one attempt', async () => {
    const excess = [0.3, 0.1, 0.2];
    const kept: number[] = [];
    const r = await gatedRun(0, { before: (_, a) => excess[a]!, retries: 2, onKept: (_, a) => kept.push(a) }, (a) => Promise.resolve(a), () => {});
    expect(r).toBe(1);
    expect(kept).toEqual([1]);
    let n = 0;
    expect(await gatedRun(0, undefined, (a) => { n++; return Promise.resolve(a); }, () => {})).toBe(0);
    expect(n).toBe(1);
  });

  it('the report lists every attempt with its ratios, which were dropped and which were kept outside the band', () => {
    const rows = runProbeRows(loadProfile(join(v13, 'P-refit.yaml')), readRecorded(join(v13, 'host-probe')).benches);
    const inBand = runProbeRows(loadProfile('calib-host'), calibRecorded());
    const attempts: RunProbe[] = [
      { run: 0, attempt: 0, probe: rows, excess: probeExcess(rows), kept: false },
      { run: 0, attempt: 1, probe: inBand, excess: 0, kept: true },
      { run: 1, attempt: 0, probe: rows, excess: probeExcess(rows), kept: true },
    ];
    const text = renderRunProbes({ benches: [...RUN_PROBE], band: DRIFT_BAND, retries: 1, attempts });
    expect(text).toBe([
      'Host probe before each real run (getppid, anon-write; median now / profile, band ±15 %, `--drift-retry 1`): 3 attempt(s), 1 dropped, **1 kept outside the band** (no in-band attempt left).',
      '',
      '- run 1, attempt 1: syscall floor 1.48, anonymous write fault 1.49 — **outside the band**, dropped (repeated)',
      '- run 1, attempt 2: syscall floor 1.00, anonymous write fault 1.00 — in band, kept',
      '- run 2, attempt 1: syscall floor 1.48, anonymous write fault 1.49 — **outside the band**, kept',
      '',
    ].join('\n'));
  });

  it('--from prints a document\'s per-run probe; documents without one print as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-runprobe-'));
    cpSync(join(repoRoot(), 'test/fixtures/validate-modes'), dir, { recursive: true });
    const before = await cli('calibrate', '--validate', '--from', dir);
    expect(before.stdout).not.toContain('Host probe before each real run');
    const file = join(dir, 'calib-fork-file.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as RealDoc;
    const inBand = runProbeRows(loadProfile('calib-host'), calibRecorded());
    const probe: ValidateProbeDoc = { benches: [...RUN_PROBE], band: DRIFT_BAND, retries: 0, attempts: doc.real.runs.map((_, run) => ({ run, attempt: 0, probe: inBand, excess: 0, kept: true })) };
    writeFileSync(file, JSON.stringify({ ...doc, validate_probe: probe }));
    const after = await cli('calibrate', '--validate', '--from', dir);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(`Host probe before each real run (getppid, anon-write; median now / profile, band ±15 %, \`--drift-retry 0\`): ${doc.real.runs.length} attempt(s), 0 dropped.`);
    expect(after.stdout).toContain('- run 1: syscall floor 1.00, anonymous write fault 1.00 — in band, kept');
    expect(after.stdout.replace(/Host probe before each real run[^]*?kept\n\n/, '')).toBe(before.stdout);
  });

  it('--drift-retry is refused with recorded documents', async () => {
    const r = await cli('calibrate', '--validate', '--from', join(repoRoot(), 'test/fixtures/validate-modes'), '--drift-retry', '2');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--drift-retry');
  });
});
