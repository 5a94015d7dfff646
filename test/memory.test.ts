/**
 * Memory that runs out (src/model/memcontrol.ts, lruvec.ts, vmscan.ts):
 * charging page-cache folios to a memory cgroup, direct reclaim in the
 * charging task (holding its fault lock), kswapd woken at the low watermark,
 * workingset refault activation, and the race the series is about emerging
 * from a scenario with `memory:`.
 *
 * Lanes: handle_mm_fault costs 1 us, a read is a constant 10 ms; VMAs are
 * 16-page files.
 */
import { describe, expect, it } from 'vitest';
import {
  do_mprotect_pkey, do_user_addr_fault, filemap_charge_and_add, kswapd, LruPage, MemCgroup, page_key, VM_RAND_READ,
  type MemoryConfig,
  type VmAreaStruct,
} from '../src/model/index.js';
import { measure } from '../src/metrics/index.js';
import { loadScenario, scenarioFromObject } from '../src/scenario/index.js';
import { buildMm, costArray, Simulator, Workload } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { us } from './helpers.js';
import { lanes, type Lanes } from './lanes.js';

/** Give the lanes' mm a memory cgroup; every page of VMA 0 starts evicted (cold page cache). */
function withMemory(h: Lanes, cfg: Partial<MemoryConfig>): MemCgroup {
  const memcg = new MemCgroup({ max: Infinity, high: Infinity, total: 0, other: 0, ...cfg });
  h.mm.memory = memcg;
  for (let p = 0; p < h.vma[0]!.pages; p++) h.vma[0]!.evicted.add(p);
  return memcg;
}

/** A lane that makes pages [0, n) of `vma` resident (charged, on the inactive list) at time 0. */
function prefill(h: Lanes, vma: VmAreaStruct, n: number): void {
  h.lane('prefill', 0, function* () {
    yield* filemap_charge_and_add(h.mm, vma, 0, n, false);
  });
}

const count = (h: Lanes, e: string, task?: string): number =>
  h.rec.vmEvents.filter(([t, n]) => n === e && (task === undefined || t === task)).length;

describe('try_charge_memcg over memory.max: direct reclaim in the charging task, holding its fault lock', () => {
  /*
   * time(us)  0        1                          13                        10013
   * prefill   4 pages of VMA 1 charged (memory.max = 4)
   * A (VMA 0 lock)     miss (MADV_RANDOM): charge 1 page -> MEMCG_MAX -> reclaim 4 (4 x 1 us scan + 4 x 2 us steal)
   *                                               page_not_uptodate: drop, read ··· RETRY -> mmap_lock
   * W                  2: mprotect VMA 0: down_write ✓, vma_start_write ····· 13 (waits for A's VMA lock)
   */
  it('the reclaim CPU runs while A holds the VMA lock; a writer of that VMA waits it out', () => {
    const h = lanes({ costs: { pgscan: us(1), pgsteal: us(2) } });
    const memcg = withMemory(h, { max: 4 });
    h.vma[0]!.vm_flags |= VM_RAND_READ;
    prefill(h, h.vma[1]!, 4);
    h.lane('A', 0, function* () {
      yield* do_user_addr_fault(h.mm, h.vma[0]!.vm_start + 1, false);
      h.mark('fault done');
    });
    h.lane('W', 2, function* () {
      yield* do_mprotect_pkey(h.mm, h.addr(0), 1);
      h.mark('mprotect done');
    });
    h.run();
    expect([count(h, 'MEMCG_MAX', 'A'), count(h, 'PGSCAN_DIRECT', 'A'), count(h, 'PGSTEAL_DIRECT', 'A')]).toEqual([1, 4, 4]);
    expect(h.rec.waitLanes().find((w) => w[0] === 'W')).toEqual(['W', 'vma_start_write', 'vma_lock', h.vma[0]!.label, 2, 13]);
    expect(h.marks).toEqual([['W', 'mprotect done', 13], ['A', 'fault done', 10_014]]);
    // VMA 1's pages were evicted (shadows left); VMA 0's page is the only one charged.
    expect([memcg.usage, memcg.lruvec.size, memcg.shadows.size]).toEqual([1, 1, 4]);
    expect([0, 1, 2, 3].every((p) => h.vma[1]!.evicted.has(p))).toBe(true);
  });

  it('a read-around window that does not fit (__GFP_NORETRY) is dropped: the fault reads its page in page_not_uptodate', () => {
    const h = lanes({ strategy: 'retry-vma' });
    const memcg = withMemory(h, { max: 8 });
    h.lane('A', 0, function* () {
      yield* do_user_addr_fault(h.mm, h.vma[0]!.vm_start + 1, false);
      h.mark('fault done');
    });
    h.run();
    // The 16-page window (read-around clamped to the file) cannot be charged under max = 8
    // with nothing to reclaim; the single page can: plain RETRY, so retry-vma retries under mmap_lock.
    expect([count(h, 'MEMCG_MAX'), count(h, 'PAGE_NOT_UPTODATE_READ'), count(h, 'FAULT_RETRY_VMA'), count(h, 'FAULT_MMAP_PATH')]).toEqual([1, 1, 0, 1]);
    expect(memcg.usage).toBe(1);
    expect(h.marks).toEqual([['A', 'fault done', 10_002]]);
  });
});

describe('kswapd: woken below the low watermark, reclaims to the high watermark, sleeps', () => {
  /*
   * total 1024 pages: min_free_kbytes = sqrt(4096 kB x 16) = 256 kB -> min 64 pages,
   * watermark step max(64 / 4, 1024 x 10 / 10000) = 16: low 80, high 96.
   * other 900 -> 124 free; prefill 32 -> 92; A's 16-page window -> 76 < low: wake kswapd.
   */
  it('A allocates below low: kswapd wakes, reclaims the 32 oldest (prefilled) pages, then free >= high and it sleeps', () => {
    const h = lanes({ costs: { pgscan: us(1), pgsteal: us(2) } });
    const memcg = withMemory(h, { total: 1024, other: 900 });
    expect([memcg.wmark_min, memcg.wmark_low, memcg.wmark_high]).toEqual([64, 80, 96]);
    const k = h.lane('kswapd0', 0, () => kswapd(memcg));
    prefill(h, h.vma[1]!, 32);
    h.lane('A', 0, function* () {
      yield* do_user_addr_fault(h.mm, h.vma[0]!.vm_start + 1, false);
    });
    h.run(20_000);
    expect(memcg.kswapd).toBe(k);
    expect([count(h, 'KSWAPD_WAKE', 'A'), count(h, 'PGSCAN_KSWAPD', 'kswapd0'), count(h, 'PGSTEAL_KSWAPD', 'kswapd0')]).toEqual([1, 32, 32]);
    expect(count(h, 'ALLOCSTALL')).toBe(0);
    expect([memcg.free, memcg.kswapd_sleeping]).toEqual([108, true]);
    // kswapd's reclaim from the wake at 1 us: 32 x 1 us scanning, then 32 x 2 us freeing.
    expect(h.rec.cpu.filter(([t]) => t === 'kswapd0')).toEqual([
      ['kswapd0', 'start', 1], ['kswapd0', 'stop', 33], ['kswapd0', 'start', 33], ['kswapd0', 'stop', 97],
    ]);
  });
});

describe('workingset: a refault within the active list size is activated at once', () => {
  it('a shadow within the active list size activates the refault; a farther one goes inactive', () => {
    const h = lanes();
    const memcg = withMemory(h, { max: 64 });
    const v1 = h.vma[1]!;
    h.lane('X', 0, function* () {
      yield* filemap_charge_and_add(h.mm, v1, 0, 2, false); // pages 0, 1 resident
      for (const p of [memcg.lruvec.get(v1, 0)!, memcg.lruvec.get(v1, 1)!]) { // both active: active size 2
        memcg.lruvec.del(p);
        p.active = true;
        memcg.lruvec.add(p);
      }
      // workingset_eviction left shadows at non-resident ages 8 (page 5) and 5 (page 6); the clock is at 10.
      memcg.shadows.set(page_key(v1, 5), 8);
      memcg.shadows.set(page_key(v1, 6), 5);
      memcg.nonresident_age = 10;
      yield* filemap_charge_and_add(h.mm, v1, 5, 2, false); // refault distances 2 (<= 2: activate) and 5
    });
    h.run();
    expect([count(h, 'WORKINGSET_REFAULT_FILE'), count(h, 'WORKINGSET_ACTIVATE_FILE')]).toEqual([2, 1]);
    expect([memcg.lruvec.get(v1, 5)!.active, memcg.lruvec.get(v1, 6)!.active]).toEqual([true, false]);
    expect(memcg.shadows.size).toBe(0);
  });
});

describe('the race emerges from a scenario with memory:', () => {
  const thrash = (memory: boolean) => scenarioFromObject({
    name: 'thrash', description: 'eight readers over files 20x memory.max', duration: '100ms', cpus: 4,
    io: { read: '200us', read_bandwidth: 2100 },
    ...(memory ? { memory: { max: 192, high: 160 } } : {}),
    vmas: [{ name: 'files', kind: 'file', shared: true, count: 8, pages: 512 }, { name: 'heap', kind: 'anon', pages: 64 }],
    threads: [
      { name: 'reader{i}', count: 8, think: '20us', ops: [{ op: 'fault', vma: 'files' }] },
      { name: 'gc', think: '2ms', ops: [{ op: 'mprotect', vma: 'heap', pages: 16 }] },
    ],
  });
  const run = (memory: boolean, strategy: string) =>
    measure({ scenario: thrash(memory), fault: strategy, fork: 'fork-lock-all', seed: 1 }).vmEvents;

  it('mainline: retries find their folio reclaimed and read again under mmap_lock; retry-vma mostly under the VMA lock', () => {
    const m = run(true, 'mainline'), r = run(true, 'retry-vma');
    expect(m.RETRY_IO_MISS).toBeGreaterThan(0);
    expect(m.RETRY_IO_MISS_VMA).toBe(0);
    expect(r.RETRY_IO_MISS_VMA).toBeGreaterThan(0);
    expect(r.RETRY_IO_MISS_VMA).toBeLessThanOrEqual(r.RETRY_IO_MISS!);
    expect(m.PGSTEAL_DIRECT).toBeGreaterThan(0);
    expect(run(true, 'mainline')).toEqual(m); // same seed, same counts
  }, 20_000); // four simulations of the thrashing scenario: 2.4-5.7 s under load

  it('without memory: nothing is reclaimed and no retry misses', () => {
    const m = run(false, 'mainline');
    expect([m.RETRY_IO_MISS, m.PGSCAN_DIRECT, m.MEMCG_MAX]).toEqual([0, 0, 0]);
  });
});

describe('scenario format: memory', () => {
  const base = {
    name: 'm', description: 'memory block', duration: '10ms',
    vmas: [{ name: 'f', kind: 'file', pages: 64 }, { name: 'a', kind: 'anon', pages: 16 }],
    threads: [{ name: 't', think: '1ms', ops: [{ op: 'fault', vma: 'f' }, { op: 'fault', vma: 'a', access: 'write' }] }],
  };
  it('sizes resolve to 4 KiB pages', () => {
    const sc = scenarioFromObject({ ...base, memory: { max: '1MiB', high: 200, total: '0.5GiB', other: '8KiB' } });
    expect(sc.memory).toEqual({ max: 256, high: 200, total: 131072, other: 2, swappiness: 60, dirty_background_ratio: 10, dirty_ratio: 20, dirty_writeback: 5e9, dirty_expire: 30e9 });
    expect(scenarioFromObject(base).memory).toBeUndefined();
  });
  it('errors name the path', () => {
    const err = (o: object) => { try { scenarioFromObject(o); return ''; } catch (e) { return (e as Error).message; } };
    expect(err({ ...base, memory: { high: 10 } })).toMatch(/memory: needs max \(memcg memory.max\) or total/);
    expect(err({ ...base, memory: { max: 10, high: 20 } })).toMatch(/memory\.high: must not be above memory.max \(10 pages\), got 20 pages/);
    expect(err({ ...base, memory: { max: '1TB' } })).toMatch(/memory\.max: expected a size such as "64MiB"/);
    const states = { ...base, memory: { max: 100 }, threads: [{ name: 't', think: '1ms', ops: [{ op: 'fault', vma: 'f', states: { cached: 1 } }] }] };
    expect(err(states)).toMatch(/threads\[0\]\.ops\[0\]\.states: with memory:, the working set and the limits decide whether a page is resident/);
    const unmap = { ...base, memory: { max: 100 }, threads: [{ name: 't', think: '1ms', ops: [{ op: 'munmap', vma: 'f' }] }] };
    expect(err(unmap)).toMatch(/threads\[0\]\.ops\[0\]\.op: munmap \(and its mmap\) is not modelled with memory: yet/);
  });
});

describe('memory accounting stays consistent through a thrashing run (kswapd, memcg reclaim, memory.high)', () => {
  it('usage = pages on the LRU; a page is on the LRU iff not evicted; every cached folio is resident', () => {
    const sc = scenarioFromObject({
      name: 'acct', description: 'accounting', duration: '50ms', cpus: 2,
      io: { read: '100us' },
      memory: { max: 1950, high: 1920, total: 2048, other: 1700, swappiness: 100 },
      vmas: [{ name: 'files', kind: 'file', count: 4, pages: 256 }, { name: 'heap', kind: 'anon', pages: 256, resident: 0.25 }],
      threads: [
        { name: 'r{i}', count: 6, think: '10us', ops: [{ op: 'fault', vma: 'files' }] },
        { name: 'w{i}', count: 2, think: '10us', ops: [{ op: 'fault', vma: 'heap', access: 'write' }] },
      ],
    });
    for (const strategy of ['mainline', 'retry-vma']) {
      const { mm, slots } = buildMm(sc, faultStrategy(strategy), forkStrategy('fork-lock-all'));
      const sim = new Simulator({ cpus: sc.cpus, preempt: sc.preempt, costs: costArray(sc), seed: 1, laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold] }, mm);
      const w = new Workload(sim, mm, slots);
      w.spawnAll(sc.threads);
      const memcg = mm.memory!;
      sim.spawn('kswapd0', 'DEFAULT', () => kswapd(memcg));
      sim.run(sc.duration);
      expect(memcg.usage).toBe(memcg.lruvec.size);
      let swappedOut = 0;
      for (const v of mm.vmas) {
        if (!v.vm_file) {
          for (let p = 0; p < v.pages; p++) {
            const onLru = memcg.lruvec.get(v, p) !== undefined;
            if (v.swapped.has(p)) swappedOut++;
            // A swap entry with the page resident only while its folio is in the swap cache.
            if (onLru && v.swapped.has(p)) expect(v.cache.get(p)).toBeDefined();
            if (!onLru) expect(v.cache.get(p)).toBeUndefined();
          }
          continue;
        }
        for (let p = 0; p < v.pages; p++) {
          const onLru = memcg.lruvec.get(v, p) !== undefined;
          expect([strategy, v.id, p, v.evicted.has(p)]).toEqual([strategy, v.id, p, !onLru]);
          if (v.cache.get(p) !== undefined) expect(onLru).toBe(true);
        }
      }
      expect(memcg.charged).toBeLessThanOrEqual(1950);
      expect(memcg.nonresident_age).toBeGreaterThan(1000); // it did thrash
      expect(swappedOut).toBeGreaterThan(0); // and swapped
    }
  });
});

describe('anonymous reclaim: swap-out to zram with the folio locked', () => {
  /*
   * anon VMA (64 pages), pages 0-39 resident, memory.max = 40; swap_out costs 50 us.
   * time(us)  0   1                        10   11            51                    2001
   * R (VMA)       write page 45: charge -> MEMCG_MAX -> reclaim: swap out page 0 (locked) ─ 1..39 ─ charged
   *               (the first batch of 32 frees 31; the second, [32..39, 0], finishes its batch: 8 more,
   *               and keeps page 0, young since F mapped it)
   * F (VMA)                                fault page 0: swap entry, swap cache hit, folio locked by R:
   *                                            drop VMA lock, folio_wait_locked ····· RETRY -> mainline: mmap_lock
   *                                                                                   retry-vma: VMA lock; maps it
   */
  for (const [strategy, mmap] of [['mainline', true], ['retry-vma', false]] as const) {
    it(`${strategy}: a fault on the page being compressed waits for the folio, then retries under ${mmap ? 'mmap_lock' : 'the VMA lock'}; the folio it held on to is kept`, () => {
      const h = lanes({ strategy, anon: 1, costs: { swap_out: us(50) } });
      const av = h.vma[4]!;
      const memcg = new MemCgroup({ max: 40, high: Infinity, total: 0, other: 0 });
      h.mm.memory = memcg;
      for (let p = 0; p < 40; p++) memcg.lruvec.add(new LruPage(av, p, true));
      memcg.usage = 40;
      h.lane('R', 0, function* () {
        yield* do_user_addr_fault(h.mm, av.vm_start + 45, true);
        h.mark('R done');
      });
      h.lane('F', 10, function* () {
        yield* do_user_addr_fault(h.mm, av.vm_start + 0, false);
        h.mark('F done');
      });
      h.run();
      expect(h.marks).toEqual([['F', 'F done', 52], ['R', 'R done', 2001]]);
      expect(h.rec.waitLanes()).toEqual([['F', 'folio_wait_locked', 'folio', 'folio[4:0]', 11, 51]]);
      expect(h.rec.mmap).toEqual(mmap ? [['F', 'read', 51], ['F', 'up_read', 52]] : []);
      expect([count(h, 'PSWPOUT', 'R'), count(h, 'PGSTEAL_DIRECT', 'R'), count(h, 'FAULT_RETRY_VMA', 'F')]).toEqual([40, 39, mmap ? 0 : 1]);
      // Page 0 stayed (F held a reference when R tried to free it) and F mapped it; 1-39 are in zram.
      expect([av.swapped.has(0), memcg.lruvec.get(av, 0) !== undefined, av.swapped.has(1), av.swapped.has(39)]).toEqual([false, true, true, true]);
      expect([memcg.usage, memcg.lruvec.size]).toEqual([2, 2]); // pages 0 and 45
    });
  }

  it('a swapped-out page faults back in (PSWPIN): charged again, zram read on the faulting CPU', () => {
    const h = lanes({ anon: 1 });
    const av = h.vma[4]!;
    const memcg = new MemCgroup({ max: 8, high: Infinity, total: 0, other: 0 });
    h.mm.memory = memcg;
    av.swapped.add(3);
    h.lane('F', 0, function* () {
      yield* do_user_addr_fault(h.mm, av.vm_start + 3, false);
    });
    h.run();
    expect([count(h, 'PSWPIN'), count(h, 'IO_SWAP'), memcg.usage, av.swapped.has(3), memcg.lruvec.get(av, 3)?.anon]).toEqual([1, 1, 1, false, true]);
  });
});

describe('built-in memcg-thrash (the series\' stress-test shape)', () => {
  it('loads; shortened to 60 ms it shows retry misses: under mmap_lock for mainline, mostly under the VMA lock for retry-vma', () => {
    const sc = { ...loadScenario('memcg-thrash'), duration: 60_000_000, warmup: 0 };
    expect(sc.memory).toEqual({ max: 563, high: 512, total: null, other: 0, swappiness: 60, dirty_background_ratio: 10, dirty_ratio: 20, dirty_writeback: 5e9, dirty_expire: 30e9 });
    expect(sc.threads.filter((t) => t.name.startsWith('reader')).length).toBe(16);
    const m = measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 }).vmEvents;
    const r = measure({ scenario: sc, fault: 'retry-vma', fork: 'fork-lock-all', seed: 1 }).vmEvents;
    expect([m.RETRY_IO_MISS! > 0, m.RETRY_IO_MISS_VMA]).toEqual([true, 0]);
    expect(r.RETRY_IO_MISS_VMA).toBeGreaterThan(0);
  });
});
