/**
 * `node dist/bench/warmup.js`: each run's wall time, round after round, in
 * one thread (bench/README.md, "Warm-up, run by run"). Checks the output's
 * shape; the times are measured, not tested.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

describe('bench warmup', () => {
  it('prints every run of every round, in spec order (strategy-major), and each round\'s total', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'warmup.js'), 'tiny', '--strategy', 'mainline,retry-vma', '--seeds', '3', '--rounds', '2'],
      { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
      scenario: string; runs: number; round_total_ms: number[]; round_cpu_ms: number[];
      round_threads_s: Array<{ this_thread_s: number; other_threads_s: number }>; runs_cpu_ms: number[][];
      per_strategy: Array<Array<{ fault: string; first_ms: number; rest_median_ms: number }>>; runs_ms: number[][];
    };
    expect(out.scenario).toBe('tiny');
    expect(out.runs).toBe(6);
    expect(out.runs_ms).toHaveLength(2);
    for (const [k, ms] of out.runs_ms.entries()) {
      expect(ms).toHaveLength(6);
      for (const x of ms) expect(x).toBeGreaterThan(0);
      expect(out.round_total_ms[k]).toBeCloseTo(ms.reduce((a, b) => a + b, 0), 0);
      expect(out.per_strategy[k]!.map((s) => s.fault)).toEqual(['mainline', 'retry-vma']);
      expect(out.per_strategy[k]![1]!.first_ms).toBe(ms[3]);
      expect(out.runs_cpu_ms[k]).toHaveLength(6);
      expect(out.round_cpu_ms[k]).toBeGreaterThan(0);
      if (process.platform === 'linux') expect(out.round_threads_s[k]!.this_thread_s).toBeGreaterThanOrEqual(0);
    }
    expect(r.stderr).toMatch(/^round 1: [\d.]+ ms for 6 runs; CPU [\d.]+ ms \(this thread [\d.]+ s, the other threads -?[\d.]+ s\)$/m);
  }, 120_000);
});
