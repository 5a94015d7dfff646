/** `--format lkml`: every line of the mail-ready table fits 72 columns, whatever the input. */
import { describe, expect, it } from 'vitest';
import { compare, LKML_WIDTH, renderLkml, renderTable, wrap, type RunInfo } from '../src/report/index.js';
import { cli } from './cli-helpers.js';
import { fakeRun } from './report-fixtures.js';
import { golden } from './golden.js';

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

  it('five strategies: figures in blocks, the spread table side by side with numbered columns', () => {
    const faults = ['mainline', 'hold-io', 'retry-vma', 'fallback-flag', 'pre-vma'];
    const runs = faults.flatMap((f, i) => [1, 2, 3].map((s) => fakeRun(f, s, (1 + i / 4) * (1 + s / 5))));
    const text = renderLkml(compare(runs), info);
    const w = widest(text);
    expect(w.width, w.line).toBeLessThanOrEqual(LKML_WIDTH);
    const lines = text.split('\n');
    expect(lines.filter((l) => /^ +#1 +#2 +#3 +#4 +#5$/.test(l))).toHaveLength(1);
    expect(text.replace(/\n +/g, " ")).toMatch(/^columns: #1 mainline, #2 hold-io, #3 retry-vma, #4 fallback-flag, #5 pre-vma\.$/m);
    // The UI fault p99 spread of every strategy on one line: k = 1.2, 1.4, 1.6 -> ±14%.
    const spreadRows = lines.slice(lines.findIndex((l) => l.startsWith('spread over seeds')));
    expect(spreadRows.find((l) => l.startsWith('  UI p99 '))).toMatch(/^ {2}UI p99( +±14%){5}$/);
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

  it('3 strategies side by side (golden): one header line names all three, spread in a second table', async () => {
    const r = await cli('run', 'android-app', '--strategy', 'mainline,retry-vma,hold-io', '--seeds', '3', '--format', 'lkml');
    expect(r.code).toBe(0);
    golden('lkml-android-app-3.txt', r.stdout);
    const w = widest(r.stdout);
    expect(w.width, w.line).toBeLessThanOrEqual(LKML_WIDTH);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => /^ +mainline +retry-vma +hold-io$/.test(l))).toHaveLength(2); // figures, then spreads
    // Each figure is one line: the UI fault p99 of the three strategies side by side.
    expect(lines.find((l) => l.startsWith('  UI p99 '))).toMatch(/^ {2}UI p99 +145us +145us 1\.00x +142us 0\.98x$/);
    // What differs comes first, and is marked in the table.
    expect(lines[3]).toMatch(/^what differs from mainline/);
    expect(lines.find((l) => l.startsWith('  read acquisitions'))).toMatch(/0\.05x\* +19 0\.05x\*$/);
    expect(r.stdout).toMatch(/^spread over seeds/m);
  }, 60_000);

  it('2 strategies (golden): the spread stays in the cells', async () => {
    const r = await cli('run', 'android-app', '--strategy', 'mainline,hold-io', '--seeds', '3', '--format', 'lkml');
    expect(r.code).toBe(0);
    golden('lkml-android-app-2.txt', r.stdout);
    expect(r.stdout).not.toMatch(/^spread over seeds/m);
    expect(r.stdout.split('\n').find((l) => l.startsWith('  UI p99 '))).toMatch(/^ {2}UI p99 +145us ±5% +142us ±5% +0\.98x$/);
  }, 60_000);

  it('--format json is --json', async () => {
    const a = await cli('run', 'tiny', '--duration', '30ms', '--format', 'json');
    const b = await cli('run', 'tiny', '--duration', '30ms', '--json');
    expect(a.stdout).toBe(b.stdout);
  });
});
