/**
 * Issue 17, item 4: the rough edges a new user hits, each fixed and kept
 * fixed: list width, unwritable output paths, --jobs, one seed range,
 * rounded sweep values, shareable paths, plurals, npm ci builds.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobsFor } from '../src/cli/output-options.js';
import { busyElsewhere, defaultJobs } from '../src/sweep/pool.js';
import { formatParamValues, plural, shareablePath } from '../src/report/format.js';
import { mkdirs, OutputPathError } from '../src/report/mkdirs.js';
import { listBuiltinScenarios } from '../src/scenario/index.js';
import { cli } from './cli-helpers.js';

describe('faultline list', () => {
  it('wraps every line to 80 columns and names every built-in scenario', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    const long = r.stdout.split('\n').filter((l) => l.length > 80);
    expect(long).toEqual([]);
    for (const s of listBuiltinScenarios()) expect(r.stdout).toMatch(new RegExp(`^  ${s.name}$`, 'm'));
  });

  it('docs/scenario-format.md lists every built-in run scenario (generated from the files)', () => {
    const doc = readFileSync(new URL('../docs/scenario-format.md', import.meta.url), 'utf8');
    for (const s of listBuiltinScenarios()) expect(doc).toContain(`- \`${s.name}\`: `);
  });
});

describe('output paths', () => {
  it('mkdirs ends with a clear error under /proc instead of spinning (Node recursive mkdir loops there)', () => {
    expect(() => mkdirs('/proc/faultline-no-such-dir/report')).toThrow(OutputPathError);
    expect(() => mkdirs('/dev/null/x')).toThrow(/\/dev\/null exists and is not a directory/);
    const d = join(tmpdir(), `faultline-mkdirs-${process.pid}`, 'a', 'b');
    mkdirs(d);
    mkdirs(d); // already there: fine
  });

  it('run --report into /proc: exit 2 with one line', async () => {
    const r = await cli('run', 'tiny', '--report', '/proc/faultline-x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^faultline: cannot create directory \/proc\/faultline-x \(ENOENT\)\n$/);
  });
});

describe('--jobs', () => {
  it('never more workers than runs; a warning above the core count', () => {
    let err = '';
    const io = { stderr: { write: (s: string) => { err += s; } } };
    expect(jobsFor(1024, 3, io)).toBe(3);
    expect(err).toMatch(new RegExp(`--jobs 1024 is above this machine's ${availableParallelism()} core`));
    err = '';
    // Without --jobs: the idle cores (defaultJobs reads the load, which moves
    // between two reads, so the default is injected here), never above the runs.
    expect(jobsFor(undefined, 100, io, () => 2)).toBe(2);
    expect(jobsFor(undefined, 1, io, () => 2)).toBe(1);
    const d = jobsFor(undefined, 100, io);
    expect(d).toBeGreaterThanOrEqual(1);
    expect(d).toBeLessThanOrEqual(availableParallelism());
    expect(jobsFor(1, 100, io)).toBe(1);
    expect(err).toBe('');
  });

  it('counts as busy the load average, but no more than the tasks runnable now besides this one', () => {
    const avg = loadavg()[0]!;
    expect(busyElsewhere('0.00 0.01 0.05 1/123 4567\n')).toBe(0);
    expect(busyElsewhere('9.00 9.00 9.00 4/123 4567\n')).toBe(Math.min(avg, 3));
    expect(busyElsewhere(null)).toBe(avg);
    expect(busyElsewhere('garbage')).toBe(avg);
  });

  it('defaults to the cores not already busy, at least one', () => {
    expect(defaultJobs(2, 0)).toBe(2);
    expect(defaultJobs(2, 0.4)).toBe(2);
    expect(defaultJobs(2, 0.6)).toBe(1);
    expect(defaultJobs(2, 11)).toBe(1);
    expect(defaultJobs(8, 2.2)).toBe(6);
    expect(defaultJobs(1, 0)).toBe(1);
  });
});

describe('seeds: one range everywhere, errors say where the seed came from', () => {
  it('a scenario seed above 2^31-1 is refused by the loader, naming the field', async () => {
    const f = join(tmpdir(), `faultline-seed-${process.pid}.yaml`);
    const body = (seed: number) => [
      'name: s', 'description: d', `seed: ${seed}`, 'duration: 10ms', 'cpus: 1',
      'vmas: [{ name: a, kind: anon, pages: 4 }]', 'threads: [{ name: t, think: 1ms, ops: [{ op: fault, vma: a }] }]', '',
    ].join('\n');
    writeFileSync(f, body(3_000_000_000));
    const big = await cli('run', f);
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/:3:\d+: seed: expected an integer from 0 to 2147483647/);
    writeFileSync(f, body(2147483647));
    const past = await cli('run', f, '--seeds', '2');
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/the scenario's seed 2147483647 \(.*\) with --seeds 2 runs seeds 2147483647\.\.2147483648/);
  });

  it('--seed -1 is out of range, not "not a whole number"', async () => {
    const r = await cli('run', 'tiny', '--seed', '-1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--seed: -1 is out of range \(0\.\.2147483647\)/);
  });
});

describe('formatting', () => {
  it('swept values print with 4 significant digits, more only to keep them apart', () => {
    expect(formatParamValues([1, Math.SQRT2, 2, 2 * Math.SQRT2, 4, 4 * Math.SQRT2])).toEqual(['1', '1.414', '2', '2.828', '4', '5.657']);
    expect(formatParamValues([1.00001, 1.00002])).toEqual(['1.00001', '1.00002']);
  });

  it('scenario paths in reports: relative under the working directory, else the file name', () => {
    expect(shareablePath('/home/me/work/x.yaml', '/home/me/work')).toBe('x.yaml');
    expect(shareablePath('/home/me/work/sc/x.yaml', '/home/me/work')).toBe('sc/x.yaml');
    expect(shareablePath('/home/me/secret/x.yaml', '/home/me/work')).toBe('x.yaml');
    expect(shareablePath('scenarios/tiny.yaml', '/anywhere')).toBe('scenarios/tiny.yaml');
  });

  it('singular and plural', () => {
    expect(plural(1, 'task')).toBe('1 task');
    expect(plural(2, 'task')).toBe('2 tasks');
    expect(plural(12000, 'run')).toBe('12,000 runs');
  });
});

describe('npm ci builds', () => {
  it('package.json has a prepare script that builds, so every command works right after npm ci', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['prepare']).toBe('npm run build --silent');
  });
});
