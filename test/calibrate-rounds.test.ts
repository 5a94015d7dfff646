/**
 * `faultline calibrate --rounds N` (src/calibrate/rounds.ts): a fit of several
 * rounds is each cost's median over the rounds' own fits. The fixture
 * (test/fixtures/calibrate-rounds/round-1..3) is 20 benches of three fits
 * recorded one minute apart on the idle calibration host (15:11-15:15 UTC,
 * 2026-12-07, load 0.78 at the first), where single fits disagreed by up to
 * 5x on some costs. No root needed.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchSamples } from '../src/calibrate/bench-output.js';
import { fitProfile } from '../src/calibrate/fit.js';
import { parseProfile, renderProfile } from '../src/calibrate/profile.js';
import { fitRounds, medianIndex, poolRounds, roundProbes } from '../src/calibrate/rounds.js';
import { readRounds } from '../src/calibrate/suite.js';
import { COST_NAMES } from '../src/model/cost.js';
import { repoRoot } from '../src/scenario/files.js';
import { cli } from './cli-helpers.js';

const dir = join(repoRoot(), 'test/fixtures/calibrate-rounds');
const rounds = () => readRounds([dir]).map((r) => r.benches);
const base = { name: 'r', description: 'd', host: null };

describe('medianIndex', () => {
  it('is the middle of an odd count, the lower middle of an even one, the earliest on a tie', () => {
    expect(medianIndex([30, 10, 20])).toBe(2);
    expect(medianIndex([40, 10, 30, 20])).toBe(3); // sorted 10 20 30 40: the lower middle, 20
    expect(medianIndex([5, 5, 5])).toBe(1); // ties keep round order: 0 1 2 -> 1
    expect(medianIndex([7])).toBe(0);
    expect(() => medianIndex([])).toThrow();
  });
});

describe('poolRounds', () => {
  it('concatenates each parameter value\'s samples in round order', () => {
    const b = (s: Array<[number, number[]]>) => new Map([['k', { bench: 'k', samples: new Map(s), notes: [] }]]);
    const p = poolRounds([b([[0, [1, 2]], [5, [9]]]), b([[0, [3]], [7, [4]]])]);
    expect([...p.get('k')!.samples.entries()]).toEqual([[0, [1, 2, 3]], [5, [9]], [7, [4]]]);
  });
});

describe('fitRounds on three recorded fits', { timeout: 20_000 }, () => {
  it('reads round-1..3 in order', () => {
    expect(readRounds([dir]).length).toBe(3);
  });

  it('gives every cost exactly the median of the rounds\' own values, and keeps them', () => {
    const rs = rounds();
    const per = rs.map((benches) => fitProfile({ ...base, benches }));
    const p = fitRounds({ ...base, rounds: rs });
    for (const n of COST_NAMES) {
      const vals = per.map((q) => q.costs[n].value);
      if (per.every((q) => q.costs[n].source === 'default')) {
        expect(p.costs[n].rounds).toBeUndefined();
        expect(p.costs[n].value).toBe(vals[0]);
        continue;
      }
      expect(p.costs[n].rounds).toEqual(vals);
      expect(p.costs[n].value).toBe([...vals].sort((a, b) => a - b)[1]);
    }
  });

  it('drops the round a slow episode hit (the recorded figures)', () => {
    const p = fitRounds({ ...base, rounds: rounds() });
    // fork-vmas at X = 0 was 72.8 us in the first fit, 47.6 and 49.8 us in the next two.
    expect(p.costs.copy_process.rounds).toEqual([73357, 46942, 49403]);
    expect(p.costs.copy_process.value).toBe(49403);
    // the third fit's back-to-back swap-in median was 6.54 us (5.30, 5.34 us in the others).
    expect(p.costs.swapin_fault_after_sleep.rounds).toEqual([1834, 1482, 320]);
    expect(p.costs.swapin_fault_after_sleep.value).toBe(1482);
    expect(p.costs.anon_vma_fork.rounds).toEqual([825, 515, 497]);
    expect(p.costs.anon_vma_fork.value).toBe(515);
    expect(p.costs.tick_sched_timer.value).toBe(17436);
    // the cost's details are the median round's
    expect(p.costs.copy_process.fit).toEqual(fitProfile({ ...base, benches: rounds()[2]! }).costs.copy_process.fit);
    expect(p.costs.copy_process.from).toMatch(/\[the median of 3 rounds: round 3's fit\]$/);
  });

  it('leaves out of a cost\'s median a round that fitted nothing for it (its default)', () => {
    // Rounds 2 and 3 with an anon-write sequence of no slow fault: no lru_add period, folio_batch_move_lru
    // at its default (0) there. Counted as measurements, the two zeros would be the median; left out, round 1's.
    const flat = (r: ReadonlyMap<string, BenchSamples>) => new Map([...r, ['anon-write', { bench: 'anon-write', samples: new Map([[0, Array.from({ length: 3000 }, () => 1_500)]]), notes: [] }]]);
    const rs = rounds();
    const one = fitProfile({ ...base, benches: rs[0]! }).costs.folio_batch_move_lru;
    expect(one.source).toBe('derived');
    const p = fitRounds({ ...base, rounds: [rs[0]!, flat(rs[1]!), flat(rs[2]!)] });
    expect(p.costs.folio_batch_move_lru.rounds).toEqual([one.value, 0, 0]);
    expect(p.costs.folio_batch_move_lru).toMatchObject({ value: one.value, source: 'derived' });
    expect(p.costs.folio_batch_move_lru.from).toMatch(/\[the median of the 1 round that fitted it \(round 2, round 3: the default, left out\): round 1's fit\]$/);
    // Every round at its default: the default, no rounds.
    const none = fitRounds({ ...base, rounds: rs.map(flat) });
    expect(none.costs.folio_batch_move_lru.source).toBe('default');
    expect(none.costs.folio_batch_move_lru.rounds).toBeUndefined();
  });

  it('takes the measurements from the rounds\' samples pooled', () => {
    const rs = rounds();
    const p = fitRounds({ ...base, rounds: rs });
    expect(p.measurements).toEqual(fitProfile({ ...base, benches: poolRounds(rs) }).measurements);
    expect(p.measurements.syscall_floor!.spread!.n).toBe(6000);
  });

  it('flags the round whose host probe is off the rounds\' median by more than 15 %', () => {
    const probe = roundProbes(rounds());
    expect(probe.map((r) => r.outside)).toEqual([false, false, true]);
    expect(probe[2]!.ratios.syscall_floor).toBe(180 / 220); // getppid medians 230, 220, 180 ns
    expect(Object.keys(probe[0]!.ratios)).toEqual(['syscall_floor', 'anon_write_fault', 'cached_fault', 'major_fault']);
  });

  it('of one round is that round\'s fit, unchanged', () => {
    const r1 = rounds()[0]!;
    expect(fitRounds({ ...base, rounds: [r1] })).toEqual(fitProfile({ ...base, benches: r1 }));
  });

  it('round-trips through the profile\'s YAML with its rounds', () => {
    const p = fitRounds({ ...base, rounds: rounds() });
    const text = renderProfile(p);
    const q = parseProfile(text, 'rounds');
    expect(q.costs.copy_process.rounds).toEqual([73357, 46942, 49403]);
    expect(q.rounds?.count).toBe(3);
    expect(q.rounds?.probe.map((r) => r.outside)).toEqual([false, false, true]);
    expect(renderProfile(q)).toBe(text);
  });
});

describe('faultline calibrate --from with rounds (no root)', () => {
  it('fits a recording of rounds, or several recordings as rounds, to the same profile', { timeout: 20_000 }, async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'faultline-rounds-test-'));
    try {
      const a = join(tmp, 'a.yaml'), b = join(tmp, 'b.yaml');
      const r1 = await cli('calibrate', '--from', dir, '--name', 'x', '--out', a);
      expect(r1.code).toBe(0);
      expect(r1.stdout).toMatch(/rounds min-max/);
      expect(r1.stdout).toMatch(/copy_process\s+49\.4us\s.*46\.9us-73\.4us\s+fit/);
      expect(r1.stdout).toMatch(/round 3: syscall_floor 0\.82.*outside/);
      // the rounds as three recordings of one round each, in another order: round-10 sorts after round-2
      for (const [from, to] of [['round-1', 'round-1'], ['round-2', 'round-2'], ['round-3', 'round-10']] as const) {
        mkdirSync(join(tmp, 'rec', to), { recursive: true });
        cpSync(join(dir, from), join(tmp, 'rec', to), { recursive: true });
      }
      const r2 = await cli('calibrate', '--from', join(dir, 'round-1'), '--from', join(dir, 'round-2'), '--from', join(dir, 'round-3'), '--name', 'x', '--out', b);
      expect(r2.code).toBe(0);
      const pa = parseProfile(readFileSync(a, 'utf8'), a), pb = parseProfile(readFileSync(b, 'utf8'), b);
      expect(pb.costs).toEqual(pa.costs);
      expect(readRounds([join(tmp, 'rec')]).map((r) => r.raw.get('getppid'))).toEqual(readRounds([dir]).map((r) => r.raw.get('getppid')));
      const bad = await cli('calibrate', '--from', dir, '--rounds', '3', '--out', join(tmp, 'c.yaml'));
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/--rounds: only when running the benches/);
      const v1 = await cli('calibrate', '--validate', '--rounds', '3', '--from', join(repoRoot(), 'test/fixtures/validate'));
      expect(v1.code).not.toBe(0);
      expect(v1.stderr).toMatch(/--rounds: only when fitting/);
      const v2 = await cli('calibrate', '--validate', '--from', dir, '--from', dir);
      expect(v2.code).not.toBe(0);
      expect(v2.stderr).toMatch(/--validate --from: one directory/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
