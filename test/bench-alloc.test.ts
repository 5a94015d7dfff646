/**
 * `node dist/bench/alloc-profile.js`: bytes allocated per run from the
 * sampling heap profiler. Checks the output's shape (the byte counts are
 * measured, not tested).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

describe('bench alloc-profile', () => {
  it('prints MB per run and the functions that allocate most', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'alloc-profile.js'), 'tiny', '--warm', '1', '--runs', '2', '--top', '3'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^tiny: 2 runs after 1 not counted: \d+\.\d\d MB allocated per run$/);
    expect(lines).toHaveLength(4);
    for (const l of lines.slice(1)) expect(l).toMatch(/^ +\d+\.\d{3} MB\/run {2}\S/);
  }, 120_000);
  it('--reference prints bytes per fault of the reference bench', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'alloc-profile.js'), '--reference', '--duration-us', '200000', '--top', '2'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^reference bench, 200000 us simulated: [1-9]\d* faults, [1-9]\d* events, [1-9]\d* bytes per fault$/);
    expect(lines).toHaveLength(3);
  }, 120_000);
});
