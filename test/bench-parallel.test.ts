/**
 * `npm run bench:parallel`: --jobs 1 against --jobs 2 on run and sweep
 * workloads, one JSON line. The tiny configuration checks the line's shape
 * and that both gave the same bytes (never the times: they are measured, not
 * tested).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

interface Side { wall_s: number; wall_s_all: number[]; cpu_s: number; sim_threads_cpu_s: number; other_threads_cpu_s: number; max_rss_mb: number; runs_per_thread: number[] }
interface Row { workload: string; kind: string; runs: number; args: string[]; jobs1: Side; jobs2?: Side; ratio?: number; identical?: boolean }

function side(s: Side | undefined, runs: number, threads: number): void {
  expect(s).toBeDefined();
  expect(s!.wall_s).toBeGreaterThan(0);
  expect(s!.wall_s_all).toHaveLength(1);
  expect(s!.cpu_s).toBeGreaterThan(0);
  if (process.platform === 'linux') {
    // The simulating threads (this one and the workers) and the rest add up to the whole process's CPU.
    expect(s!.sim_threads_cpu_s).toBeGreaterThan(0);
    expect(s!.sim_threads_cpu_s).toBeLessThanOrEqual(s!.cpu_s + 0.05);
    expect(s!.sim_threads_cpu_s + s!.other_threads_cpu_s).toBeCloseTo(s!.cpu_s, 2);
  }
  expect(s!.max_rss_mb).toBeGreaterThan(10);
  expect(s!.runs_per_thread).toHaveLength(threads);
  expect(s!.runs_per_thread.reduce((a, b) => a + b, 0)).toBe(runs);
}

describe('bench:parallel', () => {
  it('prints, per workload, both walls, the ratio and identical outputs as the last JSON line', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'parallel.js'), '--tiny', '--reps', '1'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { bench: string; cores: number; reps: number; tiny: boolean; loadavg_start: number[]; loadavg_end: number[]; workloads: Row[] };
    expect(res).toMatchObject({ bench: 'parallel', reps: 1, tiny: true });
    expect(res.loadavg_start).toHaveLength(3);
    expect(res.loadavg_end).toHaveLength(3);
    expect(res.workloads.map((w) => w.workload)).toEqual(['run-android-app', 'sweep-android-app', 'run-android-large', 'sweep-android-large', 'single-android-large']);
    for (const w of res.workloads) {
      if (w.runs === 1) {
        side(w.jobs1, 1, 1);
        expect(w.jobs2).toBeUndefined();
        continue;
      }
      side(w.jobs1, w.runs, 1);
      side(w.jobs2, w.runs, 2);
      expect(w.ratio).toBeCloseTo(w.jobs1.wall_s / w.jobs2!.wall_s, 2);
      expect(w.identical, w.workload).toBe(true);
    }
    expect(r.stderr).toMatch(/^run-android-app +runs +6 +--jobs 1 [\d.]+ s/m);
  }, 300_000);

  it('refuses an unknown workload', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'parallel.js'), '--only', 'nope'], { encoding: 'utf8', cwd: ROOT });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown workload 'nope'/);
  }, 60_000);
});
