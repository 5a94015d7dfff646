/** `faultline calibrate --validate`: the summary of recorded `faultline real --json` documents (no root). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figuresFor, modeRows, renderValidation, validationRows, type RealDoc } from '../src/calibrate/validate.js';
import { repoRoot } from '../src/scenario/index.js';
import { cli } from './cli-helpers.js';

const doc = (model: Record<string, number>, real: Record<string, number>): RealDoc => ({
  scenario: { name: 's' },
  combinations: [
    { fault: 'mainline', summary: Object.fromEntries(Object.entries(model).map(([k, v]) => [k, { median: v }])) },
    { fault: 'real', summary: Object.fromEntries(Object.entries(real).map(([k, v]) => [k, { median: v }])) },
  ],
  real: { runs: [{ extras: { load: { before: [0.5, 0.5, 0.5], after: [0.5, 0.5, 0.5], hostCpus: 2 }, device: null } }] },
});

describe('validation rows', () => {
  it('checks medians and totals at ±15 % and p99 at ±30 % of the real value', () => {
    const rows = validationRows(doc(
      { 'ops.all.fault.p50': 1150, 'ops.all.fault.p99': 1290, 'ops.all.mprotect.p50': 100, 'mmap_lock.read_wait.total': 0, 'mmap_lock.write_wait.total': 5 },
      { 'ops.all.fault.p50': 1000, 'ops.all.fault.p99': 1000, 'ops.all.mprotect.p50': 200, 'mmap_lock.read_wait.total': 0, 'mmap_lock.write_wait.total': 0 },
    ));
    const by = new Map(rows.map((r) => [r.figure, r]));
    expect(by.get('fault p50')).toMatchObject({ verdict: 'ok', ratio: 1.15, tolerance: 0.15 });
    expect(by.get('fault p99')).toMatchObject({ verdict: 'ok', tolerance: 0.3 });
    expect(by.get('mprotect p50')).toMatchObject({ verdict: 'miss', ratio: 0.5 });
    expect(by.get('mprotect p99')).toMatchObject({ verdict: 'n/a', model: null, real: null });
    expect(by.get('mmap_lock read wait total')).toMatchObject({ verdict: 'ok' }); // 0 and 0
    expect(by.get('mmap_lock write wait total')).toMatchObject({ verdict: 'miss', ratio: null }); // real 0, model not
  });

  it('checks each writer op the scenario has', () => {
    expect(figuresFor(['fork']).map((f) => f.label)).toEqual([
      'fault p50', 'fault p99', 'fork p50', 'fork p99', 'mmap_lock read wait total', 'mmap_lock write wait total',
    ]);
  });
});

describe('faultline calibrate --validate --from (recorded documents)', () => {
  it('prints a table per scenario with the load averages and says which figures were taken under load', async () => {
    const r = await cli('calibrate', '--validate', '--from', join(repoRoot(), 'test/fixtures/validate'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('model with cost profile `calib-host`');
    expect(r.stdout).toContain('file reads via `--io zram`');
    for (const s of ['calib-file-mprotect', 'calib-fork-file', 'calib-gc-swapin', 'calib-fork-many', 'calib-pft']) expect(r.stdout).toContain(`#### ${s}`);
    // The recorded runs were taken on the shared machine at a load above its 2 CPUs.
    expect(r.stdout).toMatch(/Load average \(1 min\) before each real run: [\d., ]+ on 2 CPUs — \*\*taken under load\*\*/);
    expect(r.stdout).toMatch(/\d+ figures within target, \d+ outside/);
  });
});

describe('validation rows by mode (per page state, per fork placement)', () => {
  const lat = (p50: number, p99: number) => ({ latency: { p50, p99 } });
  const withModes = (states: Array<Record<string, { latency: { p50: number; p99: number } | null }>>, model?: RealDoc['real']['model_modes'], forkModes?: Array<Record<string, { p50: number; p99: number } | null>>): RealDoc => {
    const d = doc({ 'ops.all.fault.p50': 3000 }, { 'ops.all.fault.p50': 9000 });
    d.real.runs = states.map((st, i) => ({ extras: { load: { before: [1, 1, 1], after: [1, 1, 1], hostCpus: 2 }, device: null, states: st, ...(forkModes === undefined ? {} : { forkModes: forkModes[i]! }) } }));
    if (model !== undefined) d.real.model_modes = model;
    return d;
  };

  it('checks each state\'s p50 and p99 against the median over real runs, in addition to the mixed figures', () => {
    const d = withModes(
      [{ absent: lat(10_000, 50_000), cached: lat(3000, 10_000) }, { absent: lat(9000, 70_000), cached: lat(3200, 20_000) }, { absent: lat(11_000, 60_000), cached: lat(3400, 30_000) }],
      { fault: { absent: { p50: 9000, p99: 45_000 }, cached: { p50: 2900, p99: 3000 } }, fork: {} },
    );
    const rows = validationRows(d);
    const by = new Map(rows.map((r) => [r.figure, r]));
    expect(by.get('fault p50')).toMatchObject({ byMode: false, verdict: 'miss' }); // the mixed one is still there
    expect(by.get('fault p50 (absent)')).toMatchObject({ model: 9000, real: 10_000, verdict: 'ok', byMode: true, tolerance: 0.15 });
    expect(by.get('fault p99 (absent)')).toMatchObject({ model: 45_000, real: 60_000, verdict: 'ok', tolerance: 0.3 }); // 0.75
    expect(by.get('fault p50 (cached)')).toMatchObject({ model: 2900, real: 3200, verdict: 'ok' });
    expect(by.get('fault p99 (cached)')).toMatchObject({ model: 3000, real: 20_000, verdict: 'miss' });
    const md = renderValidation([d], { costs: 'x', io: 'zram', runs: 3 });
    expect(md).toContain('0 figures within target, 1 outside.'); // the mode rows are counted apart
    expect(md).toContain('3 within target, 1 outside.');
    expect(md).toContain('| fault p50 (absent) | 9.00 µs | 10.0 µs | 0.90 | ±15 % | ok |');
  });

  it('no rows for a single state (the mixed figures are that state\'s) or for memcg; "-" without the model\'s modes', () => {
    expect(modeRows(withModes([{ zero: lat(2000, 3000) }]))).toEqual([]);
    expect(modeRows(withModes([{ memcg: lat(2000, 3000), zero: lat(1, 2) }]))).toEqual([]);
    const rows = modeRows(withModes([{ absent: lat(10_000, 50_000), cached: lat(3000, 10_000) }]));
    expect(rows.map((r) => [r.figure, r.model, r.verdict])).toEqual([
      ['fault p50 (absent)', null, 'n/a'], ['fault p99 (absent)', null, 'n/a'], ['fault p50 (cached)', null, 'n/a'], ['fault p99 (cached)', null, 'n/a'],
    ]);
  });

  it('checks fork latency per placement when the real runs report it', () => {
    const rows = modeRows(withModes(
      [{}, {}, {}],
      { fault: {}, fork: { child_first: { p50: 2_200_000, p99: 2_100_000 }, parent_first: { p50: 1_000_000, p99: 1_000_000 } } },
      [{ child_first: { p50: 2_500_000, p99: 4_000_000 }, parent_first: { p50: 1_100_000, p99: 1_500_000 } }, { child_first: null, parent_first: { p50: 1_200_000, p99: 1_300_000 } }, { child_first: { p50: 2_300_000, p99: 3_000_000 }, parent_first: { p50: 900_000, p99: 1_000_000 } }],
    ));
    expect(rows.map((r) => [r.figure, r.real, r.verdict])).toEqual([
      ['fork p50 (child first)', 2_400_000, 'ok'], ['fork p99 (child first)', 3_500_000, 'miss'],
      ['fork p50 (parent first)', 1_100_000, 'ok'], ['fork p99 (parent first)', 1_300_000, 'ok'],
    ]);
  });
});

describe('faultline calibrate --validate --model-from (recorded documents, the model side recomputed)', () => {
  it('recomputes the model column and its figures by mode from the recorded scenario, seeds and read law', async () => {
    const dir = join(repoRoot(), 'test/fixtures/validate-modes');
    const r = await cli('calibrate', '--validate', '--model-from', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('model with cost profile `calib-host`');
    expect(r.stdout).toMatch(/By mode \(fault latency per page state, fork latency by the child's placement; in addition to the figures above, not counted in them\): \d+ within target, \d+ outside/);
    // calib-file-mprotect's faults are half absent, half cached: both states have a model figure now.
    expect(r.stdout).toMatch(/\| fault p50 \(absent\) \| [\d.]+ µs \| 9\.\d+ µs \|/);
    expect(r.stdout).toMatch(/\| fault p50 \(cached\) \| [\d.]+ µs \| 3\.\d+ µs \|/);
    expect(r.stdout).not.toMatch(/\((absent|cached|zero|swapped)\) \| - \|/);
    expect(r.stderr).toContain('--model-from: calib-pft, the model\'s side (1 seed(s))');
    const again = await cli('calibrate', '--validate', '--model-from', dir);
    expect(again.stdout).toBe(r.stdout);
  }, 120_000); // two model sides of five scenarios: ~3 s on the idle machine

  it('takes --from or --model-from, not both', async () => {
    const dir = join(repoRoot(), 'test/fixtures/validate-modes');
    const r = await cli('calibrate', '--validate', '--model-from', dir, '--from', dir);
    expect(r.code).toBe(2);
  });
});
