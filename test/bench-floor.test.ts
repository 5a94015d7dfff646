/**
 * The engine-floor diagnostic (bench/engine-floor.ts): the reference timing as
 * a bare generator on the real engine. Flat and nested (CALL) forms draw the
 * same numbers in the same order, so they must agree exactly; both must show
 * the reference workload's statistics (anchors: mean fault latency ~34.2 us).
 */
import { describe, expect, it } from 'vitest';
import { runFloor } from '../bench/engine-floor.js';

describe('engine floor (timing skeleton of the reference model)', () => {
  it('flat and nested forms give identical runs with the reference statistics', () => {
    const flat = runFloor(1_000_000, true);
    const nested = runFloor(1_000_000, false);
    expect(nested.faults_completed).toBe(flat.faults_completed);
    expect(nested.major_faults_completed).toBe(flat.major_faults_completed);
    expect(nested.latency_mean_us).toBe(flat.latency_mean_us);
    expect(nested.events_processed).toBe(flat.events_processed);
    expect(flat.faults_completed).toBeGreaterThan(250_000);
    expect(flat.major_faults_completed / flat.faults_completed).toBeGreaterThan(0.095);
    expect(flat.major_faults_completed / flat.faults_completed).toBeLessThan(0.105);
    expect(Math.abs(flat.latency_mean_us! / 34.2 - 1)).toBeLessThan(0.05);
  }, 60_000);

  it('--p-major 0 runs only minor faults of exactly 1 us; 1 only major ones', () => {
    const minor = runFloor(200_000, false, 16, 64, 1, 0);
    expect(minor.major_faults_completed).toBe(0);
    expect(minor.latency_mean_us).toBe(1);
    expect(minor.events_processed).toBeGreaterThanOrEqual(2 * minor.faults_completed);
    const major = runFloor(200_000, false, 16, 64, 1, 1);
    expect(major.major_faults_completed).toBe(major.faults_completed);
    expect(major.latency_mean_us!).toBeGreaterThan(280);
  }, 60_000);
});
