/**
 * `node dist/bench/pool-threads.js`: each run's CPU time per thread, with
 * one and two isolates (bench/README.md, "What `--jobs 2` costs, thread by
 * thread"). Checks the output's shape and that every mode runs every spec
 * exactly the expected number of times; the times are measured, not tested.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

interface Out {
  scenario: string; mode: string;
  threads: { main_s: number; worker_s: number; others_s: number; process_s: number };
  phases: Array<{ thread: string; phase: string; runs_ms: number[]; cpu_ms: number; gc_count: number }>;
}

function bench(mode: string): Out {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'pool-threads.js'), 'tiny', '--strategy', 'mainline,retry-vma', '--seeds', '3', '--mode', mode],
    { encoding: 'utf8', cwd: ROOT });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Out;
}

const runs = (o: Out, phase: string) => o.phases.filter((p) => p.phase === phase).map((p) => [p.thread, p.runs_ms.length]);

describe.skipIf(process.platform !== 'linux')('bench pool-threads', () => {
  it('jobs1 runs every spec in this thread; jobs2 and ends share them between this thread and the worker', () => {
    ensureBuilt();
    const one = bench('jobs1');
    expect(one.scenario).toBe('tiny');
    expect(runs(one, 'jobs1')).toEqual([['main', 6]]);
    expect(one.threads.worker_s).toBe(0);
    for (const mode of ['jobs2', 'ends']) {
      const two = bench(mode);
      const ps = two.phases.filter((p) => p.phase === mode);
      expect(ps.map((p) => p.thread)).toEqual(['main', 'worker']);
      expect(ps[0]!.runs_ms.length + ps[1]!.runs_ms.length).toBe(6);
      for (const p of ps) for (const ms of p.runs_ms) expect(ms).toBeGreaterThan(0);
      expect(two.threads.worker_s).toBeGreaterThan(0);
      expect(two.threads.process_s).toBeGreaterThanOrEqual(two.threads.main_s);
    }
  }, 120_000);

  it('contend runs the whole list in each isolate: warm-up, alone, then both together', () => {
    ensureBuilt();
    const o = bench('contend');
    expect(o.phases.map((p) => [p.phase, p.thread, p.runs_ms.length])).toEqual([
      ['warm', 'main', 6], ['warm', 'worker', 6], ['alone', 'main', 6], ['alone', 'worker', 6], ['together', 'main', 6], ['together', 'worker', 6],
    ]);
    for (const p of o.phases) expect(p.cpu_ms).toBeCloseTo(p.runs_ms.reduce((a, b) => a + b, 0), 0);
  }, 120_000);
});
