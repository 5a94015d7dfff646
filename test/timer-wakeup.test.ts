/**
 * Cost.timer_wakeup (docs/calibration.md "The read-wait totals: how late a
 * timer sleep ends"): its fit from the recorded `timer-sleep` bench, and exact
 * simulator op counts of hand-built scenarios: every think time and gap above
 * 0 ends that much later; no sleep, no delay; the built-in cost (0) changes
 * nothing.
 */
import { describe, expect, it } from 'vitest';
import { fitProfile } from '../src/calibrate/fit.js';
import { calibRecorded } from '../src/calibrate/shipped.js';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';

const recorded = calibRecorded();
const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0] as [number, number, number], measured: 't' };
const nearestRank = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.ceil(v.length / 2) - 1]!;

describe('fit: timer_wakeup from the timer-sleep bench', { timeout: 20_000 }, () => {
  it('is the median lateness over every sleep length, kept by sleep length as a measurement', () => {
    const ts = recorded.get('timer-sleep')!.samples;
    expect([...ts.keys()]).toEqual([1, 20, 100, 300]);
    const want = nearestRank([...ts.values()].flat());
    expect(want).toBeGreaterThan(0);
    const p = fitProfile({ name: 'x', description: 'x', host, benches: recorded });
    expect(p.costs.timer_wakeup).toMatchObject({ value: want, source: 'measured' });
    expect(p.measurements.timer_sleep_by_sleep!.by!.map((b) => b.x)).toEqual([1, 20, 100, 300]);
  });

  it('without the bench the cost keeps its default (0)', () => {
    const b = new Map(recorded);
    b.delete('timer-sleep');
    const p = fitProfile({ name: 'x', description: 'x', host, benches: b });
    expect(p.costs.timer_wakeup).toMatchObject({ value: 0, source: 'default' });
  });
});

describe('simulator: a think time or gap ends timer_wakeup late', () => {
  // One thread on 1 CPU write-faults (2 us of CPU: handle_mm_fault + do_anonymous_page) fresh
  // pages; the run lasts 7 ms, every op that ends in it counts.
  const sc = (think: string, costs: Record<string, string>, op: Record<string, unknown> = {}) => scenarioFromObject({
    name: 'timer', description: 'test', duration: '7ms', warmup: '0ms', cpus: 1,
    vmas: [{ name: 'heap', kind: 'anon', anon_vma: true, write: true, pages: 8192, resident: 0 }],
    threads: [{ name: 't', think, ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 }, ...op }] }],
    costs: { handle_mm_fault: '1us', do_anonymous_page: '1us', anon_vma_prepare: '0ns', ...costs },
  });
  const count = (s: ReturnType<typeof sc>) => measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).opsAll.fault!.count;
  // Faults that end by 7,000 us when the k-th starts at first + (k - 1) x period (us).
  const fits = (first: number, period: number) => Math.floor((7_000 - 2 - first) / period) + 1;

  it('a 100 us think time: a fault every 102 us, or every 117 us with timer_wakeup 15 us', () => {
    expect(count(sc('100us', {}))).toBe(fits(100, 102));
    expect(count(sc('100us', { timer_wakeup: '15us' }))).toBe(fits(115, 117));
    expect(fits(115, 117)).toBeLessThan(fits(100, 102));
  });

  it('the gap between an op\'s repeats is late too', () => {
    // think 100 + 15, fault 2, gap 10 + 15, fault 2: two faults per 144 us.
    const n = count(sc('100us', { timer_wakeup: '15us' }, { repeat: 2, gap: '10us' }));
    const pairs = fits(115, 144), seconds = fits(115 + 2 + 25, 144);
    expect(n).toBe(pairs + seconds);
  });

  it('no sleep, no delay: a think time of 0 runs faults back to back whatever timer_wakeup is', () => {
    // Fault k ends at 2k us; the one ending at 7 ms exactly is past the run.
    expect(count(sc('0ns', { timer_wakeup: '15us' }))).toBe(3_499);
    expect(count(sc('0ns', {}))).toBe(3_499);
  });
});
