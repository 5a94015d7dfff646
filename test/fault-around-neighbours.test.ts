/**
 * The neighbourhood of a file fault's fault-around (src/model/fault_around.ts,
 * docs/calibration.md "The neighbourhood of a major fault"): do_fault_around's
 * window, the cached neighbours filemap_map_pages' walk passes, what a miss
 * and its retry are charged for them, and the fit of the two costs from the
 * recorded `fault-around` bench.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fitFaultAround, fitProfile, fitSetPteRange, linearFit } from '../src/calibrate/fit.js';
import { calibRecorded } from '../src/calibrate/shipped.js';
import { measure } from '../src/metrics/index.js';
import {
  Cost, EffectKind, FAULT_FLAG_TRIED, Folio, MmStruct, VmAreaStruct, fault_around_cpu, fault_around_kinds, fault_around_neighbours, fault_around_window,
  install_fault_around_charges, type CpuEffect, type VmFault,
} from '../src/model/index.js';
import { set_page_state } from '../src/model/page_state.js';
import { page_cache_ra_order } from '../src/model/readahead.js';
import { FilePtes } from '../src/model/file_ptes.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

const recorded = calibRecorded();
const host = { kernel: 'k', cpus: 2, cpu: 'c', load: [0, 0, 0] as [number, number, number], measured: 't' };
const nearestRank = (v: readonly number[]) => [...v].sort((a, b) => a - b)[Math.ceil(v.length / 2) - 1]!;

/** A file VMA [start, end) (pages) of a fresh mm, and a first-attempt fault at `address` on it. */
function fileVma(start: number, end: number): VmAreaStruct {
  const mm = new MmStruct(faultStrategy('mainline'), forkStrategy('fork-lock-all'));
  return new VmAreaStruct(mm, 0, 'file', start, end, 0x1, true, true, 0);
}
function vmfAt(vma: VmAreaStruct, address: number, flags = 0): VmFault {
  return { vma, address, pgoff: vma.pgoff_of(address), flags, pt: null, uffd_missing: false };
}

describe('do_fault_around\'s window', () => {
  it('is the 16-page block of the PTE table around the address, clamped to the VMA and to the table', () => {
    const v = fileVma(0x10, 0x110); // pages 16 .. 271, pgoff 0 .. 255
    expect(fault_around_window(vmfAt(v, 0x10))).toEqual([0, 15]); // the VMA starts on a block
    expect(fault_around_window(vmfAt(v, 0x25))).toEqual([16, 31]); // address 37: block 32 .. 47
    expect(fault_around_window(vmfAt(v, 0x10f))).toEqual([240, 255]);
    const odd = fileVma(0x13, 0x40); // pages 19 .. 63: starts 3 pages into a block
    expect(fault_around_window(vmfAt(odd, 0x14))).toEqual([0, 15]); // from the VMA's start, 16 pages: 19 .. 34
    expect(fault_around_window(vmfAt(odd, 0x3e))).toEqual([29, 44]); // the block 48 .. 63
    const across = fileVma(0x1f8, 0x210); // pages 504 .. 527: a PTE table ends at 512
    expect(fault_around_window(vmfAt(across, 0x1fa))).toEqual([0, 7]); // 504 .. 511
    expect(fault_around_window(vmfAt(across, 0x200))).toEqual([8, 23]); // 512 .. 527
  });

  it('counts the neighbours next_uptodate_folio returns: cached, uptodate, unlocked, not PG_readahead', () => {
    const v = fileVma(0x10, 0x110);
    const vmf = vmfAt(v, 0x15); // pgoff 5, window 0 .. 15
    expect(fault_around_neighbours(vmf)).toBe(15);
    v.evicted.add(5); // the faulting page itself is never counted
    v.evicted.add(0);
    v.evicted.add(16); // outside the window
    expect(fault_around_neighbours(vmf)).toBe(14);
    const locked = new Folio(v.id, 1); locked.uptodate = true; locked.locked = true; v.cache.set(1, locked);
    const reading = new Folio(v.id, 2); v.cache.set(2, reading); // !uptodate
    const ra = new Folio(v.id, 3); ra.uptodate = true; ra.readahead = true; v.cache.set(3, ra);
    const idle = new Folio(v.id, 4); idle.uptodate = true; v.cache.set(4, idle);
    expect(fault_around_neighbours(vmf)).toBe(11);
  });
});

describe('fault_around_cpu: what a walk is charged', () => {
  afterEach(() => install_fault_around_charges(false));
  const costs = (e: CpuEffect | null) => {
    if (e === null) return null;
    expect(e.k).toBe(EffectKind.CPU);
    const out: Array<[number, number]> = [[e.cost, e.n]];
    for (let i = 0; i + 1 < (e.extra?.length ?? 0); i += 2) out.push([e.extra![i]!, e.extra![i + 1]!]);
    return out;
  };

  it('not installed (the checker, the built-in costs): nothing', () => {
    const v = fileVma(0x10, 0x110);
    v.evicted.add(5);
    expect(fault_around_cpu(vmfAt(v, 0x15), 0)).toBeNull();
  });

  it('a miss\'s first walk: the set-up and each cached neighbour; its retry: each neighbour; a hit\'s first walk: nothing', () => {
    install_fault_around_charges(true);
    const v = fileVma(0x10, 0x110);
    v.evicted.add(5);
    v.evicted.add(7);
    // A fresh VMA: no file PTE present, so the first walk maps each of the 14 cached neighbours.
    expect(costs(fault_around_cpu(vmfAt(v, 0x15), 0))).toEqual([[Cost.filemap_map_pages, 1], [Cost.next_uptodate_folio, 14], [Cost.set_pte_range, 14]]);
    v.evicted.delete(5); // read: the retry's walk maps it; the neighbours are mapped now
    expect(costs(fault_around_cpu(vmfAt(v, 0x15, FAULT_FLAG_TRIED), 0x100))).toEqual([[Cost.next_uptodate_folio, 14]]);
    expect(fault_around_cpu(vmfAt(v, 0x16), 0x100)).toBeNull(); // a hit: in do_read_fault (minor-cached)
    expect(fault_around_cpu(vmfAt(v, 0x15), 0)).toBeNull(); // a first attempt the walk did not map, but no miss (in do_read_fault)
    const alone = fileVma(0x10, 0x11); // a one-page VMA: no neighbour, the walk finds nothing
    alone.evicted.add(0);
    expect(fault_around_cpu(vmfAt(alone, 0x10), 0)).toBeNull();
  });
});

describe('the neighbours by kind: not cached, cached and mapped, cached with the PTE none', () => {
  afterEach(() => install_fault_around_charges(false));
  const costs = (e: CpuEffect | null) => e === null ? null : [[e.cost, e.n], ...Array.from({ length: (e.extra?.length ?? 0) / 2 }, (_, i) => [e.extra![2 * i]!, e.extra![2 * i + 1]!])];

  it('a hand-built window: 3 absent, 5 mapped, 7 with the PTE none; the miss\'s first walk pays the 12 and maps the 7', () => {
    install_fault_around_charges(true);
    const v = fileVma(0x10, 0x110); // window [0, 15] for a fault at 0x18 (pgoff 8)
    for (const p of [8, 2, 11, 14]) v.evicted.add(p); // the faulting page and 3 absent neighbours
    for (const p of [0, 1, 3, 4, 5]) v.file_ptes.add(p); // 5 mapped
    v.file_ptes.add(40); // outside the window: not looked at
    const vmf = vmfAt(v, 0x18);
    expect(fault_around_kinds(vmf)).toEqual({ mapped: 5, unmapped: 7 }); // 6, 7, 9, 10, 12, 13, 15
    expect(fault_around_neighbours(vmf)).toBe(12);
    expect(costs(fault_around_cpu(vmf, 0))).toEqual([[Cost.filemap_map_pages, 1], [Cost.next_uptodate_folio, 12], [Cost.set_pte_range, 7]]);
    // The walk left the window marked (its cached pages mapped, the faulting page mapped by the fault's end;
    // the absent ones are never counted while absent).
    expect([...Array(48).keys()].filter((p) => v.file_ptes.has(p))).toEqual([...Array(16).keys(), 40]);
    expect(v.file_ptes.size).toBe(17);
    v.evicted.delete(8); // read
    expect(costs(fault_around_cpu(vmfAt(v, 0x18, FAULT_FLAG_TRIED), 0x100))).toEqual([[Cost.next_uptodate_folio, 12]]); // the retry: all mapped
    page_cache_ra_order(v, 11, 1, false); // readahead adds a neighbour to the page cache: no PTE maps it
    expect(v.file_ptes.has(11)).toBe(false);
    v.cache.delete(11); // (its read done: an idle uptodate page)
    expect(costs(fault_around_cpu(vmfAt(v, 0x18, FAULT_FLAG_TRIED), 0x100))).toEqual([[Cost.next_uptodate_folio, 13], [Cost.set_pte_range, 1]]);
  });

  it('a hit\'s walk is charged nothing but maps its window; a page whose state a fault draws loses its PTE', () => {
    install_fault_around_charges(true);
    const v = fileVma(0x10, 0x110);
    v.evicted.add(3);
    expect(fault_around_cpu(vmfAt(v, 0x11), 0x100)).toBeNull();
    expect([...Array(20).keys()].filter((p) => v.file_ptes.has(p))).toEqual([...Array(16).keys()]);
    expect(set_page_state(v, 6, 'cached', () => {})).toBe(true); // the load generator's MADV_DONTNEED before the touch
    expect(v.file_ptes.has(6)).toBe(false);
    expect(set_page_state(v, 7, 'absent', () => {})).toBe(true);
    expect(v.file_ptes.has(7)).toBe(false);
    expect(fault_around_kinds(vmfAt(v, 0x10))).toEqual({ mapped: 12, unmapped: 1 }); // 6 cached, PTE none; 3 and 7 absent
  });

  it('not installed: nothing charged and no PTE recorded (the checker\'s state is unchanged)', () => {
    const v = fileVma(0x10, 0x110);
    v.evicted.add(5);
    expect(fault_around_cpu(vmfAt(v, 0x15), 0)).toBeNull();
    expect(fault_around_cpu(vmfAt(v, 0x16), 0x100)).toBeNull();
    expect(v.file_ptes.size).toBe(0);
  });
});

describe('FilePtes: present PTEs as 16-page masks', () => {
  it('adds, deletes and marks ranges across mask boundaries, counting each page once', () => {
    const f = new FilePtes();
    f.add(3);
    f.add(3);
    expect(f.size).toBe(1);
    f.addRange(2, 20); // 2..15 in the first mask, 16..20 in the second
    expect(f.size).toBe(19);
    expect([...Array(40).keys()].filter((p) => f.has(p))).toEqual([...Array(19).keys()].map((i) => i + 2));
    f.delete(16);
    f.delete(16);
    f.delete(30);
    expect(f.size).toBe(18);
    f.addRange(0, 47);
    expect(f.size).toBe(48);
    for (let p = 0; p < 48; p++) f.delete(p);
    expect(f.size).toBe(0);
    expect(f.has(0)).toBe(false);
  });
});

describe('simulator: a major fault pays for its window\'s cached neighbours', () => {
  // One thread faults pages of a 256-page file VMA (a whole number of 16-page windows), 100 us apart, on 1 CPU;
  // the miss reads synchronously (zram), so every figure is a CPU sum.
  const sc = (costs: Record<string, string>, state: 'absent' | 'cached') => scenarioFromObject({
    name: 'fa', description: 'test', duration: '5ms', warmup: '0ms', cpus: 1,
    io: { read: { law: 'constant', value: '2us' }, read_synchronous: true },
    vmas: [{ name: 'data', kind: 'file', pages: 256 }],
    threads: [{ name: 't', think: '100us', ops: [{ op: 'fault', vma: 'data', states: { [state]: 1 } }] }],
    costs: { handle_mm_fault: '1us', do_read_fault: '500ns', fault_retry: '0ns', wakeup: '0ns', ...costs },
  });
  const faults = (s: ReturnType<typeof sc>) => measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).opsAll.fault!;
  const fa = { filemap_map_pages: '1us', next_uptodate_folio: '10ns' };

  it('a miss: the first walk\'s set-up and 15 neighbours, the retry\'s 15 neighbours, on every fault', () => {
    const base = faults(sc({}, 'absent')), with_ = faults(sc(fa, 'absent'));
    expect(base.count).toBeGreaterThan(10);
    expect(with_.count).toBe(base.count);
    expect(base.latency).toMatchObject({ p50: 4_500, mean: 4_500, max: 4_500 }); // 1 us + 0.5 us + the 2 us read + 1 us (the retry's handle_mm_fault)
    const paid = 4_500 + 1_000 + 2 * 15 * 10;
    expect(with_.latency).toMatchObject({ p50: paid, mean: paid, max: paid });
  });

  it('set_pte_range: the first miss in a window maps its 15 neighbours (paid once), later ones find them mapped', () => {
    const paid = 4_500 + 1_000 + 2 * 15 * 10;
    const l = faults(sc({ ...fa, set_pte_range: '100ns' }, 'absent')).latency!;
    expect(l.max).toBe(paid + 15 * 100);
    expect(Math.abs(l.p50 - paid)).toBeLessThan(0.01 * paid); // (the histogram's p50) 16 windows, about 45 faults: most meet a window already walked
    const first = (l.mean - paid) * l.count / (15 * 100); // the faults that were a window's first
    expect(Math.abs(first - Math.round(first))).toBeLessThan(1e-6);
    expect(Math.round(first)).toBeGreaterThanOrEqual(1);
    expect(Math.round(first)).toBeLessThanOrEqual(16);
  });

  it('a hit is charged nothing more (its walk is do_read_fault, fitted from minor-cached)', () => {
    expect(faults(sc(fa, 'cached')).latency).toMatchObject({ p50: 1_500, mean: 1_500, max: 1_500 });
  });
});

describe('the fit from the recorded fault-around bench', { timeout: 20_000 }, () => {
  it('filemap_map_pages = the intercept over X >= 1 − the median alone; next_uptodate_folio = the slope / 2', () => {
    const b = recorded.get('fault-around')!;
    expect([...b.samples.keys()]).toEqual([0, 1, 2, 3, 5, 8, 15]);
    const some = new Map([...b.samples.entries()].filter(([x]) => x >= 1));
    const fit = linearFit(some);
    const alone = nearestRank(b.samples.get(0)!);
    const r = fitFaultAround(b)!;
    expect(r.alone).toBe(alone);
    expect(r.setup).toBe(Math.max(0, Math.round(fit.intercept - alone)));
    expect(r.perFolio).toBe(Math.max(0, Math.round(fit.slope / 2)));
    const p = fitProfile({ name: 'x', description: 'x', host, benches: recorded });
    expect(p.costs.filemap_map_pages).toMatchObject({ value: r.setup, source: 'fit' });
    expect(p.costs.next_uptodate_folio).toMatchObject({ value: r.perFolio, source: 'fit' });
    // The hit benches are measurements: one walk, so their slopes are next_uptodate_folio again (mapped
    // neighbours) and a neighbour mapped (unmapped ones, as minor-cached).
    expect(p.measurements.fault_around_cached!.fit!.slope).toBeCloseTo(linearFit(recorded.get('fault-around-cached')!.samples).slope, 9);
    expect(p.measurements.fault_around_unmapped!.fit!.slope).toBeCloseTo(linearFit(recorded.get('fault-around-unmapped')!.samples).slope, 9);
  });

  it('set_pte_range = the slope over X >= 1 with the neighbours\' PTEs none − with them present', () => {
    const u = recorded.get('fault-around-unmapped')!, m = recorded.get('fault-around-cached')!;
    const ge1 = (b: typeof u) => new Map([...b.samples.entries()].filter(([x]) => x >= 1));
    const r = fitSetPteRange(u, m)!;
    expect(r.value).toBe(Math.max(0, Math.round(linearFit(ge1(u)).slope - linearFit(ge1(m)).slope)));
    expect(r.value).toBe(80); // the five rounds of 21:00 UTC pooled: 102.3 − 22.2 ns (calib-host's 66 ns is the median round's)
    expect(r.unmapped.points.map((p) => p.x)).toEqual([5, 10, 15]);
    const p = fitProfile({ name: 'x', description: 'x', host, benches: recorded });
    expect(p.costs.set_pte_range).toMatchObject({ value: 80, source: 'fit' });
    expect(fitSetPteRange({ ...u, samples: new Map([...u.samples.entries()].filter(([x]) => x <= 5)) }, m)).toBeNull(); // one X >= 1
    const without = new Map(recorded);
    without.delete('fault-around-cached');
    expect(fitProfile({ name: 'x', description: 'x', host, benches: without }).costs.set_pte_range).toMatchObject({ value: 0, source: 'default' });
  });

  it('without X = 0, or with one X >= 1, nothing is fitted; without the bench the costs keep their defaults (0)', () => {
    const b = recorded.get('fault-around')!;
    expect(fitFaultAround({ ...b, samples: new Map([...b.samples.entries()].filter(([x]) => x > 0)) })).toBeNull();
    expect(fitFaultAround({ ...b, samples: new Map([...b.samples.entries()].filter(([x]) => x <= 1)) })).toBeNull();
    const without = new Map(recorded);
    without.delete('fault-around');
    const q = fitProfile({ name: 'x', description: 'x', host, benches: without });
    expect(q.costs.filemap_map_pages).toMatchObject({ value: 0, source: 'default' });
    expect(q.costs.next_uptodate_folio).toMatchObject({ value: 0, source: 'default' });
  });
});
