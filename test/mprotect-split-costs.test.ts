/**
 * What mprotect costs in the model, and where the calibration host's figures
 * for it come from (issue 13, "Costs from the host"): the model charges
 * mprotect_fixup and change_pte once per call (mprotect.ts), split_vma per
 * __split_vma and merge_vma per commit_merge of vma_merge_existing_range
 * (vma.ts); `faultline calibrate`'s mprotect-split bench
 * (native/calibrate-split.c) times the same calls on a VMA of its own (no
 * split, no merge) and in the middle of a VMA (two splits, one merge), and
 * the fit (fit.ts fitMprotectSplit) takes each cost from the layout that
 * runs it. The model, run on the bench's own sequence with the fitted
 * profile, gives back the bench's medians.
 */
import { describe, expect, it } from 'vitest';
import { parseBenchOutput } from '../src/calibrate/bench-output.js';
import { fitMprotectSplit, fitProfile, MPROTECT_SPLIT_KIND } from '../src/calibrate/fit.js';
import { calibHostProfile, calibRecorded, calibRounds } from '../src/calibrate/shipped.js';
import { COST_NAMES, do_mprotect_pkey, VM_READ, VM_WRITE, type CostName, type KPath } from '../src/model/index.js';
import { DEFAULT_COSTS } from '../src/scenario/schema.js';
import { buildMm, costArray, Simulator } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { anonGroup, scenario, zeroCosts } from './helpers.js';

const recorded = calibRecorded();

/** Nearest-rank median, computed here independently of fit.ts. */
function med(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.ceil(s.length / 2) - 1]!;
}

interface Charged { ownProtect: number; ownUnprotect: number; midProtect: number; midUnprotect: number; vmas: number }

/**
 * The bench's sequence in the model, on one CPU with nothing else running:
 * `own`, a VMA of P pages with no neighbour it could merge with (build-mm
 * lays the groups out one guard page apart), and `big`, a VMA of 3P + 64
 * pages whose pages [P, 2P) are protected (PROT_READ) and unprotected
 * (PROT_READ | PROT_WRITE). Returns each call's duration in the simulator
 * (ns of CPU charged) and the VMA count at the end.
 */
function charged(costs: Record<CostName, number>, p: number): Charged {
  const sc = scenario({ vmas: [anonGroup('own', 1, p), anonGroup('big', 1, 3 * p + 64)], cpus: 1, costs });
  const { mm } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
  const sim = new Simulator({ cpus: 1, preempt: true, costs: costArray(sc), seed: 1, laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold] }, mm);
  const [own, big] = mm.vmas;
  const d: number[] = [];
  sim.spawn('bench', 'DEFAULT', function* (): KPath {
    for (const addr of [own!.vm_start, big!.vm_start + p]) {
      for (const prot of [VM_READ, VM_READ | VM_WRITE]) {
        const t = sim.now;
        expect(yield* do_mprotect_pkey(mm, addr, p, prot)).toBe(true);
        d.push(sim.now - t);
      }
    }
  });
  sim.run(1e12);
  return { ownProtect: d[0]!, ownUnprotect: d[1]!, midProtect: d[2]!, midUnprotect: d[3]!, vmas: mm.vmas.length };
}

describe('what the model charges for the bench\'s mprotect pairs (no double count)', () => {
  const c = zeroCosts({ mprotect_fixup: 1000, change_pte: 10, split_vma: 300, merge_vma: 7 });
  it('a VMA of its own: mprotect_fixup + P × change_pte per call, no split, no merge', () => {
    const r = charged(c, 16);
    expect([r.ownProtect, r.ownUnprotect]).toEqual([1160, 1160]);
  });
  it('the middle of a VMA: the protect adds two split_vma, the unprotect one merge_vma, and the VMA is whole again', () => {
    const r = charged(c, 16);
    expect(r.midProtect).toBe(1000 + 160 + 2 * 300);
    expect(r.midUnprotect).toBe(1000 + 160 + 7);
    expect(r.vmas).toBe(2);
  });
});

describe('the mprotect-split fit', () => {
  it('gives back the costs of synthetic exact calls', () => {
    // own: 900 ns + 60 ns/page per call; the middle adds 2 × 700 ns to the protect and 1.5 µs to the unprotect.
    const lines = ['bench mprotect-split'];
    for (const p of [1, 16, 64, 256]) {
      for (let i = 0; i < 3; i++) {
        const own = 900 + 60 * p;
        lines.push(`s ${10 * p} ${own}`, `s ${10 * p + 1} ${own}`, `s ${10 * p + 2} ${own + 1400}`, `s ${10 * p + 3} ${own + 1500}`);
      }
    }
    lines.push('end mprotect-split');
    const set = new Map(recorded);
    set.set('mprotect-split', parseBenchOutput(lines.join('\n')));
    const q = fitProfile({ name: 't', description: 'd', host: null, benches: set });
    expect(q.costs.mprotect_fixup).toMatchObject({ value: 900, source: 'fit' });
    expect(q.costs.change_pte).toMatchObject({ value: 60, source: 'fit' });
    expect(q.costs.split_vma).toMatchObject({ value: 700, source: 'derived', spread: { n: 12, p10: 700, p50: 700, p90: 700 } });
    expect(q.costs.merge_vma).toMatchObject({ value: 1500, source: 'derived' });
  });

  it('fits the recorded fixture, round by round: the own layout\'s line, and the split and merge from the call-by-call differences', () => {
    const K = MPROTECT_SPLIT_KIND;
    const ps = [1, 16, 64, 256, 1024];
    const rounds = calibRounds();
    expect(rounds).toHaveLength(5);
    const fitted = rounds.map((r) => {
      const b = r.get('mprotect-split')!;
      const f = fitMprotectSplit(b);
      expect(f.ps).toEqual(ps);
      const split: number[] = [], merge: number[] = [];
      for (const p of ps) {
        const s = (k: number) => b.samples.get(10 * p + k)!;
        expect(s(K.own_protect)).toHaveLength(500);
        s(K.own_protect).forEach((v, i) => { split.push((s(K.mid_protect)[i]! - v) / 2); merge.push(s(K.mid_unprotect)[i]! - s(K.own_unprotect)[i]!); });
        expect(f.own.points.find((q) => q.x === p)!.median).toBe((med(s(K.own_protect)) + med(s(K.own_unprotect))) / 2);
      }
      const prof = fitProfile({ name: 'calib-host', description: 'd', host: null, benches: r });
      expect(prof.costs.split_vma).toMatchObject({ value: Math.round(med(split)), source: 'derived' });
      expect(prof.costs.merge_vma).toMatchObject({ value: Math.round(med(merge)), source: 'derived' });
      expect(prof.costs.mprotect_fixup.value).toBe(Math.round(f.own.intercept));
      expect(prof.costs.change_pte.value).toBe(Math.round(f.own.slope));
      expect(prof.costs.mprotect_fixup.fit!.r2).toBeGreaterThan(0.95);
      // The recorded host: a split in hundreds of ns, a merge of three pieces (two VMAs freed) more.
      expect(prof.costs.split_vma.value).toBeGreaterThan(200);
      expect(prof.costs.split_vma.value).toBeLessThan(5000);
      expect(prof.costs.merge_vma.value).toBeGreaterThan(prof.costs.split_vma.value);
      // The mprotect bench (inside a VMA) is kept as a measurement, not a cost.
      const inside = prof.measurements.mprotect_inside_vma!.fit!;
      expect(inside.points.map((q) => [q.x, q.median])).toEqual([...r.get('mprotect')!.samples.entries()].map(([x, v]) => [x, med(v)]));
      return prof.costs;
    });
    // calib-host: each cost the median of the five rounds' (rounds 2 and 5 ran the small protects 1.3-1.5x slower:
    // the own pair at P = 1 3.13 and 2.97 µs against 1.98-2.30 µs); all four are round 3's on the 21:00 UTC rounds.
    const host = calibHostProfile().costs;
    for (const n of ['mprotect_fixup', 'change_pte', 'split_vma', 'merge_vma'] as const) {
      const v = fitted.map((c) => c[n].value);
      expect(host[n].rounds).toEqual(v);
      expect(host[n].value).toBe([...v].sort((x, y) => x - y)[2]);
    }
    expect(fitted.map((c) => c.mprotect_fixup.value)).toEqual([1015, 1637, 1155, 990, 1514]);
    expect(fitted.map((c) => c.change_pte.value)).toEqual([63, 78, 77, 66, 84]);
  }, 20_000);

  it('without mprotect-split, mprotect_fixup is the pooled intercept less the split/merge defaults the model adds', () => {
    const set = new Map(recorded);
    set.delete('mprotect-split');
    const q = fitProfile({ name: 't', description: 'd', host: null, benches: set });
    const mp = q.costs.mprotect_fixup.fit!;
    expect(q.costs.mprotect_fixup.value).toBe(Math.round(mp.intercept - (2 * DEFAULT_COSTS.split_vma + DEFAULT_COSTS.merge_vma) / 2));
    expect(q.costs.split_vma).toMatchObject({ value: DEFAULT_COSTS.split_vma, source: 'default' });
    expect(q.costs.merge_vma).toMatchObject({ value: DEFAULT_COSTS.merge_vma, source: 'default' });
  });
});

describe('the fitted profile, run through the model\'s mprotect on the bench\'s sequence, gives back the bench\'s medians', { timeout: 20_000 }, () => {
  // calib-host's costs are each the median of the five rounds' fits (on the rounds of 21:00 UTC all four
  // are round 3's line; on earlier rounds they came from different rounds), so the bench's side is, per P,
  // the median over the rounds of each layout's pair of call medians, and of their difference.
  const prof = calibHostProfile();
  const costs = Object.fromEntries(COST_NAMES.map((n) => [n, prof.costs[n].value])) as Record<CostName, number>;
  const K = MPROTECT_SPLIT_KIND;
  const rounds = calibRounds().map((r) => r.get('mprotect-split')!);
  for (const p of [1, 16, 64, 256, 1024]) {
    it(`P = ${p}`, () => {
      const pairs = rounds.map((b) => {
        const m = (k: number) => med(b.samples.get(10 * p + k)!);
        // The model charges both calls of a layout alike (mprotect_fixup + P × change_pte): the pair is what it fits.
        return { own: m(K.own_protect) + m(K.own_unprotect), mid: m(K.mid_protect) + m(K.mid_unprotect) };
      });
      const ownBench = med(pairs.map((q) => q.own)), midBench = med(pairs.map((q) => q.mid));
      const addBench = med(pairs.map((q) => q.mid - q.own));
      const r = charged(costs, p);
      const ownModel = r.ownProtect + r.ownUnprotect, midModel = r.midProtect + r.midUnprotect;
      // The model's line (mprotect_fixup + P × change_pte) is the fit's, exactly, without the lock line's
      // atomics; with them (calib-host's lock_atomic since the thirteenth session) a constant per call on
      // top, the same at every P (mmap_write_lock, vma_start_write's two, mmap_write_unlock: no transfer,
      // one CPU), which the bench's own medians already contain (docs/fidelity.md "Lock operations").
      const bare = charged({ ...costs, lock_atomic: 0, cacheline_transfer: 0 }, p);
      expect(bare.ownProtect + bare.ownUnprotect).toBe(2 * (costs.mprotect_fixup + p * costs.change_pte));
      const lockExtra = ownModel - (bare.ownProtect + bare.ownUnprotect);
      expect(lockExtra).toBeGreaterThan(0);
      expect(lockExtra).toBeLessThanOrEqual(2 * 4 * costs.lock_atomic);
      if (p === 16) {
        // Not linear in P on the host: up to tlb_single_page_flush_ceiling (33) pages, flush_tlb_mm_range
        // flushes each page with its own INVLPG (~55 ns more per page here), above it the whole TLB once;
        // the model's change_pte is one figure per page (docs/fidelity.md), so at 16 pages it is short:
        // 18-21 % in each round against that round's own fit, 19 % here (own pair 5.88 µs, model 4.77 µs).
        expect((ownBench - ownModel) / ownBench).toBeGreaterThan(0.05);
        expect((ownBench - ownModel) / ownBench).toBeLessThan(0.35);
        expect((midBench - midModel) / midBench).toBeLessThan(0.35);
      } else {
        // Within 10 %, but at P = 1024 12 %: there the median over the rounds of the own pair is round 2's,
        // 145 µs, a round whose own line misses its own P = 1024 pair by 12.5 % (163 µs); calib-host's line
        // (round 3's, 160 µs) gives back round 3's own pair, 154 µs, within 4 %, and is 1.10 of the median
        // over the rounds (the rounds' pairs spread 127-170 µs). At P = 1, 64, 256: 6.9, 1.1, 3.2 %.
        const tol = p === 1024 ? 0.12 : 0.1;
        expect(Math.abs(ownModel - ownBench) / ownBench).toBeLessThan(tol);
        expect(Math.abs(midModel - midBench) / midBench).toBeLessThan(tol);
      }
      // What the split and the merge add to the pair: the model adds exactly the fitted costs; the
      // bench's difference of medians (not the call-by-call differences the fit takes) within 25 %:
      // 0.94-1.25 of the model's on these rounds (at P = 1 and 1024 the rounds' differences spread
      // 2.6-3.8 µs and 3.3-5.4 µs: two medians of a few to 170 µs each, taken apart; at P = 1024 the
      // model's 3.25 µs is 20 % below the median difference, 4.06 µs).
      // (without the lock line's atomics exactly; with them, the split VMAs' vma_start_write atomics on top)
      expect(addModel(costs)).toBe(bare.midProtect + bare.midUnprotect - (bare.ownProtect + bare.ownUnprotect));
      expect(midModel - ownModel - addModel(costs)).toBeGreaterThanOrEqual(0);
      expect(midModel - ownModel - addModel(costs)).toBeLessThanOrEqual(2 * 4 * costs.lock_atomic);
      expect(Math.abs(addModel(costs) - addBench) / addBench).toBeLessThan(0.25);
    });
  }
});

function addModel(costs: Record<CostName, number>): number {
  return 2 * costs.split_vma + costs.merge_vma;
}
