/**
 * The reference lock model (bench/reference-scenario.ts) on faultline's real
 * engine and mainline kernel paths must reproduce the anchors' long-run
 * statistics (/work/shared/anchors/README.md, 16 workers: mean fault latency
 * about 34.2 us, p99 about 723 us). Two simulated seconds, fixed seed.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceScenario, runReference } from '../bench/reference-scenario.js';
import { ensureBuilt, ROOT } from './built-cli.js';

const ANCHOR = { mean_us: 34.2, p99_us: 723 };

describe('reference model (anchors: SimPy / naive-js lockmodel)', () => {
  it('is an ordinary resolved scenario with the reference settings', () => {
    const sc = referenceScenario({ threads: 16, vmas: 64 });
    expect(sc.cpus).toBeNull();
    expect(sc.mmap_lock.reader_wake).toBe('prefix');
    expect(sc.threads.map((t) => t.group)).toEqual([...Array(16).fill('worker'), 'writer']);
    expect(sc.vmas).toHaveLength(1);
    expect(sc.vmas[0]!.count).toBe(64);
    const nonZero = Object.entries(sc.costs).filter(([, v]) => v !== 0);
    expect(Object.fromEntries(nonZero)).toEqual({ handle_mm_fault: 1000, fault_retry: 1000, mprotect_fixup: 5000 });
    expect(sc.io.read).toEqual({ law: 'lognormal', median: 200_000, sigma: 1 });
  });

  it('16 workers, 2 s simulated: mean within 5% and p99 within 8% of the anchors', () => {
    const r = runReference({ threads: 16, durationUs: 2_000_000, seed: 1 });
    expect(r.faults_completed).toBeGreaterThan(500_000);
    expect(r.major_faults_completed / r.faults_completed).toBeGreaterThan(0.095);
    expect(r.major_faults_completed / r.faults_completed).toBeLessThan(0.105);
    expect(Math.abs(r.latency_mean_us! / ANCHOR.mean_us - 1)).toBeLessThan(0.05);
    expect(Math.abs(r.latency_p99_us! / ANCHOR.p99_us - 1)).toBeLessThan(0.08);
    expect(r.latency_p50_us).toBe(1); // a minor fault under the VMA lock: exactly handle_mm_fault
    expect(r.writer_acquisitions).toBeGreaterThan(3500); // ~ 2 s / (500 us think + 5 us hold)
  }, 120_000);

  it('--p-major 0 / 1 time minor and major faults apart', () => {
    const minor = runReference({ durationUs: 200_000, pMajor: 0 });
    expect(minor.p_major).toBe(0);
    expect(minor.major_faults_completed).toBe(0);
    expect(minor.faults_completed).toBeGreaterThan(100_000);
    expect(minor.latency_p50_us).toBe(1);
    const major = runReference({ durationUs: 200_000, pMajor: 1 });
    expect(major.p_major).toBe(1);
    expect(major.major_faults_completed).toBe(major.faults_completed);
    // 1 us + I/O lognormal(200 us, sigma 1): mean 200 * e^0.5 = 330 us, + 2 us retry
    expect(major.latency_mean_us!).toBeGreaterThan(280);
    expect(major.latency_mean_us!).toBeLessThan(390);
  }, 60_000);

  it('the CLI rejects a --p-major outside [0, 1] with exit status 2', () => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'bench', 'reference-model.js'), '--p-major', '1.5'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("reference-model: --p-major expects a number in [0, 1], got '1.5'\n");
  });
});
