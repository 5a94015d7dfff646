/**
 * change_protection's walk over cold lines (docs/calibration.md "Below the
 * real kernel on mprotect"): Cost.change_pte_after_sleep per page, its fit
 * from the `mprotect-after-sleep` bench (native/calibrate-split.c), the
 * model's charge (mprotect.ts change_pte_refill), the simulator's pairs and
 * line ages (sim/mprotect-walk.ts), and a profile recorded before the cost
 * existed.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBenchOutput } from '../src/calibrate/bench-output.js';
import { fitMprotectAfterSleep, fitProfile, MPROTECT_AFTER_SLEEP_PAGES } from '../src/calibrate/fit.js';
import { loadProfile, parseProfile, renderProfile } from '../src/calibrate/profile.js';
import { calibRecorded } from '../src/calibrate/shipped.js';
import { SUITE } from '../src/calibrate/suite.js';
import { do_mprotect_pkey, VM_READ, type CostName, type KPath } from '../src/model/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { buildMm, costArray, simulate, Simulator } from '../src/sim/index.js';
import { MprotectWalks, presentShare } from '../src/sim/mprotect-walk.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { anonGroup, Recorder, scenario, zeroCosts } from './helpers.js';

/** Recorded under load (load average 16 on 2 CPUs, 2026-12-07 18:25 UTC): a fixture of the fit, not the host's value. */
const FIXTURE = 'test/fixtures/mprotect-after-sleep/mprotect-after-sleep.txt';
const bench = parseBenchOutput(readFileSync(FIXTURE, 'utf8'));

/** Nearest-rank median, computed here independently of fit.ts. */
function med(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.ceil(s.length / 2) - 1]!;
}

describe('fit: change_pte_after_sleep from mprotect-after-sleep', () => {
  it('is in the suite with the fit\'s P, and the fixture has both kinds at every sleep', () => {
    const spec = SUITE.find((b) => b.key === 'mprotect-after-sleep');
    expect(spec?.args.slice(0, 3)).toEqual(['mprotect-after-sleep', '100', String(MPROTECT_AFTER_SLEEP_PAGES)]);
    const sleeps = spec!.args.slice(3).map(Number);
    expect([...bench.samples.keys()].sort((a, b) => a - b)).toEqual(sleeps.flatMap((s) => [10 * s, 10 * s + 1]));
  });

  it('is (median after a sleep - median back to back) / P, pooled and per sleep', () => {
    const cold = [...bench.samples].filter(([x]) => x % 10 === 1).flatMap(([, v]) => v);
    const warm = [...bench.samples].filter(([x]) => x % 10 === 0).flatMap(([, v]) => v);
    const m = fitMprotectAfterSleep(bench, 512)!;
    expect(m.value).toBe(Math.max(0, Math.round((med(cold) - med(warm)) / 512)));
    expect(m.back).toBe(med(warm));
    expect(m.bySleep.map((b) => b.sleep_us)).toEqual([20, 100, 300, 1000, 5000, 20000]);
    for (const b of m.bySleep) {
      const want = (med(bench.samples.get(10 * b.sleep_us + 1)!) - med(bench.samples.get(10 * b.sleep_us)!)) / 512;
      expect(b.value).toBe(Math.max(0, Math.round(want)));
      expect(b.n).toBe(100);
    }
    // The fixture's shape: the longer the sleep, the colder the walk.
    expect(m.bySleep.at(-1)!.value).toBeGreaterThan(m.bySleep[0]!.value);
  });

  it('fitProfile takes it with its by_sleep points; without the bench the cost keeps its default 0', () => {
    const withBench = new Map(calibRecorded());
    withBench.set('mprotect-after-sleep', bench);
    const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0], measured: 't' };
    const p = fitProfile({ name: 'x', description: 'x', host, benches: withBench });
    const m = fitMprotectAfterSleep(bench, MPROTECT_AFTER_SLEEP_PAGES)!;
    expect(p.costs.change_pte_after_sleep).toMatchObject({ value: m.value, source: 'derived', by_sleep: m.bySleep });
    const without = new Map(calibRecorded());
    without.delete('mprotect-after-sleep');
    const q = fitProfile({ name: 'x', description: 'x', host, benches: without });
    expect(q.costs.change_pte_after_sleep).toMatchObject({ value: 0, source: 'default' });
  }, 20_000);

  it('the shipped rounds (idle host, 21:00 UTC): pooled and in calib-host, the median round\'s', () => {
    // Derived outside fit.ts (a nearest-rank median over the fixtures' `c` lines): the five rounds pooled,
    // 500 protects per sleep, after a sleep p50 55,812 ns, back to back 47,881 ns: (55,812 - 47,881) / 512 = 15 ns.
    const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0], measured: 't' };
    const pooled = fitProfile({ name: 'x', description: 'x', host, benches: calibRecorded() }).costs.change_pte_after_sleep;
    expect(pooled).toMatchObject({ value: 15, source: 'derived' });
    expect(pooled.by_sleep!.map((b) => [b.sleep_us, b.value, b.n])).toEqual([[20, 3, 500], [100, 6, 500], [300, 9, 500], [1000, 19, 500], [5000, 111, 500], [20000, 270, 500]]);
    // calib-host: the rounds' own fits 43 / 21 / 12 / 9 / 9 ns, the median round 3's, with its points.
    const shipped = loadProfile('calib-host').costs.change_pte_after_sleep;
    expect(shipped).toMatchObject({ value: 12, source: 'derived', rounds: [43, 21, 12, 9, 9] });
    expect(shipped.by_sleep!.map((b) => [b.sleep_us, b.value])).toEqual([[20, 3], [100, 4], [300, 6], [1000, 36], [5000, 178], [20000, 294]]);
  }, 20_000);

  it('a profile recorded before the cost existed reads it as 0', () => {
    const text = readFileSync('profiles/calib-host.yaml', 'utf8');
    expect(renderProfile(parseProfile(text, 'calib-host.yaml'))).toContain('change_pte_after_sleep');
    const without = text.replace(/\n {2}change_pte_after_sleep:\n( {4}.*\n)+/, '\n');
    expect(without).not.toContain('change_pte_after_sleep');
    const p = parseProfile(without, 'old.yaml');
    expect(p.costs.change_pte_after_sleep).toMatchObject({ value: 0, source: 'default' });
  }, 20_000);
});

/** One mprotect of `pages` resident pages by itself on one CPU, with `refill`: its duration in the simulator. */
function mprotectNs(costs: Partial<Record<CostName, number>>, pages: number, refill: number, prot?: number): number {
  const sc = scenario({ vmas: [anonGroup('heap', 1, 4 * pages)], cpus: 1, costs: zeroCosts(costs) });
  const { mm } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
  const sim = new Simulator({ cpus: 1, preempt: true, costs: costArray(sc), seed: 1, laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold] }, mm);
  const v = mm.vmas[0]!;
  let d = -1;
  sim.spawn('gc', 'DEFAULT', function* (): KPath {
    const t = sim.now;
    expect(yield* do_mprotect_pkey(mm, v.vm_start + pages, pages, prot, refill)).toBe(true);
    d = sim.now - t;
  });
  sim.run(1e12);
  return d;
}

describe('model: the refill of change_protection (mprotect.ts change_pte_refill)', () => {
  const costs = { mprotect_fixup: 100, change_pte: 10, change_pte_after_sleep: 7, split_vma: 1000 };
  it('charges round(pages x refill) x Cost.change_pte_after_sleep, and nothing at refill 0', () => {
    expect(mprotectNs(costs, 64, 0)).toBe(100 + 640);
    expect(mprotectNs(costs, 64, 0.5)).toBe(100 + 640 + 32 * 7);
    expect(mprotectNs(costs, 64, 2.25)).toBe(100 + 640 + 144 * 7);
  });
  it('on the path with a prot too, once per VMA piece mprotect_fixup changes', () => {
    expect(mprotectNs(costs, 64, 0, VM_READ)).toBe(2 * 1000 + 100 + 640);
    expect(mprotectNs(costs, 64, 1, VM_READ)).toBe(2 * 1000 + 100 + 640 + 64 * 7);
  });
});

describe('simulator: mprotect pairs and line ages (sim/mprotect-walk.ts)', () => {
  const slotA = { start: 1000, pages: 100, vma: null, idx: -1 };
  const slotB = { start: 5000, pages: 100, vma: null, idx: -1 };
  it('the second mprotect of a thread in a slot restores the first one\'s range; another slot starts its own pair', () => {
    const w = new MprotectWalks(0, null);
    expect(w.range(1, slotA, 1010, 8)).toMatchObject({ addr: 1010, pages: 8 });
    expect(w.range(2, slotA, 1050, 8)).toMatchObject({ addr: 1050 }); // another thread: its own pair
    expect(w.range(1, slotA, 1070, 8)).toMatchObject({ addr: 1010 }); // the restore
    expect(w.range(1, slotA, 1070, 8)).toMatchObject({ addr: 1070 }); // a new pair
    expect(w.range(1, slotB, 5003, 8)).toMatchObject({ addr: 5003 }); // another region: a new pair
    expect(w.range(1, slotB, 5090, 8)).toMatchObject({ addr: 5003 });
  });

  const vma = { resident: 1, anon_ptes_mapped: 0, pages: 100, swapped: { size: 0 } } as unknown as Parameters<typeof presentShare>[0];
  it('with a curve: a page never walked pays the oldest point, a page walked S ago the curve at S', () => {
    const curve = { xs: Float64Array.of(100_000, 1_000_000), ys: Float64Array.of(5, 50) };
    const w = new MprotectWalks(1, curve);
    expect(w.refill({ slot: slotA, addr: 1000, pages: 10 }, vma, 0, false)).toBe(50);
    expect(w.refill({ slot: slotA, addr: 1000, pages: 10 }, vma, 100_000, false)).toBe(5);
    expect(w.refill({ slot: slotA, addr: 1000, pages: 10 }, vma, 650_000, true)).toBeCloseTo(27.5, 10);
    // Half the range walked 100 µs before, half never: the mean per page.
    expect(w.refill({ slot: slotA, addr: 1005, pages: 10 }, vma, 750_000, false)).toBeCloseTo((5 * 5 + 5 * 50) / 10, 10);
  });

  it('with a single value: a page never walked, or walked before the thread slept, pays 1 unit', () => {
    const w = new MprotectWalks(30, null);
    expect(w.refill({ slot: slotA, addr: 1000, pages: 4 }, vma, 0, false)).toBe(1);
    expect(w.refill({ slot: slotA, addr: 1000, pages: 4 }, vma, 10, false)).toBe(0);
    expect(w.refill({ slot: slotA, addr: 1000, pages: 4 }, vma, 20, true)).toBe(1);
    expect(new MprotectWalks(0, null).refill({ slot: slotA, addr: 1000, pages: 4 }, vma, 0, true)).toBe(0);
  });

  it('only the present share of the VMA pays (resident + mapped by faults - swapped out)', () => {
    const at = (resident: number, mapped: number, swapped: number) =>
      presentShare({ resident, anon_ptes_mapped: mapped, pages: 100, swapped: { size: swapped } } as unknown as Parameters<typeof presentShare>[0]);
    expect(at(1, 0, 0)).toBe(1);
    expect(at(0, 25, 0)).toBe(0.25);
    expect(at(1, 0, 40)).toBeCloseTo(0.6, 10);
    expect(at(0, 0, 0)).toBe(0);
    expect(presentShare(null)).toBe(0);
  });
});

describe('workload: an mprotect thread pays the refill with the cost set, and nothing without', () => {
  const run = (extra: Record<string, string>, prot = false) => {
    const sc = scenarioFromObject({
      name: 'gc-walk', description: 'test', seed: 1, duration: '50ms', warmup: '0ms', cpus: 1,
      vmas: [{ name: 'heap', kind: 'anon', write: true, pages: 2048, resident: 1 }],
      threads: [{ name: 'gc', think: '1ms', ops: [{ op: 'mprotect', vma: 'heap', pages: 256, ...(prot ? { prot: 'r', restore: true } : {}) }] }],
      costs: { mprotect_fixup: '1us', change_pte: '50ns', ...extra },
    }, 'gc-walk (test)');
    const rec = new Recorder();
    simulate({ scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed: 1, observer: rec });
    return rec.ops.filter((o) => o.op === 'mprotect').map((o) => o.end - o.begin);
  };
  it('every op after a think time pays 256 x the single value; at 0 the figures are the walk alone', () => {
    const base = run({}), cold = run({ change_pte_after_sleep: '20ns' });
    expect(base.length).toBeGreaterThan(10);
    expect(new Set(base)).toEqual(new Set([1000 + 256 * 50]));
    expect(cold).toEqual(base.map((d) => d + 256 * 20));
  });
  it('with a prot and restore: the protect after the think time pays, the restore right after it does not', () => {
    const base = run({}, true), cold = run({ change_pte_after_sleep: '20ns' }, true);
    expect(base.length).toBeGreaterThan(10);
    expect(cold).toEqual(base.map((d, i) => (i % 2 === 0 ? d + 256 * 20 : d)));
  });
});
