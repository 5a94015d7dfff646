/** The `--param` grammar of `faultline sweep`, and setting parameters in a resolved scenario. */
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../src/scenario/index.js';
import { parseParam, parseShard, planSweep, plannedRun, scenarioAt, splitPath, SweepError } from '../src/sweep/index.js';
import { cli } from './cli-helpers.js';

const values = (s: string) => parseParam(s).values;

describe('--param grammar', () => {
  it('lists, with and without units', () => {
    expect(parseParam('cpus=2,4,8')).toMatchObject({ path: 'cpus', segments: ['cpus'], values: [2, 4, 8], kind: 'number' });
    expect(parseParam('io.read.median=50us,1ms,2s')).toMatchObject({ values: [50_000, 1_000_000, 2_000_000_000], kind: 'ns' });
    expect(values('x=0.5, 0.25 ,0.5')).toEqual([0.5, 0.25]); // duplicates dropped, order kept
  });

  it('ranges: N linear points (default 5), N log points, factor and step', () => {
    expect(values('cpus=1..9')).toEqual([1, 3, 5, 7, 9]);
    expect(values('cpus=1..4:4')).toEqual([1, 2, 3, 4]);
    expect(values('io.read.median=50us..5ms~3')).toEqual([50_000, 500_000, 5_000_000]);
    expect(values('io.read.median=50us..5ms~5')).toEqual([50_000, 158_114, 500_000, 1_581_139, 5_000_000]);
    expect(values('io.read.median=1ms..10ms*2')).toEqual([1e6, 2e6, 4e6, 8e6]);
    expect(values('io.read.median=1ms..2ms+250us')).toEqual([1e6, 1.25e6, 1.5e6, 1.75e6, 2e6]);
    expect(values('resident=0.1..0.3+0.1')).toEqual([0.1, 0.2, 0.3]);
    expect(values('x=1..1:1')).toEqual([1]);
    expect(values('cpus=1,2..4:3,8')).toEqual([1, 2, 3, 4, 8]);
  });

  it('paths: dots, and [brackets] for names with dots', () => {
    expect(splitPath('threads.Binder:1.think.mean')).toEqual(['threads', 'Binder:1', 'think', 'mean']);
    expect(splitPath('threads[my.thread].think.mean')).toEqual(['threads', 'my.thread', 'think', 'mean']);
  });

  it('rejects what it cannot read, with a message that says why', () => {
    const msg = (s: string) => { try { parseParam(s); return ''; } catch (e) { expect(e).toBeInstanceOf(SweepError); return (e as Error).message; } };
    expect(msg('cpus')).toMatch(/expected PATH=VALUES/);
    expect(msg('cpus=')).toMatch(/no values/);
    expect(msg('cpus=4..2')).toMatch(/goes down/);
    expect(msg('cpus=1..4:0')).toMatch(/whole number/);
    expect(msg('x=0..4~3')).toMatch(/above 0/);
    expect(msg('x=1..4*1')).toMatch(/factor > 1/);
    expect(msg('x=1..4%3')).toMatch(/not a number or a duration/);
    expect(msg('x=5parsecs')).toMatch(/not a number or a duration/);
    expect(msg('a..b=1')).toMatch(/empty path segment/);
  });

  it('--shard I/N is 1-based', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(() => parseShard('0/4')).toThrow(/out of range/);
    expect(() => parseShard('5/4')).toThrow(/out of range/);
    expect(() => parseShard('x')).toThrow(/expected I\/N/);
  });
});

describe('parameters in the resolved scenario', () => {
  const tiny = loadScenario('tiny');
  const android = loadScenario('android-app');
  const at = (sc: typeof tiny, spec: string, v: number) => scenarioAt(sc, [parseParam(`${spec}=${v}`)], [parseParam(`${spec}=${v}`).values[0]!]);

  it('numbers, law parameters and whole laws', () => {
    expect(at(tiny, 'cpus', 8).cpus).toBe(8);
    expect(at(tiny, 'io.read.median', 1e6).io.read).toEqual({ law: 'lognormal', median: 1e6, sigma: 0.14 });
    expect(at(android, 'io.swap', 50_000).io.swap).toEqual({ law: 'constant', value: 50_000 });
    const main = at(android, 'threads.main.think.mean', 4e6).threads.find((t) => t.name === 'main')!;
    expect(main.think).toEqual({ law: 'exponential', mean: 4e6 });
    expect(tiny.cpus).toBe(2); // the base scenario is not changed
  });

  it('.scale multiplies any law, empirical ones too', () => {
    const base = android.io.read;
    const r = at(android, 'io.read.scale', 2).io.read;
    expect(r.law).toBe('empirical');
    if (r.law === 'empirical' && base.law === 'empirical') expect(r.points.map((p) => p[1])).toEqual(base.points.map((p) => 2 * p[1]));
  });

  it('a thread group sets all its threads; a VMA group count resizes the group', () => {
    const sc = at(android, 'threads.Binder.think.mean', 1e6);
    const binders = sc.threads.filter((t) => t.group === 'Binder');
    expect(binders).toHaveLength(4);
    for (const b of binders) expect(b.think).toEqual({ law: 'exponential', mean: 1e6 });
    const v = at(android, 'vmas.lib_text_small.count', 500).vmas.find((g) => g.name === 'lib_text_small')!;
    expect(v.count).toBe(500);
    expect(v.pages).toHaveLength(500);
    const c = at(tiny, 'vmas.code.count', 2).vmas.find((g) => g.name === 'code')!;
    expect(c.pages).toEqual([16, 16]);
  });

  it('bad paths name what is there', () => {
    expect(() => at(tiny, 'io.read.mean', 1)).toThrow(/has no 'mean' \(a lognormal law; '\.scale' multiplies any law\)/);
    expect(() => at(tiny, 'threads.nobody.think.mean', 1)).toThrow(/no element named 'nobody' \(names: ui, bg1, bg2, gc/);
    expect(() => at(tiny, 'cpus', 0)).toThrow(/cpus must be >= 1/);
    expect(() => at(tiny, 'name', 1)).toThrow(/not a number/);
  });

  it('runs are numbered point-major, then fork, fault, seed', () => {
    const plan = planSweep({ base: tiny, params: [parseParam('cpus=1,2')], faults: ['mainline', 'hold-io'], forks: ['fork-lock-all'], firstSeed: 5, seeds: 2, version: 't' });
    expect(plan.total).toBe(8);
    expect(plannedRun(plan, 0)).toEqual({ index: 0, point: [1], fault: 'mainline', fork: 'fork-lock-all', seed: 5 });
    expect(plannedRun(plan, 3)).toEqual({ index: 3, point: [1], fault: 'hold-io', fork: 'fork-lock-all', seed: 6 });
    expect(plannedRun(plan, 4)).toEqual({ index: 4, point: [2], fault: 'mainline', fork: 'fork-lock-all', seed: 5 });
    // The id depends on what decides results, not on where the scenario file is.
    const moved = planSweep({ base: { ...tiny, source: 'elsewhere/tiny.yaml' }, params: [parseParam('cpus=1,2')], faults: ['mainline', 'hold-io'], forks: ['fork-lock-all'], firstSeed: 5, seeds: 2, version: 't' });
    expect(moved.id).toBe(plan.id);
    const other = planSweep({ base: tiny, params: [parseParam('cpus=1,3')], faults: ['mainline', 'hold-io'], forks: ['fork-lock-all'], firstSeed: 5, seeds: 2, version: 't' });
    expect(other.id).not.toBe(plan.id);
  });
});

describe('faultline sweep (in-process, no workers)', () => {
  it('usage errors are one line with exit code 2', async () => {
    const r = await cli('sweep', 'tiny', '--out', '/tmp/never-written.jsonl');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give at least one --param/);
    const r2 = await cli('sweep', 'tiny', '--param', 'io.read.nope=1ms', '--out', '/tmp/never-written.jsonl');
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/^faultline: --param io\.read\.nope: io\.read has no 'nope'/);
  });
});
