/**
 * `reference-model --compare DIR`: the anchors (SimPy, naive-js) and the
 * engine-floor diagnostic run in their own processes on the same parameters,
 * and their figures, ratios and agreement land in the JSON line and the
 * stderr table. Needs the anchors beside the repository (../shared/anchors)
 * and, for SimPy, Debian's python3-simpy3 (.ci/run installs it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './built-cli.js';

const ANCHORS = join(ROOT, '..', 'shared', 'anchors');
const hasSimpy = spawnSync('/usr/bin/python3', ['-c', 'import simpy'], { encoding: 'utf8' }).status === 0;

describe('reference bench --compare', () => {
  it.skipIf(!existsSync(ANCHORS) || !hasSimpy)('runs SimPy, naive-js and the engine floor side by side', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'reference-model.js'), '-D', '300000', '--compare', ANCHORS], {
      encoding: 'utf8', cwd: ROOT,
    });
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown> & {
      faults_completed: number; ratio_vs_simpy: number; ratio_vs_naive_js: number; ratio_floor_vs_simpy: number;
      cpu_s: number; faults_per_cpu_s: number; cpu_ratio_vs_simpy: number;
      engine_floor: { engine: string; faults_completed: number };
      anchors: { simpy: { faults_completed: number; cpu_s: number }; naive_js: { faults_completed: number } };
      agreement: { simpy: { fault_count_rel: number } };
    };
    expect(res.faults_completed).toBeGreaterThan(50_000);
    expect(res.anchors.simpy.faults_completed).toBeGreaterThan(50_000);
    expect(res.anchors.naive_js.faults_completed).toBe(res.anchors.simpy.faults_completed); // same streams, same model
    expect(res.engine_floor.engine).toBe('faultline-engine-floor');
    expect(Math.abs(res.engine_floor.faults_completed / res.faults_completed - 1)).toBeLessThan(0.03);
    for (const x of [res.ratio_vs_simpy, res.ratio_vs_naive_js, res.ratio_floor_vs_simpy]) expect(x).toBeGreaterThan(0);
    expect(Math.abs(res.agreement.simpy.fault_count_rel)).toBeLessThan(0.02);
    // per CPU second: faultline's faults over its CPU seconds, against SimPy's faults over SimPy's
    expect(res.cpu_s).toBeGreaterThan(0);
    expect(res.faults_per_cpu_s).toBeCloseTo(res.faults_completed / res.cpu_s, 6);
    expect(res.cpu_ratio_vs_simpy).toBeCloseTo(res.faults_per_cpu_s / (res.anchors.simpy.faults_completed / res.anchors.simpy.cpu_s), 6);
    expect(r.stderr).toMatch(/^engine floor \(no kernel paths\) +0\.3 +\d+/m);
    expect(r.stderr).toMatch(/throughput: faultline\/simpy = [\d.]+x, faultline\/naive-js = [\d.]+x, engine floor\/simpy = [\d.]+x/);
    expect(r.stderr).toMatch(/^per CPU second: faultline\/simpy = [\d.]+x \(faultline [\d.]+ CPU-s, simpy [\d.]+\)$/m);
  }, 120_000);
});
