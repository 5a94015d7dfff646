/**
 * Memory figures (issue 12 item 6; docs/metrics.md "Memory"): reclaim stalls
 * and memory.high throttling per class, PSI-style SOME / FULL, retry misses
 * as a share of retries, and mmap_lock waits per decade in the flat figures.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { MemstallTracker } from '../src/metrics/memstall.js';
import { flatten } from '../src/report/flatten.js';
import { loadScenario, parseScenario } from '../src/scenario/index.js';
import { buildMm, costArray, Simulator, Workload, type SimTaskInfo } from '../src/sim/index.js';
import { Recorder } from './helpers.js';
import { reportInput } from './report-fixtures-html.js';
import { renderJson, renderLkml, renderTable } from '../src/report/index.js';
import { renderReport } from '../src/report/html/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

const task = (id: number, comm: string): SimTaskInfo => ({ id, comm, prio: 2, cls: 'DEFAULT', group: comm });

describe('PSI-style memory pressure (test_states: SOME / FULL)', () => {
  it('SOME while one task stalls; FULL only while every runnable task of the group stalls', () => {
    const A = task(1, 'A'), B = task(2, 'B'), K = task(3, 'kswapd0');
    const m = new MemstallTracker(0, new Set(['A', 'B']));
    /*
     * t     0    10   20   30   40   50   60
     * A     run  [reclaim on CPU ........][sleep: throttle]
     * B     run ..........   (blocked from 30)
     * K     [kswapd memstall, outside the group ..........]
     */
    m.runnable(0, A, true);
    m.runnable(0, B, true);
    m.memstall(0, K, true, 'kswapd');
    m.runnable(0, K, true);
    m.memstall(10, A, true, 'reclaim');
    m.runnable(30, B, false);
    m.memstall(40, A, false, 'reclaim');
    m.runnable(40, A, false);
    m.memstall(40, A, true, 'throttle');
    m.memstall(50, A, false, 'throttle');
    const r = m.result(60, ['DEFAULT']);
    // SOME: 10..50 (A in a memstall); FULL: 30..50 (B stopped being runnable at 30).
    expect(r.psi).toEqual({ some: 40, full: 20, window: 60 });
    expect(r.byClass.DEFAULT!.reclaimStall).toMatchObject({ count: 1, total: 30, max: 30 });
    expect(r.byClass.DEFAULT!.highThrottle).toMatchObject({ count: 1, total: 10, max: 10 });
  });

  it('time before warm-up is not counted; a stall begun before it is not either', () => {
    const A = task(1, 'A');
    const m = new MemstallTracker(100, new Set(['A']));
    m.memstall(50, A, true, 'reclaim');
    m.memstall(150, A, false, 'reclaim');
    const r = m.result(200, ['DEFAULT']);
    expect(r.psi).toEqual({ some: 50, full: 50, window: 100 });
    expect(r.byClass.DEFAULT!.reclaimStall.count).toBe(0);
  });
});

describe('memory figures of a memcg-thrash run', () => {
  const sc = { ...loadScenario('memcg-thrash'), duration: 60_000_000, warmup: 10_000_000 };
  const m = measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
  const f = flatten(m);

  it('has reclaim stalls, PSI shares in [0, 1] with FULL <= SOME, and retry misses as a share of retries', () => {
    const mem = m.memory!;
    expect(mem.psi.window).toBe(50_000_000);
    expect(mem.psi.some).toBeGreaterThan(0);
    expect(mem.psi.full).toBeLessThanOrEqual(mem.psi.some);
    expect(mem.psi.some).toBeLessThanOrEqual(mem.psi.window);
    const stalls = m.classes.reduce((n, c) => n + (mem.byClass[c]?.reclaimStall.count ?? 0), 0);
    expect(stalls).toBeGreaterThan(0);
    expect(f.get('memory.psi_some.share')).toBeCloseTo(mem.psi.some / mem.psi.window, 12);
    expect(f.get('memory.retry_miss_share')).toBe(m.vmEvents.RETRY_IO_MISS! / m.vmEvents.FAULT_RETRY!);
  });

  it('the decade figures add up to the mmap_lock wait counts', () => {
    const sum = (mode: string) => [...f].filter(([k]) => k.startsWith(`mmap_lock.${mode}_wait_decades.`)).reduce((a, [, v]) => a + v, 0);
    expect(sum('read')).toBe(m.mmapLock.readWait.count);
    expect(sum('write')).toBe(m.mmapLock.writeWait.count);
  });

  it('a scenario without memory: has no memory figures', () => {
    const tiny = measure({ scenario: { ...loadScenario('tiny'), duration: 20_000_000 }, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    expect(tiny.memory).toBeUndefined();
    expect([...flatten(tiny).keys()].some((k) => k.startsWith('memory.'))).toBe(false);
  });
});

describe('android-launch (a warm launch under memory pressure)', () => {
  it('starts at the low watermark with half of each file cached, and kswapd reclaims from the first allocations', () => {
    const sc = loadScenario('android-launch');
    const { mm } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
    const memcg = mm.memory!;
    expect(memcg.free).toBe(5000);
    expect(memcg.wmark_low).toBe(4993);
    const lib = mm.vmas.find((v) => v.group === 'lib_text_medium')!;
    expect([lib.evicted.has(31), lib.evicted.has(32), memcg.lruvec.get(lib, 31) !== undefined]).toEqual([false, true, true]);
    const m = measure({ scenario: { ...sc, duration: 300_000_000 }, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    expect(m.vmEvents.KSWAPD_WAKE).toBeGreaterThan(0);
    expect(m.vmEvents.PGSTEAL_KSWAPD).toBeGreaterThan(0);
    expect(m.vmEvents.WORKINGSET_REFAULT_FILE).toBeGreaterThan(0);
  }, 60_000);

  it('cached is refused without memory: and on anonymous groups', () => {
    const base = (vma: string, mem: string) => `
name: x
description: x
duration: 10ms
${mem}
vmas:
  - ${vma}
threads:
  - { name: t, think: 1ms, ops: [{ op: fault, vma: v }] }
`;
    expect(() => parseScenario(base('{ name: v, kind: file, pages: 8, cached: 0.5 }', ''), 'x.yaml', 'yaml')).toThrow(/cached needs a memory: block/);
    expect(() => parseScenario(base('{ name: v, kind: anon, pages: 8, cached: 0.5 }', 'memory: { max: 64MiB }'), 'x.yaml', 'yaml')).toThrow(/cached applies to file VMAs only/);
  });
});

describe('fault order: sequential (rounds)', () => {
  it('each thread walks the group in address order, VMA after VMA, and wraps around', () => {
    const sc = parseScenario(`
name: seq
description: one reader, two 4-page files read in order, no readahead
duration: 10ms
memory: { max: 64MiB }
io: { read: 100us }
vmas:
  - { name: f, kind: file, count: 2, pages: 4, readahead: random }
threads:
  - { name: r, think: 1ms, ops: [{ op: fault, vma: f, order: sequential }] }
`, 'seq.yaml', 'yaml');
    expect((sc.threads[0]!.ops[0] as { order?: string }).order).toBe('sequential');
    const { mm, slots } = buildMm(sc, faultStrategy('mainline'), forkStrategy('fork-lock-all'));
    const rec = new Recorder();
    const sim = new Simulator({ cpus: sc.cpus, preempt: sc.preempt, costs: costArray(sc), seed: 1, observer: rec,
      laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold] }, mm);
    new Workload(sim, mm, slots).spawnAll(sc.threads);
    const [a, b] = mm.vmas;
    const resident = () => [a!, b!].map((v) => [0, 1, 2, 3].map((p) => (v.evicted.has(p) ? 0 : 1)).join('')).join(' ');
    sim.run(5_000_000); // faults at 1, 2.1, 3.2, 4.3 ms (1 ms think, 100 us read): the first file, in order
    expect(rec.ops.filter((o) => o.op === 'fault').length).toBe(4);
    expect(resident()).toBe('1111 0000');
    sim.run(sc.duration); // then the second file, then the first again (hits)
    expect(rec.ops.filter((o) => o.op === 'fault').length).toBeGreaterThan(8);
    expect(resident()).toBe('1111 1111');
    expect([mm.memory!.usage, rec.ops.filter((o) => o.op === 'fault').length]).toEqual([8, rec.ops.length]);
  });
});

describe('MemstallTracker properties (fast-check)', () => {
  it('FULL <= SOME <= window; stall totals and counts match a direct replay of the events', () => {
    const ev = fc.record({
      dt: fc.integer({ min: 0, max: 50 }),
      task: fc.integer({ min: 0, max: 2 }),
      kind: fc.constantFrom('stall', 'unstall', 'run', 'stop'),
      throttle: fc.boolean(),
    });
    fc.assert(fc.property(fc.array(ev, { maxLength: 60 }), fc.integer({ min: 0, max: 100 }), (events, warmup) => {
      const tasks = [task(1, 'A'), task(2, 'B'), task(3, 'C')];
      const m = new MemstallTracker(warmup, new Set(['A', 'B', 'C']));
      // Reference: per task in-stall flag and kind; intervals started at or after warm-up.
      const inStall = [false, false, false], since = [0, 0, 0], kinds: Array<'reclaim' | 'throttle'> = ['reclaim', 'reclaim', 'reclaim'];
      let t = 0, expReclaim = 0, expThrottle = 0;
      for (const e of events) {
        t += e.dt;
        const i = e.task, tk = tasks[i]!;
        if (e.kind === 'stall' && !inStall[i]) {
          inStall[i] = true; since[i] = t; kinds[i] = e.throttle ? 'throttle' : 'reclaim';
          m.memstall(t, tk, true, kinds[i]);
        } else if (e.kind === 'unstall' && inStall[i]) {
          inStall[i] = false;
          if (since[i]! >= warmup) { if (kinds[i] === 'throttle') expThrottle += t - since[i]!; else expReclaim += t - since[i]!; }
          m.memstall(t, tk, false, kinds[i]);
        } else if (e.kind === 'run') m.runnable(t, tk, true);
        else if (e.kind === 'stop') m.runnable(t, tk, false);
      }
      const end = t + 10;
      const r = m.result(end, ['DEFAULT']);
      expect(r.psi.full).toBeLessThanOrEqual(r.psi.some);
      expect(r.psi.some).toBeLessThanOrEqual(r.psi.window);
      expect(r.psi.window).toBe(Math.max(0, end - warmup));
      expect(r.byClass.DEFAULT!.reclaimStall.total).toBe(expReclaim);
      expect(r.byClass.DEFAULT!.highThrottle.total).toBe(expThrottle);
    }), { numRuns: 300, seed: 12 });
  });
});

describe('the memory figures in the table, the mail, the JSON and the HTML report', () => {
  it('a memcg-thrash comparison shows the memory section and the mmap_lock decade rows in every form', () => {
    const sc = { ...loadScenario('memcg-thrash'), duration: 40_000_000, warmup: 10_000_000 };
    const input = reportInput(sc, ['mainline', 'retry-vma'], 1);
    const text = renderTable(input.cmp, input.info);
    const mail = renderLkml(input.cmp, input.info);
    const html = renderReport(input);
    const json = JSON.parse(renderJson(input.cmp, input.info, 'test')) as { combinations: Array<{ summary: Record<string, unknown> }> };
    for (const out of [text, mail, html]) {
      expect(out).toContain('PSI some');
      expect(out).toContain('reclaim stall');
      expect(out).toContain('retry misses');
      expect(out).toMatch(/down_read \[\d/);
    }
    expect(Object.keys(json.combinations[0]!.summary)).toEqual(expect.arrayContaining([
      'memory.psi_some.share', 'memory.psi_full.share', 'memory.DEFAULT.reclaim_stall.total', 'mmap_lock.read_wait_decades.[1us,10us)',
    ]));
  }, 60_000);
});
