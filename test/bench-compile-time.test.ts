/**
 * bench/compile-time.ts: the parser of V8's `--trace-opt --trace-deopt`
 * lines and the per-function, per-isolate sums, on lines recorded from
 * `node --trace-opt --trace-deopt --redirect-code-traces bin/faultline.js run
 * android-app --strategy all --seeds 16 --jobs 2` (test/fixtures/compile-time:
 * one file per isolate, lines kept verbatim, among them a line that another
 * thread's line broke in two and `--trace-deopt-verbose` frame lines).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTable, parseTrace, summarise } from '../bench/compile-time.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'compile-time');
const isolate = (i: number): string => readFileSync(join(FIXTURES, `isolate-${i}.asm`), 'utf8');

describe('bench compile-time', () => {
  it('parses compiles (OSR, aborted), deopts and batch marks; skips the rest', () => {
    const t = parseTrace(isolate(0));
    expect(t.compiles.map((c) => [c.name, c.osr, c.aborted])).toEqual([
      ['next', false, false], ['next', false, false], ['next', false, false],
      ['do_user_addr_fault', false, false], ['do_user_addr_fault', false, false],
      ['loop', true, false], ['<instance_members_initializer>', false, false], ['summariseRuns', true, true],
    ]);
    expect(t.compiles[2]!.phases).toEqual([0.009, 259.008, 0.138]);
    expect(t.compiles[2]!.sfi).toBe('0x1ba7f43d521');
    expect(t.deopts).toEqual([
      { kind: 'deopt-eager', reason: 'Insufficient type feedback for generic named access', name: 'next', sfi: '0x1ba7f43d521' },
      { kind: 'deopt-eager', reason: 'Insufficient type feedback for generic named access', name: 'do_user_addr_fault', sfi: '0x15ad0a360b09' },
    ]); // the broken "marking dependent code" line is not counted
    // Two functions named next: labelled in order of first appearance.
    expect(t.labels.get('next/0x198878d8db89')).toBe('next');
    expect(t.labels.get('next/0x1ba7f43d521')).toBe('next#2');
    const t1 = parseTrace(isolate(1));
    expect(t1.deopts.map((d) => `${d.name} ${d.kind}: ${d.reason}`)).toEqual([
      'lock_folio_maybe_drop_mmap deopt-eager: wrong call target', 'do_anonymous_page_write dependent: code dependencies',
    ]);
  });

  it('sums per function and per isolate, ranked by total ms', () => {
    const s = summarise([parseTrace(isolate(0)), parseTrace(isolate(1))]);
    expect(s.isolates).toEqual([
      { compiles: 7, aborted: 1, deopts: 2, totalMs: 569.816 },
      { compiles: 2, aborted: 0, deopts: 1, totalMs: 200.82 },
    ]);
    expect(s.functions.map((f) => f.label)).toEqual([
      'do_user_addr_fault', 'next#2', 'summariseRuns', 'loop', '<instance_members_initializer>', 'next',
      'do_anonymous_page_write', 'lock_folio_maybe_drop_mmap',
    ]);
    const duaf = s.functions[0]!;
    expect(duaf).toMatchObject({ compiles: 3, osr: 0, aborted: 0, perIsolateCompiles: [2, 1], perIsolateMs: [243.527, 200.331] });
    expect(duaf.totalMs).toBe(443.858);
    expect(duaf.phasesMs).toEqual([0.025, 443.487, 0.346]);
    expect(duaf.deopts).toEqual({ 'deopt-eager: Insufficient type feedback for generic named access': 1 });
    expect(s.functions.find((f) => f.label === 'summariseRuns')).toMatchObject({ compiles: 0, aborted: 1, osr: 0, totalMs: 57.831 });
    expect(s.functions.find((f) => f.label === 'loop')).toMatchObject({ compiles: 1, osr: 1 });
    // next and next#2 are matched across isolates by label: isolate 1's first next is `next`.
    expect(s.functions.find((f) => f.label === 'next')).toMatchObject({ compiles: 2, perIsolateCompiles: [1, 1] });
  });

  it('prints a ranked markdown table of the top rows', () => {
    const table = formatTable(summarise([parseTrace(isolate(0)), parseTrace(isolate(1))]), 2).split('\n');
    expect(table[0]).toBe('isolate 0: 7 compiles, 1 aborted, 2 deopts, 569.8 ms compiling');
    expect(table[1]).toBe('isolate 1: 2 compiles, 0 aborted, 1 deopts, 200.8 ms compiling');
    expect(table).toHaveLength(6);
    expect(table[4]).toBe('| 1 | do_user_addr_fault | 443.9 | 57.6 | 3 | 243.5 / 200.3 | 0.0 / 443.5 / 0.3 | 1x deopt-eager: Insufficient type feedback for generic named access |');
    expect(table[5]!.startsWith('| 2 | next#2 | 262.7 |')).toBe(true);
  });
});
