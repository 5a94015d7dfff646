/**
 * The reference lock model (bench/reference-scenario.ts) on faultline's real
 * engine and mainline kernel paths must reproduce the anchors' long-run
 * statistics (/work/shared/anchors/README.md, 16 workers: mean fault latency
 * about 34.2 us, p99 about 723 us). Two simulated seconds, fixed seed.
 */
import { describe, expect, it } from 'vitest';
import { referenceScenario, runReference } from '../bench/reference-scenario.js';

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
});
