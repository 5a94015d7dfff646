/** `faultline calibrate --validate`: the summary of recorded `faultline real --json` documents (no root). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { figuresFor, validationRows, type RealDoc } from '../src/calibrate/validate.js';
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
