/**
 * The pool with real worker threads (the compiled dist/, as the CLI runs it):
 * this thread and the workers share the runs, results equal in-thread
 * measure() whichever thread ran them, and the workers stay warm from one
 * runAll to the next.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';
import type * as Pool from '../src/sweep/pool.js';
import type * as Metrics from '../src/metrics/index.js';
import type * as ScenarioMod from '../src/scenario/index.js';

ensureBuilt();
const dist = (p: string) => pathToFileURL(join(ROOT, 'dist', 'src', p)).href;
const pool = await import(dist('sweep/pool.js')) as typeof Pool;
const metrics = await import(dist('metrics/index.js')) as typeof Metrics;
const scenarios = await import(dist('scenario/index.js')) as typeof ScenarioMod;

afterAll(() => pool.closePool());

describe('runAll with workers', () => {
  const scenario = scenarios.loadScenario('tiny');
  const specs = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((seed) => ['mainline', 'hold-io'].map((fault) => ({ scenario, fault, fork: 'fork-lock-all', seed })));

  it('shares the runs, gives in-thread results in spec order, and reuses its warm workers', async () => {
    expect(pool.workerScript()).not.toBeNull();
    const expected = specs.map((s) => metrics.measure(s));
    const seen: number[] = [];
    let first: Pool.PoolStats | null = null;
    const a = await pool.runAll(specs, { jobs: 2, workers: 'always', onResult: (i) => seen.push(i), onStats: (s) => { first = s; } });
    expect(a).toEqual(expected);
    expect([...seen].sort((x, y) => x - y)).toEqual(specs.map((_, i) => i));
    expect(first!.runs.reduce((x, y) => x + y, 0)).toBe(specs.length);
    expect(first!.workers).toHaveLength(1);
    let second: Pool.PoolStats | null = null;
    const b = await pool.runAll(specs, { jobs: 2, workers: 'always', onStats: (s) => { second = s; } });
    expect(b).toEqual(expected);
    expect(second!.workers).toEqual(first!.workers);
  }, 120_000);

  it('claims the longest simulated duration first, spec order among equals', () => {
    const at = (duration: number) => ({ scenario: { ...scenario, duration }, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    expect([...pool.claimOrder([at(1e9), at(3e9), at(2e9), at(3e9), at(1e9)])]).toEqual([1, 3, 2, 0, 4]);
    expect([...pool.claimOrder(specs)]).toEqual(specs.map((_, i) => i)); // one duration: spec order
    expect([...pool.claimOrder([])]).toEqual([]);
  });

  it('runs of different durations, claimed longest first: in-thread results, in spec order', async () => {
    const long = { ...scenario, duration: scenario.duration * 3 };
    const mixed = [1, 2, 3, 4, 5].flatMap((seed) => [scenario, long].map((sc) => ({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed })));
    const expected = mixed.map((s) => metrics.measure(s));
    const seen: number[] = [];
    const r = await pool.runAll(mixed, { jobs: 2, workers: 'always', onResult: (i) => seen.push(i) });
    expect(r).toEqual(expected);
    expect([...seen].sort((x, y) => x - y)).toEqual(mixed.map((_, i) => i));
  }, 120_000);

  it('jobs 1 and fewer than AUTO_MIN_RUNS runs: this thread only', async () => {
    let s1: Pool.PoolStats | null = null;
    await pool.runAll(specs.slice(0, 3), { jobs: 1, onStats: (s) => { s1 = s; } });
    expect(s1).toEqual({ runs: [3], workers: [] });
    let s2: Pool.PoolStats | null = null;
    await pool.runAll(specs.slice(0, pool.AUTO_MIN_RUNS - 1), { jobs: 2, onStats: (s) => { s2 = s; } });
    expect(s2!.workers).toEqual([]);
  });

  it('a runAll aborted before it starts runs nothing and resolves with holes', async () => {
    const ac = new AbortController();
    ac.abort();
    let st: Pool.PoolStats | null = null;
    const r = await pool.runAll(specs, { jobs: 2, workers: 'always', signal: ac.signal, onStats: (s) => { st = s; } });
    expect(st!.runs).toEqual([0, 0]);
    expect(r.filter((x) => x !== undefined)).toEqual([]);
  });
});
