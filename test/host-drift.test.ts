/**
 * calibrate --validate's host probe (src/calibrate/host-drift.ts): four
 * benches of the suite re-run before the real runs, each median beside the
 * profile's measurement of the same bench, flagged beyond ±15 %.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchSamples } from '../src/calibrate/bench-output.js';
import { driftRows, HOST_PROBE, renderDrift } from '../src/calibrate/host-drift.js';
import { loadProfile } from '../src/calibrate/profile.js';
import { CALIB_FIXTURES, calibRecorded } from '../src/calibrate/shipped.js';
import { readRounds, SUITE } from '../src/calibrate/suite.js';
import { repoRoot } from '../src/scenario/index.js';
import { cli } from './cli-helpers.js';

const fixtures = join(repoRoot(), CALIB_FIXTURES);

function scaled(benches: ReadonlyMap<string, BenchSamples>, k: number): Map<string, BenchSamples> {
  return new Map([...benches].map(([key, b]) => [key, { ...b, samples: new Map([...b.samples].map(([x, v]) => [x, v.map((ns) => ns * k)])) }]));
}

describe('host drift: the probe against the profile it validates', { timeout: 20_000 }, () => {
  it('every probe bench is in the suite and its measurement in the shipped profile', () => {
    const profile = loadProfile('calib-host');
    for (const p of HOST_PROBE) {
      expect(SUITE.some((b) => b.key === p.key)).toBe(true);
      expect(profile.measurements[p.measurement]?.spread?.p50).toBeGreaterThan(0);
    }
  });

  it('the profile\'s own recording as the probe: every ratio exactly 1, nothing flagged', () => {
    const rows = driftRows(loadProfile('calib-host'), calibRecorded());
    expect(rows.map((r) => r.what)).toEqual(HOST_PROBE.map((p) => p.what));
    for (const r of rows) expect(r.ratio).toBe(1);
    const text = renderDrift(rows, 'calib-host', '2026-12-07T09:29Z');
    // the pooled p50 of the five rounds' anon-write, 1,772 ns, is the profile's measurement
    expect(text).toContain('| anonymous write fault | 1.77 µs | 1.77 µs | 1.00 |');
    expect(text).not.toContain('off by more than');
  });

  it('a host 30 % slower is flagged, one 10 % slower is not', () => {
    const profile = loadProfile('calib-host');
    const benches = calibRecorded();
    const slow = driftRows(profile, scaled(benches, 1.3));
    for (const r of slow) expect(r.ratio).toBeCloseTo(1.3, 2);
    expect(renderDrift(slow, 'calib-host', 't')).toContain('**4 off by more than ±15 %');
    expect(renderDrift(driftRows(profile, scaled(benches, 1.1)), 'calib-host', 't')).not.toContain('off by more than');
  });

  it('a probe bench that did not run has no row; a profile without the measurement gives "-"', () => {
    const profile = loadProfile('calib-host');
    const only = new Map([...calibRecorded()].filter(([k]) => k === 'anon-write'));
    expect(driftRows(profile, only).map((r) => r.what)).toEqual(['anonymous write fault']);
    const bare = { ...profile, measurements: {} };
    const rows = driftRows(bare, only);
    expect(rows[0]!.profile).toBeNull();
    expect(renderDrift(rows, 'x', undefined)).toContain('| anonymous write fault | 1.77 µs | - | - |');
  });

  it('--from reads DIR/host-probe when it is there, and says "not probed" when it is not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faultline-probe-'));
    cpSync(join(repoRoot(), 'test/fixtures/validate-modes'), dir, { recursive: true });
    const without = await cli('calibrate', '--validate', '--from', dir);
    expect(without.code).toBe(0);
    expect(without.stdout).toContain('Host speed against the profile: not probed');
    const round1 = readRounds([fixtures])[0]!.raw;
    mkdirSync(join(dir, 'host-probe'), { recursive: true });
    for (const p of HOST_PROBE) writeFileSync(join(dir, 'host-probe', `${p.key}.txt`), round1.get(p.key)!);
    const withProbe = await cli('calibrate', '--validate', '--from', dir);
    expect(withProbe.code).toBe(0);
    expect(withProbe.stdout).toContain('Host speed against the profile `calib-host` (recorded 2026-12-07T21:00Z)');
    // round 1's anon-write p50, 1,633 ns, against the five rounds' pooled p50, 1,772 ns: 0.92; round 1's major
    // p50 is the pooled one (6,149 ns)
    expect(withProbe.stdout).toContain('| anonymous write fault | 1.63 µs | 1.77 µs | 0.92 |');
    expect(withProbe.stdout).toContain('| page-cache miss fault (zram) | 6.15 µs | 6.15 µs | 1.00 |');
  });
});
