/**
 * Cost.hrtimer_irq's fit from the recorded `hrtimer-irq` bench, and
 * Cost.flush_tlb_func's from `tlb-target`
 * (native/calibrate-irq.c; docs/calibration.md "The long read holds, traced"):
 * the median largest gap of a spinning thread near a timer expiry on its CPU
 * minus the same without an expiry.
 */
import { describe, expect, it } from 'vitest';
import { fitProfile } from '../src/calibrate/fit.js';
import { calibRecorded } from '../src/calibrate/shipped.js';
import { SUITE } from '../src/calibrate/suite.js';

const recorded = calibRecorded();
const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0] as [number, number, number], measured: 't' };
const nearestRank = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.ceil(v.length / 2) - 1]!;

describe('fit: hrtimer_irq from the hrtimer-irq bench', { timeout: 20_000 }, () => {
  it('is in the suite and its fixture has windows with (X=1) and without (X=0) an expiry', () => {
    expect(SUITE.some((b) => b.key === 'hrtimer-irq' && b.args[0] === 'hrtimer-irq')).toBe(true);
    const s = recorded.get('hrtimer-irq')!.samples;
    expect([...s.keys()].sort()).toEqual([0, 1]);
    expect(s.get(1)!.length).toBeGreaterThan(100);
  });

  it('is median(X=1) - median(X=0), derived, with the spread of X=1', () => {
    const s = recorded.get('hrtimer-irq')!.samples;
    const want = nearestRank(s.get(1)!) - nearestRank(s.get(0)!);
    expect(want).toBeGreaterThan(1000); // an interrupt in this guest is µs, not ns
    const p = fitProfile({ name: 'x', description: 'x', host, benches: recorded });
    expect(p.costs.hrtimer_irq).toMatchObject({ value: want, source: 'derived' });
    expect(p.costs.hrtimer_irq.spread?.p50).toBe(nearestRank(s.get(1)!));
  });

  it('without the bench the cost keeps its default (0)', () => {
    const b = new Map(recorded);
    b.delete('hrtimer-irq');
    const p = fitProfile({ name: 'x', description: 'x', host, benches: b });
    expect(p.costs.hrtimer_irq).toMatchObject({ value: 0, source: 'default' });
  });
});

describe('fit: flush_tlb_func from the tlb-target bench', { timeout: 20_000 }, () => {
  it('is in the suite, and is median(X=1) - median(X=0), derived', () => {
    expect(SUITE.some((b) => b.key === 'tlb-target' && b.args[0] === 'tlb-target')).toBe(true);
    const s = recorded.get('tlb-target')!.samples;
    expect([...s.keys()].sort()).toEqual([0, 1]);
    const want = nearestRank(s.get(1)!) - nearestRank(s.get(0)!);
    expect(want).toBeGreaterThan(1000);
    const p = fitProfile({ name: 'x', description: 'x', host, benches: recorded });
    expect(p.costs.flush_tlb_func).toMatchObject({ value: want, source: 'derived' });
  });

  it('without the bench the cost keeps its default (0)', () => {
    const b = new Map(recorded);
    b.delete('tlb-target');
    const p = fitProfile({ name: 'x', description: 'x', host, benches: b });
    expect(p.costs.flush_tlb_func).toMatchObject({ value: 0, source: 'default' });
  });
});
