/**
 * A fault's refill after a sleep by how long the thread slept (issue 14;
 * docs/calibration.md "The per-state fault p50s"): the fit's per-sleep points
 * from the recorded `*-after-sleep` benches, the profile's `by_sleep` field,
 * and the simulator's interpolation between the points; without points the
 * single value, as before.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bySleep, fitProfile } from '../src/calibrate/fit.js';
import { applyProfile, loadProfile, parseProfile, renderProfile, sleepPoints } from '../src/calibrate/profile.js';
import { calibRecorded } from '../src/calibrate/shipped.js';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject, type Scenario } from '../src/scenario/index.js';
import { interpolateRefill } from '../src/sim/user-fault.js';

const recorded = calibRecorded();
const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0] as [number, number, number], measured: 't' };
const fitted = fitProfile({ name: 'x', description: 'x', host, benches: recorded });

describe('fit: each kind\'s refill at every measured sleep', { timeout: 20_000 }, () => {
  it('the recorded benches: median at S − median back to back, at least 0, in sleep order', () => {
    const by = (c: 'fault_after_sleep' | 'cached_fault_after_sleep' | 'major_fault_after_sleep' | 'swapin_fault_after_sleep') =>
      fitted.costs[c].by_sleep!.map((b) => [b.sleep_us, b.value, b.n]);
    // The five rounds of test/fixtures/calibrate pooled (5 × 1,000 samples per sleep; derived with a
    // nearest-rank median over the fixtures' `s` lines, outside fit.ts).
    expect(by('fault_after_sleep')).toEqual([[1, 720, 5000], [20, 1171, 5000], [100, 1261, 5000], [300, 2022, 5000]]);
    // The page-cache hit is slower back to back (the bench zaps the mapping before each touch): 0 after the two short sleeps.
    expect(by('cached_fault_after_sleep')).toEqual([[1, 0, 5000], [20, 0, 5000], [100, 141, 5000], [300, 771, 5000]]);
    expect(by('major_fault_after_sleep')).toEqual([[1, 310, 5000], [20, 2193, 5000], [100, 3585, 5000], [300, 5037, 5000]]);
    expect(by('swapin_fault_after_sleep')).toEqual([[1, 382, 5000], [20, 1743, 5000], [100, 3376, 5000], [300, 5059, 5000]]);
    // The scalar is today's figure: the median over all sleeps − back to back.
    expect(fitted.costs.fault_after_sleep.value).toBe(991);
    expect(fitted.costs.major_fault_after_sleep.value).toBe(2213);
    expect(fitted.costs.swapin_fault_after_sleep.value).toBe(1793);
  });

  it('bySleep: exact on a hand-built bench, below back to back kept at 0, S = 0 left out', () => {
    const s = new Map<number, number[]>([[300, [50, 60, 70]], [0, [10, 20, 30]], [5, [5, 15, 25]], [40, [30, 40, 50]]]);
    expect(bySleep(s, 20)).toEqual([{ sleep_us: 5, value: 0, n: 3 }, { sleep_us: 40, value: 20, n: 3 }, { sleep_us: 300, value: 40, n: 3 }]);
  });

  it('the profile keeps the points through YAML, and a scenario takes them in ns', () => {
    const back = parseProfile(renderProfile(fitted), 'x');
    expect(back.costs.major_fault_after_sleep.by_sleep).toEqual(fitted.costs.major_fault_after_sleep.by_sleep);
    expect(back.costs.copy_pte.by_sleep).toBeUndefined();
    expect(sleepPoints(back)!.major_fault_after_sleep).toEqual([[1_000, 310], [20_000, 2_193], [100_000, 3_585], [300_000, 5_037]]);
    // A cost the scenario sets itself takes no points.
    expect(sleepPoints(back, new Set(['major_fault_after_sleep']))!.major_fault_after_sleep).toBeUndefined();
    // The shipped calib-host profile carries them to a scenario that names it: its fault_after_sleep is
    // the median round's (round 5: 1,071 ns of the rounds' 731 / 1,472 / 741 / 1,493 / 1,071), with that round's points.
    const sc = scenarioFromObject({
      name: 'p', description: 'd', duration: '1ms', costs: { profile: 'calib-host', swapin_fault_after_sleep: '1us' },
      vmas: [{ name: 'heap', kind: 'anon', pages: 16 }], threads: [{ name: 't', think: '10us', ops: [{ op: 'fault', vma: 'heap' }] }],
    });
    expect(sc.after_sleep_points!.fault_after_sleep).toEqual([[1_000, 751], [20_000, 971], [100_000, 1_442], [300_000, 1_402]]);
    expect(sc.after_sleep_points!.swapin_fault_after_sleep).toBeUndefined();
    expect(applyProfile(sc, loadProfile('phone')).after_sleep_points).toBeUndefined();
  });

  it('a profile without by_sleep (an old one) loads, and its scenario has no points', () => {
    const old = renderProfile({ ...fitted, costs: Object.fromEntries(Object.entries(fitted.costs).map(([k, v]) => [k, { ...v, by_sleep: undefined }])) as typeof fitted.costs });
    expect(old).not.toMatch(/^ +by_sleep:/m);
    const dir = mkdtempSync(join(tmpdir(), 'faultline-old-profile-'));
    writeFileSync(join(dir, 'old.yaml'), old);
    const sc = scenarioFromObject({
      name: 'p', description: 'd', duration: '1ms', costs: join(dir, 'old.yaml'),
      vmas: [{ name: 'heap', kind: 'anon', pages: 16 }], threads: [{ name: 't', think: '10us', ops: [{ op: 'fault', vma: 'heap' }] }],
    });
    expect(sc.after_sleep_points).toBeUndefined();
    expect(sc.costs.major_fault_after_sleep).toBe(2213);
  });
});

describe('simulator: the refill interpolated at the thread\'s sleep', () => {
  const curve = { xs: Float64Array.from([20_000, 100_000]), ys: Float64Array.from([400, 1_200]) };

  it('interpolateRefill: linear between the points, flat below the first and beyond the last', () => {
    expect(interpolateRefill(curve, 50_000)).toBe(700);
    expect(interpolateRefill(curve, 20_000)).toBe(400);
    expect(interpolateRefill(curve, 100_000)).toBe(1_200);
    expect(interpolateRefill(curve, 1_000)).toBe(400);
    expect(interpolateRefill(curve, 0)).toBe(400);
    expect(interpolateRefill(curve, 5_000_000)).toBe(1_200);
    const three = { xs: Float64Array.from([1_000, 20_000, 300_000]), ys: Float64Array.from([500, 481, 3_655]) };
    expect(interpolateRefill(three, 160_000)).toBeCloseTo(481 + (3_655 - 481) / 2, 9);
  });

  // One thread write-faults fresh anonymous pages, `think` apart, on 1 CPU: each fault 2 us plus its refill.
  const sc = (think: string, points?: Scenario['after_sleep_points'], costs: Record<string, string> = {}): Scenario => {
    const s = scenarioFromObject({
      name: 'curve', description: 'test', duration: '7ms', warmup: '0ms', cpus: 1,
      vmas: [{ name: 'heap', kind: 'anon', anon_vma: true, write: true, pages: 4096, resident: 0 }],
      threads: [{ name: 't', think, ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } }] }],
      costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', anon_vma_prepare: '0ns', fault_after_sleep: '500ns', ...costs },
    });
    if (points !== undefined) s.after_sleep_points = points;
    return s;
  };
  const faults = (s: Scenario) => measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).opsAll.fault!;
  const points = { fault_after_sleep: [[20_000, 400], [100_000, 1_200]] as Array<[number, number]> };

  it('a fault after a 50 us think pays the refill interpolated at 50 us, not the single value', () => {
    const f = faults(sc('50us', points));
    expect(f.count).toBeGreaterThan(50);
    expect(f.latency).toMatchObject({ p50: 2_700, max: 2_700, mean: 2_700 });
    // Flat beyond the last point and below the first.
    expect(faults(sc('200us', points)).latency).toMatchObject({ p50: 3_200, max: 3_200 });
    expect(faults(sc('5us', points)).latency).toMatchObject({ p50: 2_400, max: 2_400 });
  });

  it('the sleep asked for, not the timer\'s lateness, reads the curve (the benches\' S is asked for too)', () => {
    expect(faults(sc('50us', points, { timer_wakeup: '30us' })).latency).toMatchObject({ p50: 2_700, max: 2_700 });
  });

  it('without points, the single value whatever the sleep; points of one kind leave the others alone', () => {
    for (const think of ['5us', '50us', '200us']) expect(faults(sc(think)).latency).toMatchObject({ p50: 2_500, max: 2_500, mean: 2_500 });
    expect(faults(sc('50us', { major_fault_after_sleep: [[1_000, 9_000]] })).latency).toMatchObject({ p50: 2_500, max: 2_500 });
    // A curve of zeros charges nothing.
    expect(faults(sc('50us', { fault_after_sleep: [[1_000, 0], [300_000, 0]] })).latency).toMatchObject({ p50: 2_000, max: 2_000 });
  });
});
