/**
 * "What differs from mainline" (docs/metrics.md): the rule on hand-made
 * summaries, then on synthetic runs whose medians and ranges are known.
 */
import { describe, expect, it } from 'vitest';
import { chanceOneIn, compare, DIFFERS_THRESHOLD, differsRule, differs, renderSummary, renderTable, summarise, whatDiffers, type RunInfo } from '../src/report/index.js';
import { fakeRun } from './report-fixtures.js';

describe('differs(): ratio outside [1/(1+t), 1+t] and seed ranges apart', () => {
  const ref = summarise([100, 105, 110]);
  it('the threshold: a consistent 9% shift is not a difference, 12% is', () => {
    expect(DIFFERS_THRESHOLD).toBe(0.1);
    expect(differs(summarise([114, 114.5, 115]), ref)).toBe(false); // ratio 1.09, ranges apart
    expect(differs(summarise([117, 117.6, 118]), ref)).toBe(true); // ratio 1.12, ranges apart
    expect(differs(summarise([96.5, 97, 97.5]), ref)).toBe(false); // ratio 0.924 >= 1/1.1
    expect(differs(summarise([90, 91, 92]), ref)).toBe(true); // ratio 0.867 < 1/1.1
  });
  it('ranges that overlap or touch do not differ, however large the ratio', () => {
    expect(differs(summarise([50, 200, 300]), ref)).toBe(false); // ratio 1.9, overlaps at 50..110
    expect(differs(summarise([110, 200, 300]), ref)).toBe(false); // touches at 110
    expect(differs(summarise([111, 200, 300]), ref)).toBe(true);
    expect(differs(summarise([10, 20, 99]), ref)).toBe(true); // below, apart
  });
  it('the chance of ranges apart for an unchanged figure: 2 / C(2n, n)', () => {
    expect([2, 3, 4, 5, 10].map(chanceOneIn)).toEqual([3, 10, 35, 126, 92378]);
    expect(differsRule(1000)).toContain('(by chance alone: under 1 unchanged figure in 10^9)');
  });
  it('one seed: the threshold alone', () => {
    expect(differs(summarise([120]), summarise([100]))).toBe(true);
    expect(differs(summarise([109]), summarise([100]))).toBe(false);
  });
  it('a mainline median of 0 has no ratio: never a difference', () => {
    expect(differs(summarise([5, 6, 7]), summarise([0, 0, 0]))).toBe(false);
  });
});

describe('whatDiffers on synthetic runs', () => {
  // fakeRun latencies scale with k: mainline k = 1, 1.05; hold-io k = 2, 2.2 (apart, 2x);
  // noisy k = 0.5, 1.5 (median 1x, overlapping); retry k = 0.5, 0.55 (apart, 0.5x).
  const runs = [
    ...[1, 1.05].map((k, i) => fakeRun('mainline', i + 1, k)),
    ...[2, 2.2].map((k, i) => fakeRun('hold-io', i + 1, k)),
    ...[0.5, 1.5].map((k, i) => fakeRun('noisy', i + 1, k)),
    ...[0.5, 0.55].map((k, i) => fakeRun('retry-vma', i + 1, k)),
  ];
  const diffs = whatDiffers(compare(runs));

  it('one entry per combination but mainline, sorted by |ln ratio|', () => {
    expect(diffs.map((d) => d.combo.fault)).toEqual(['hold-io', 'noisy', 'retry-vma']);
    const hold = diffs[0]!;
    expect(hold.differences.length).toBeGreaterThan(5);
    expect(hold.differences.map((d) => d.figure)).toContain('ops.USER_INTERACTIVE.fault.p99');
    for (let i = 1; i < hold.differences.length; i++) expect(hold.differences[i - 1]!.effect).toBeGreaterThanOrEqual(hold.differences[i]!.effect);
    const p99 = hold.differences.find((d) => d.figure === 'ops.USER_INTERACTIVE.fault.p99')!;
    expect(p99.ratio).toBeCloseTo(2.1 / 1.025, 9);
    expect(p99.label).toBe('fault USER_INTERACTIVE p99');
    // Counts that did not move (fault count 100 everywhere) are not there.
    expect(hold.differences.map((d) => d.figure)).not.toContain('ops.USER_INTERACTIVE.fault.count');
  });

  it('overlapping seeds: nothing differs, however far the medians', () => {
    expect(diffs[1]!.differences).toEqual([]);
    expect(diffs[1]!.compared).toBe(diffs[0]!.compared);
  });

  it('the summary names each combination, the rule and the largest effects first', () => {
    const lines = renderSummary(diffs, { seeds: 2, limit: 3 });
    expect(lines[0]).toMatch(/^what differs from mainline .*outside 0\.91x\.\.1\.10x and the min\.\.max ranges over the 2 seeds apart \(by chance alone: 1 unchanged figure in 3\)/);
    const text = lines.join('\n');
    expect(text).toMatch(/ {2}noisy \/ fork-lock-all: no figure differs \(of \d+ compared\)/);
    expect(text).toMatch(/ {2}retry-vma \/ fork-lock-all: \d+ figures differ/);
    expect(text).toMatch(/ {4}and \d+ more/);
    // The table starts with the summary.
    const info: RunInfo = { name: 'synthetic', source: '<test>', seed: 1, seeds: 2, duration: 101_000_000, warmup: 1_000_000 };
    const table = renderTable(compare(runs), info).split('\n');
    expect(table[2]).toBe(lines[0]);
  });

  it('no mainline with that fork strategy: said so, nothing compared', () => {
    const d = whatDiffers(compare([fakeRun('mainline', 1, 1), fakeRun('hold-io', 1, 2, { fork: 'fork-lock-none' })]));
    expect(d[0]!.reference).toBeNull();
    expect(renderSummary(d, { seeds: 1 }).join('\n')).toContain('hold-io / fork-lock-none: no mainline with fork strategy fork-lock-none, nothing compared');
  });
});
