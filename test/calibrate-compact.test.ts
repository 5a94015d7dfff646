/**
 * What `faultline calibrate --record` keeps of a bench's output, and
 * `calibrate --compact DIR` (src/calibrate/compact.ts): the samples as counts
 * per value (`c X NS K`) for every bench whose fit reads no order, as printed
 * for the two that do (anon-write, mprotect-split); the fit reads the same
 * from either, and old full recordings stay readable. No root needed.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compactBenchOutput, parseBenchOutput, type BenchSamples } from '../src/calibrate/bench-output.js';
import { samplesDiffer } from '../src/calibrate/compact.js';
import type { BenchSet } from '../src/calibrate/fit.js';
import { renderProfile } from '../src/calibrate/profile.js';
import { fitRounds } from '../src/calibrate/rounds.js';
import { BENCHES_AFTER_SHIPPED_ROUNDS, CALIB_FIXTURES, calibRounds } from '../src/calibrate/shipped.js';
import { recordedText, SUITE } from '../src/calibrate/suite.js';
import { repoRoot } from '../src/scenario/files.js';
import { cli } from './cli-helpers.js';

const RAW = ['bench b', 's 0 30', 's 0 10', '# a note', 's 5 7', 's 0 30', 's 5 7', 's 0 20', '# another', 'end b', ''].join('\n');

describe('compactBenchOutput', () => {
  it('writes each value\'s count per X, X in the order first measured, values ascending, the notes kept', () => {
    expect(compactBenchOutput(RAW)).toBe(['bench b', '# a note', '# another', 'c 0 10 1', 'c 0 20 1', 'c 0 30 2', 'c 5 7 2', 'end b', ''].join('\n'));
  });

  it('parses back to the same samples per X (as a multiset), the same X order and notes; idempotent', () => {
    const a = parseBenchOutput(RAW), c = parseBenchOutput(compactBenchOutput(RAW));
    expect([...c.samples.keys()]).toEqual([0, 5]);
    expect(c.samples.get(0)).toEqual([10, 20, 30, 30]);
    expect(c.notes).toEqual(['a note', 'another']);
    expect(samplesDiffer(a, c, false)).toBeNull();
    expect(samplesDiffer(a, c, true)).toBe('the samples at X = 0');
    expect(compactBenchOutput(compactBenchOutput(RAW))).toBe(compactBenchOutput(RAW));
  });

  it('a `c` line must have a count of at least 1 and nothing more', () => {
    for (const bad of ['c 0 10 0', 'c 0 10', 'c 0 10 1.5', 'c 0 -1 2', 'c 0 10 2 3']) {
      expect(() => parseBenchOutput(`bench b\n${bad}\nend b\n`)).toThrow(/bad sample count/);
    }
    expect(() => parseBenchOutput('c 0 10 1\nbench b\nend b\n')).toThrow(/before the "bench" line/);
  });

  it('--record keeps anon-write and mprotect-split as printed (their fit reads the order), compacts the rest', () => {
    expect(SUITE.filter((b) => b.ordered === true).map((b) => b.key)).toEqual(['anon-write', 'mprotect-split']);
    const text = RAW.replace(/\bb\b/g, 'x');
    expect(recordedText('anon-write', text)).toBe(text);
    expect(recordedText('mprotect-split', text)).toBe(text);
    expect(recordedText('tlb-remote', text)).toBe(compactBenchOutput(text));
    expect(recordedText('not-a-bench', text)).toBe(text);
  });
});

/** A bench's samples written back as `s` lines, each X's samples in a shuffled order (a fixed LCG). */
function rawShuffled(b: BenchSamples, seed: number): string {
  let s = seed;
  const rnd = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const lines = [`bench ${b.bench}`, ...b.notes.map((n) => `# ${n}`)];
  for (const [x, v] of b.samples) {
    const w = [...v];
    for (let i = w.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [w[i], w[j]] = [w[j]!, w[i]!];
    }
    for (const ns of w) lines.push(`s ${x} ${ns}`);
  }
  return [...lines, `end ${b.bench}`, ''].join('\n');
}

describe('the shipped fixtures (test/fixtures/calibrate, five rounds)', { timeout: 20_000 }, () => {
  const dir = join(repoRoot(), CALIB_FIXTURES);

  it('are recorded as --record writes them now: counts, but for the two ordered benches', () => {
    for (const r of readdirSync(dir).filter((f) => f.startsWith('round-'))) {
      for (const spec of SUITE.filter((b) => !BENCHES_AFTER_SHIPPED_ROUNDS.has(b.key))) {
        const text = readFileSync(join(dir, r, `${spec.key}.txt`), 'utf8');
        expect(text.split('\n').some((l) => l.startsWith('s ')), `${r}/${spec.key}`).toBe(spec.ordered === true);
        expect(recordedText(spec.key, text)).toBe(text);
      }
    }
  });

  it('fit to the same profile when every unordered bench\'s samples come in any order within X (a full recording, as printed)', () => {
    const rounds = calibRounds().slice(0, 3); // three rounds: the median of rounds is in play, at half the CPU of five
    const fit = (rs: BenchSet[]) => renderProfile(fitRounds({ name: 'c', description: 'd', host: null, rounds: rs }));
    const shuffled = rounds.map((r, k) => new Map([...r].map(([key, b]) => {
      const ordered = SUITE.find((s) => s.key === key)?.ordered === true;
      return [key, ordered ? b : parseBenchOutput(rawShuffled(b, 7 + k))];
    })));
    expect(samplesDiffer(shuffled[0]!.get('tlb-remote')!, rounds[0]!.get('tlb-remote')!, true)).not.toBeNull();
    expect(fit(shuffled)).toBe(fit(rounds));
  });
});

describe('faultline calibrate --compact DIR (no root)', () => {
  it('rewrites a full recording of rounds in place, smaller, to the same profile; refuses other options', { timeout: 20_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'faultline-compact-test-'));
    try {
      const rec = join(tmp, 'rec');
      cpSync(join(repoRoot(), 'test/fixtures/calibrate-rounds'), rec, { recursive: true });
      const size = (d: string) => readdirSync(d, { recursive: true }).map(String).filter((f) => f.endsWith('.txt')).reduce((n, f) => n + statSync(join(d, f)).size, 0);
      const before = size(rec);
      const a = join(tmp, 'a.yaml'), b = join(tmp, 'b.yaml');
      expect((await cli('calibrate', '--from', rec, '--name', 'x', '--out', a)).code).toBe(0);
      const r = await cli('calibrate', '--compact', rec);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/: 60 bench outputs in 3 round\(s\), 0\.8\d MB -> 0\.3\d MB; the profile fitted from them is the same\n$/);
      expect(size(rec)).toBeLessThan(before / 2);
      expect(readFileSync(join(rec, 'round-1', 'getppid.txt'), 'utf8')).toMatch(/^c 0 \d+ \d+$/m);
      expect(readFileSync(join(rec, 'round-1', 'anon-write.txt'), 'utf8')).toBe(readFileSync(join(repoRoot(), 'test/fixtures/calibrate-rounds/round-1/anon-write.txt'), 'utf8'));
      expect((await cli('calibrate', '--from', rec, '--name', 'x', '--out', b)).code).toBe(0);
      expect(readFileSync(b, 'utf8')).toBe(readFileSync(a, 'utf8'));
      // again: nothing left to compact
      expect((await cli('calibrate', '--compact', rec)).stdout).toMatch(/0\.\d\d MB -> 0\.\d\d MB/);
      const bad = await cli('calibrate', '--compact', rec, '--from', rec);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/--compact DIR: on its own/);
      const none = await cli('calibrate', '--compact', tmp);
      expect(none.code).not.toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
