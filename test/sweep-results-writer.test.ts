/**
 * ResultsWriter: each line is in the file as soon as append returns (what
 * lets kill -9 lose no finished run), with fsyncs batched (at most one per
 * FSYNC_INTERVAL_MS, and one at close).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ResultsWriter } from '../src/sweep/results.js';

const dir = mkdtempSync(join(tmpdir(), 'faultline-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ResultsWriter', () => {
  it('has every appended line in the file before close, and all of them after', () => {
    const path = join(dir, 'r.jsonl');
    const w = new ResultsWriter(path, '{"h":1}', null);
    for (let i = 0; i < 50; i++) {
      w.append(`{"run":${i}}`);
      expect(readFileSync(path, 'utf8').split('\n')).toHaveLength(i + 3);
    }
    w.close();
    expect(readFileSync(path, 'utf8')).toBe(['{"h":1}', ...Array.from({ length: 50 }, (_, i) => `{"run":${i}}`)].join('\n') + '\n');
  });

  it('resumes after a torn line: truncates to the intact bytes, then appends', () => {
    const path = join(dir, 'r2.jsonl');
    const w = new ResultsWriter(path, '{"h":2}', null);
    w.append('{"run":0}');
    w.close();
    const intact = readFileSync(path).length;
    const w2 = new ResultsWriter(path, '{"h":2}', { intactBytes: intact });
    w2.append('{"run":1}');
    w2.close();
    expect(readFileSync(path, 'utf8')).toBe('{"h":2}\n{"run":0}\n{"run":1}\n');
  });
});
