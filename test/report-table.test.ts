import { describe, expect, it } from 'vitest';
import type { RunMetrics } from '../src/metrics/index.js';
import { compare, renderJson, renderTable, type RunInfo } from '../src/report/index.js';
import { fakeRun } from './report-fixtures.js';
import { golden } from './golden.js';

const info: RunInfo = { name: 'synthetic', source: '<test>', seed: 1, seeds: 2, duration: 101_000_000, warmup: 1_000_000 };

function synthetic() {
  const runs: RunMetrics[] = [];
  for (const [fault, ks] of [['mainline', [1, 1.2]], ['hold-io', [2, 3]], ['retry-vma+uptodate-skip', [0.5, 0.6]]] as const) {
    ks.forEach((k, i) => runs.push(fakeRun(fault, i + 1, k, { forkOp: false, writeWaits: fault === 'retry-vma+uptodate-skip' && i === 0 ? 0 : 2 })));
  }
  return compare(runs);
}

describe('plain-text table', () => {
  it('matches the golden file', () => {
    golden('table-synthetic.txt', renderTable(synthetic(), info));
  });

  it('cells: value ±spread ratio; no ratio in mainline column; empty rows skipped', () => {
    const text = renderTable(synthetic(), info);
    const row = text.split('\n').find((l) => l.startsWith('  USER_INTERACTIVE p99 '))!;
    // mainline 10us/12us -> 11.0us ±9%; hold-io 20/30us -> 25.0us ±20% 2.27x; retry 5/6us -> 5.50us ±9% 0.50x
    expect(row.split(/\s{2,}/).filter(Boolean)).toEqual(['USER_INTERACTIVE p99', '11.0us ±9%', '25.0us ±20% 2.27x', '5.50us ±9%', '0.50x']);
    expect(text).not.toMatch(/fork (count|p50)/);
    expect(text).toContain('(1/2)');
    expect(text).toContain('  mainline / fork-lock-all: 3 tasks (seed 1, at 5.00ms): main -> HeapTaskDaemon -> bg0 -> io');
  });

  it('one seed: no spread', () => {
    const text = renderTable(compare([fakeRun('mainline', 7, 1), fakeRun('hold-io', 7, 2)]), { ...info, seed: 7, seeds: 1 });
    expect(text).not.toContain('±');
    expect(text).toContain('seed 7');
    expect(text).toMatch(/fork p50 +2\.00ms +4\.00ms +2\.00x/);
  });

  it('JSON is stable and parses', () => {
    const a = renderJson(synthetic(), info, '0.1.0');
    expect(renderJson(synthetic(), info, '0.1.0')).toBe(a);
    const doc = JSON.parse(a) as { faultline: string; scenario: unknown; combinations: Array<{ fault: string; runs: unknown[] }> };
    expect(doc.faultline).toBe('0.1.0');
    expect(doc.scenario).toMatchObject({ name: 'synthetic', seed: 1, seeds: 2 });
    expect(doc.combinations.map((c) => [c.fault, c.runs.length])).toEqual([['mainline', 2], ['hold-io', 2], ['retry-vma+uptodate-skip', 2]]);
  });
});
