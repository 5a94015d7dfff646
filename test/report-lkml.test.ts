/** `--format lkml`: every line of the mail-ready table fits 72 columns, whatever the input. */
import { describe, expect, it } from 'vitest';
import { compare, LKML_WIDTH, renderLkml, renderTable, wrap, type RunInfo } from '../src/report/index.js';
import { cli } from './cli-helpers.js';
import { fakeRun } from './report-fixtures.js';

function widest(text: string): { width: number; line: string } {
  let best = { width: 0, line: '' };
  for (const line of text.split('\n')) if (line.length > best.width) best = { width: line.length, line };
  return best;
}

const info: RunInfo = { name: 'synthetic', source: 'test/report-fixtures.ts', seed: 1, seeds: 3, duration: 101_000_000, warmup: 1_000_000 };

describe('lkml table', () => {
  it('fits 72 columns with many combinations, long options, long names and chains', () => {
    const faults = ['mainline', 'retry-vma+uptodate-skip+writeback-aware', 'hold-io', 'fallback-flag', 'pre-vma'];
    const forks = ['fork-lock-all', 'fork-lock-anon-vma'];
    const runs = forks.flatMap((fork) => faults.flatMap((f, i) => [1, 2, 3].map((s) => {
      const r = fakeRun(f, s, 1 + i / 3 + s / 100, { fork });
      r.inversion.longestChain = { length: 9, chain: Array.from({ length: 9 }, (_, k) => `a-very-long-thread-name-number-${k}`).join(' -> '), at: 12345678 };
      return r;
    })));
    const long = { ...info, name: 'a-scenario-with-a-name-much-longer-than-one-would-expect-in-a-mail', source: 'some/deep/directory/tree/that/goes/on/and/on/scenario.yaml' };
    const text = renderLkml(compare(runs), long);
    const w = widest(text);
    expect(w.width, w.line).toBeLessThanOrEqual(LKML_WIDTH);
    // Every combination appears, each block repeats the row labels.
    for (const f of ['mainline', 'retry-vma', '+uptodate-skip', '+writeback-aware', 'hold-io', 'fallback-flag', 'pre-vma']) expect(text).toContain(f);
    expect(text.match(/^fault latency/gm)!.length).toBeGreaterThan(1);
    // The legend explains the abbreviations.
    expect(text).toMatch(/UI = USER_INTERACTIVE/);
    expect(text).toMatch(/BG = BACKGROUND/);
  });

  it('has the same cells as the plain table', () => {
    const runs = [1, 2].flatMap((s) => [fakeRun('mainline', s, 1), fakeRun('hold-io', s, 2)]);
    const plain = renderTable(compare(runs), info);
    const mail = renderLkml(compare(runs), info);
    const cellsOf = (t: string) => [...t.matchAll(/[0-9.]+(?:ns|us|ms|s)? ±[0-9<]+%/g)].map((m) => m[0]).sort();
    expect(cellsOf(mail)).toEqual(cellsOf(plain));
  });

  it('wrap() breaks at spaces and splits words longer than a line', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc']);
    expect(wrap('x'.repeat(20), 8)).toEqual(['xxxxxxxx', 'xxxxxxxx', 'xxxx']);
    expect(wrap('  lead then more words', 12, '    ').every((l) => l.length <= 12)).toBe(true);
  });

  it('faultline run --format lkml on real runs: every line <= 72, for every strategy and fork', async () => {
    const r = await cli('run', 'tiny', '--strategy', 'all', '--fork', 'all', '--seeds', '2', '--duration', '40ms', '--format', 'lkml');
    expect(r.code).toBe(0);
    const w = widest(r.stdout);
    expect(w.width, w.line).toBeLessThanOrEqual(LKML_WIDTH);
    const bad = await cli('run', 'tiny', '--format', 'html');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format: expected text, lkml or json/);
  });

  it('--format json is --json', async () => {
    const a = await cli('run', 'tiny', '--duration', '30ms', '--format', 'json');
    const b = await cli('run', 'tiny', '--duration', '30ms', '--json');
    expect(a.stdout).toBe(b.stdout);
  });
});
