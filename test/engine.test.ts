/**
 * The discrete-event engine (src/sim): event order, random streams, empirical
 * laws, CPU scheduling with priorities and preemption, and reproducibility.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MmStruct, VmEvent, WaitResource } from '../src/model/index.js';
import { VM_EVENT_NAMES } from '../src/model/index.js';
import type { OpName, Scenario } from '../src/scenario/types.js';
import {
  empiricalQuantile, EventHeap, Rng, simulate, Simulator, type SimObserver, type SimTaskInfo, type WaitClass,
} from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { anonGroup, fileGroup, ms, scenario, us, zeroCosts } from './helpers.js';
import { burn, lanes } from './lanes.js';

describe('EventHeap: pops in (time, insertion) order', () => {
  type Cmd = { push: number } | { pop: true };
  const cmd: fc.Arbitrary<Cmd> = fc.oneof(
    // few distinct times, so ties are common
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 8 }).map((t) => ({ push: t * 1000 })) },
    { weight: 1, arbitrary: fc.double({ min: 0, max: 10_000, noNaN: true }).map((t) => ({ push: t })) },
    { weight: 2, arbitrary: fc.constant({ pop: true as const }) },
  );

  it.each([
    ['push', 0, false],
    // times past 2^30 ns (no small integers), half of them through pendTime + pushPending (the engine's SLEEP)
    ['push and pushPending, past 2^30 ns', 2 ** 32, true],
  ])('for arbitrary interleavings of push and pop (stable with respect to insertion): %s', (_name, base, pending) => {
    fc.assert(fc.property(fc.array(fc.tuple(cmd, fc.boolean()), { maxLength: 300 }), (pairs) => {
      const cmds = pairs.map(([c, viaPending]) => ('push' in c ? { push: c.push + base, viaPending: pending && viaPending } : c));
      const heap = new EventHeap();
      const model: Array<{ t: number; id: number }> = [];
      let next = 0;
      const popOne = () => {
        let best = 0;
        for (let i = 1; i < model.length; i++) {
          const a = model[i]!, b = model[best]!;
          if (a.t < b.t || (a.t === b.t && a.id < b.id)) best = i;
        }
        return model.splice(best, 1)[0]!;
      };
      const check = () => {
        heap.pop();
        const want = popOne();
        expect([heap.popTime, heap.popPayload, heap.popTag]).toEqual([want.t, want.id, want.id % 7]);
      };
      for (const c of cmds) {
        if ('push' in c) {
          if (c.viaPending) {
            heap.pendTime = c.push;
            heap.pushPending(next, next % 7);
          } else heap.push(c.push, next, next % 7);
          model.push({ t: c.push, id: next++ });
        } else if (model.length > 0) {
          check();
        }
        expect(heap.size).toBe(model.length);
        if (model.length) expect(heap.peekTime()).toBe(Math.min(...model.map((m) => m.t)));
      }
      while (model.length > 0) check();
      expect(heap.size).toBe(0);
    }), { numRuns: 300 });
  });
});

describe('Rng.stream(seed, k)', () => {
  const draws = (r: Rng, n: number) => Array.from({ length: n }, () => r.random());

  it('is deterministic: the same (seed, k) gives the same draws', () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 0, max: 40 }), (seed, k) => {
      expect(draws(Rng.stream(seed, k), 32)).toEqual(draws(Rng.stream(seed, k), 32));
    }), { numRuns: 50 });
  });

  it('is independent of other streams: interleaved draws from stream j leave stream k unchanged', () => {
    fc.assert(fc.property(
      fc.integer(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), fc.array(fc.boolean(), { maxLength: 64 }),
      (seed, k, j, pattern) => {
        const alone = draws(Rng.stream(seed, k), pattern.length + 8);
        const a = Rng.stream(seed, k), b = Rng.stream(seed, j);
        const got: number[] = [];
        for (const fromA of pattern) {
          if (fromA) got.push(a.random());
          else b.random();
        }
        while (got.length < alone.length) got.push(a.random());
        expect(got).toEqual(alone);
      }), { numRuns: 100 });
  });

  it('different streams of one seed, and one stream of different seeds, differ', () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (seed, k, j) => {
      fc.pre(k !== j);
      expect(draws(Rng.stream(seed, k), 4)).not.toEqual(draws(Rng.stream(seed, j), 4));
      expect(draws(Rng.stream(seed, k), 4)).not.toEqual(draws(Rng.stream(seed ^ 1, k), 4));
    }), { numRuns: 100 });
  });

  it('random() is in [0, 1) and below(n) in [0, n)', () => {
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 1, max: 1 << 20 }), (seed, n) => {
      const r = Rng.stream(seed, 1);
      for (let i = 0; i < 50; i++) {
        const u = r.random();
        expect(u >= 0 && u < 1).toBe(true);
        const b = r.below(n);
        expect(Number.isInteger(b) && b >= 0 && b < n).toBe(true);
      }
    }), { numRuns: 100 });
  });

  it('exponential(mean) gives draw()\'s value for an exponential law, from the same draws', () => {
    fc.assert(fc.property(fc.integer(), fc.double({ min: 0, max: 1e9, noNaN: true }), (seed, mean) => {
      const a = Rng.stream(seed, 1), b = Rng.stream(seed, 1);
      for (let i = 0; i < 20; i++) expect(a.exponential(mean)).toBe(b.draw({ law: 'exponential', mean }));
      expect(a.random()).toBe(b.random()); // the streams stayed in step
    }), { numRuns: 100 });
  });
});

describe('empiricalQuantile', () => {
  /** Integer percentiles, strictly increasing from 0..100 ending at 100, with non-decreasing integer values. */
  const law = fc.uniqueArray(fc.integer({ min: 0, max: 99 }), { minLength: 1, maxLength: 8 })
    .chain((ps) => {
      const pcts = [...ps.sort((a, b) => a - b), 100];
      return fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: pcts.length, maxLength: pcts.length })
        .map((vs) => {
          vs.sort((a, b) => a - b);
          return pcts.map((p, i) => [p, vs[i]!] as [number, number]);
        });
    });

  it('hits every given point exactly', () => {
    fc.assert(fc.property(law, (pts) => {
      for (const [p, v] of pts) expect(empiricalQuantile(pts, p)).toBe(v);
    }));
  });

  it('is monotone in the percentile and stays within [first, last] value', () => {
    fc.assert(fc.property(law, fc.array(fc.double({ min: -5, max: 105, noNaN: true }), { minLength: 2, maxLength: 30 }), (pts, ps) => {
      ps.sort((a, b) => a - b);
      let prev = -Infinity;
      for (const p of ps) {
        const q = empiricalQuantile(pts, p);
        expect(q).toBeGreaterThanOrEqual(prev);
        expect(q).toBeGreaterThanOrEqual(pts[0]![1]);
        expect(q).toBeLessThanOrEqual(pts[pts.length - 1]![1]);
        prev = q;
      }
    }));
  });

  it('interpolates linearly between points', () => {
    expect(empiricalQuantile([[0, 100], [50, 200], [100, 1000]], 25)).toBe(150);
    expect(empiricalQuantile([[0, 100], [50, 200], [100, 1000]], 75)).toBe(600);
    expect(empiricalQuantile([[10, 100], [100, 1000]], 5)).toBe(100);
  });
});

describe('engine CPUs: priority, preemption, FIFO within a priority', () => {
  /*
   * 1 CPU, preempt on.
   * time(us)  0                    3                 5                          12
   * LOW       run ──────────────── preempted ········ run (7 us left) ────────── done
   * HIGH                           run ────────────── done
   */
  it('a higher-priority task preempts a lower one, which resumes with its remaining time', () => {
    const h = lanes({ cpus: 1, preempt: true });
    h.lane('LOW', 0, function* () { yield* burn(10); h.mark('done'); }, 'BACKGROUND');
    h.lane('HIGH', 3, function* () { yield* burn(2); h.mark('done'); }, 'USER_INTERACTIVE');
    h.run();
    expect(h.rec.cpu).toEqual([
      ['LOW', 'start', 0],
      ['LOW', 'preempted', 3], ['LOW', 'queued', 3], ['HIGH', 'start', 3],
      ['HIGH', 'stop', 5], ['LOW', 'start', 5],
      ['LOW', 'stop', 12],
    ]);
    expect(h.marks).toEqual([['HIGH', 'done', 5], ['LOW', 'done', 12]]);
  });

  it('without preemption the higher-priority task waits for the CPU', () => {
    const h = lanes({ cpus: 1, preempt: false });
    h.lane('LOW', 0, function* () { yield* burn(10); h.mark('done'); }, 'BACKGROUND');
    h.lane('HIGH', 3, function* () { yield* burn(2); h.mark('done'); }, 'USER_INTERACTIVE');
    h.run();
    expect(h.marks).toEqual([['LOW', 'done', 10], ['HIGH', 'done', 12]]);
    expect(h.rec.cpu.filter((c) => c[0] === 'HIGH')).toEqual([['HIGH', 'queued', 3], ['HIGH', 'start', 10], ['HIGH', 'stop', 12]]);
  });

  /*
   * 2 CPUs, preempt on: BG (BACKGROUND) and UT (UTILITY) run; UI (USER_INTERACTIVE) arrives
   * at 2 and preempts the lowest-priority runner, BG, not UT.
   */
  it('preemption picks the lowest-priority running task', () => {
    const h = lanes({ cpus: 2, preempt: true });
    h.lane('BG', 0, function* () { yield* burn(10); h.mark('done'); }, 'BACKGROUND');
    h.lane('UT', 0, function* () { yield* burn(10); h.mark('done'); }, 'UTILITY');
    h.lane('UI', 2, function* () { yield* burn(3); h.mark('done'); }, 'USER_INTERACTIVE');
    h.run();
    expect(h.marks).toEqual([['UI', 'done', 5], ['UT', 'done', 10], ['BG', 'done', 13]]);
    expect(h.rec.cpu).toContainEqual(['BG', 'preempted', 2]);
    expect(h.rec.cpu.some(([t, w]) => t === 'UT' && w === 'preempted')).toBe(false);
  });

  /*
   * 1 CPU, preempt on. D holds the CPU 0..10; B, A, C (same priority as D)
   * ask at 1, 2, 3: no preemption among equals, served in request order.
   * time(us)  0      1   2   3        10      15      20      25
   * D         run ─────────────────── done
   * B                ask ·············· run ─── done
   * A                    ask ··························· run ─── done
   * C                        ask ········································ run ── done
   */
  it('tasks of one priority get the CPU first-come first-served and do not preempt each other', () => {
    const h = lanes({ cpus: 1, preempt: true });
    h.lane('D', 0, function* () { yield* burn(10); h.mark('done'); });
    h.lane('A', 2, function* () { yield* burn(5); h.mark('done'); });
    h.lane('C', 3, function* () { yield* burn(5); h.mark('done'); });
    h.lane('B', 1, function* () { yield* burn(5); h.mark('done'); });
    h.run();
    expect(h.marks).toEqual([['D', 'done', 10], ['B', 'done', 15], ['A', 'done', 20], ['C', 'done', 25]]);
    expect(h.rec.cpu.some(([, w]) => w === 'preempted')).toBe(false);
  });

  it('a higher-priority task queued later is served before equal-priority tasks queued earlier', () => {
    const h = lanes({ cpus: 1, preempt: false });
    h.lane('D', 0, function* () { yield* burn(10); h.mark('done'); }, 'DEFAULT');
    h.lane('B', 1, function* () { yield* burn(5); h.mark('done'); }, 'DEFAULT');
    h.lane('A', 2, function* () { yield* burn(5); h.mark('done'); }, 'DEFAULT');
    h.lane('H', 3, function* () { yield* burn(5); h.mark('done'); }, 'USER_INITIATED');
    h.run();
    expect(h.marks).toEqual([['D', 'done', 10], ['H', 'done', 15], ['B', 'done', 20], ['A', 'done', 25]]);
  });
});

/** Records every observer callback, in order, with its time. */
class EverythingRecorder implements SimObserver {
  readonly log: string[] = [];
  private readonly kinds = new Set<string>();
  private add(kind: string, t: number, s: string): void {
    this.kinds.add(kind);
    this.log.push(`${t} ${kind} ${s}`);
  }
  get seen(): string[] { return [...this.kinds].sort(); }
  opBegin(t: number, task: SimTaskInfo, op: OpName): void { this.add('opBegin', t, `${task.comm} ${op}`); }
  opEnd(t: number, task: SimTaskInfo, op: OpName, ret: number): void { this.add('opEnd', t, `${task.comm} ${op} ${ret}`); }
  blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass): void {
    this.add('blocked', t, `${task.comm} ${res.label} ${what} ${cls}`);
  }
  woken(t: number, task: SimTaskInfo): void { this.add('woken', t, task.comm); }
  cpuQueued(t: number, task: SimTaskInfo): void { this.add('cpuQueued', t, task.comm); }
  cpuStart(t: number, task: SimTaskInfo): void { this.add('cpuStart', t, task.comm); }
  cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void { this.add('cpuStop', t, `${task.comm} ${preempted}`); }
  vmEvent(t: number, task: SimTaskInfo | null, ev: VmEvent): void { this.add('vmEvent', t, `${task?.comm ?? '-'} ${VM_EVENT_NAMES[ev]}`); }
  mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void {
    this.add('mmapLockAcquired', t, `${task.comm} ${write} ${success}`);
  }
  mmapLockReleased(t: number, task: SimTaskInfo, write: boolean): void { this.add('mmapLockReleased', t, `${task.comm} ${write}`); }
  finish(t: number, mm: MmStruct): void { this.add('finish', t, `vmas=${mm.vmas.length} seq=${mm.mm_lock_seq}`); }
}

describe('determinism: same scenario, strategy and seed give the same run', () => {
  function small(): Scenario {
    return scenario({
      cpus: 1,
      preempt: true,
      duration: ms(20),
      mmap_lock: { reader_wake: 'all' },
      costs: zeroCosts({
        handle_mm_fault: us(2), fault_retry: us(1), anon_vma_prepare: us(3), do_anonymous_page: us(2),
        mprotect_fixup: us(4), change_pte: 50, munmap_vma: us(5), zap_pte: 20, dup_vma: us(2), copy_pte: 10,
        do_mmap: us(5), madvise_vma: us(1),
      }),
      io: {
        read: { law: 'lognormal', median: us(300), sigma: 0.8 },
        swap: { law: 'exponential', mean: us(200) },
        read_synchronous: false,
        swap_synchronous: false,
        writeback: { law: 'uniform', min: us(100), max: us(900) },
        folio_lock_hold: { law: 'empirical', points: [[0, us(5)], [50, us(20)], [100, us(200)]] },
      },
      vmas: [fileGroup('lib', 3, 32), anonGroup('heap', 2, 32, { anon_vma: false })],
      threads: [
        ...[0, 1, 2].map((i) => ({
          name: `ui:${i}`, group: 'ui', class: 'USER_INTERACTIVE' as const, start: 0,
          think: { law: 'exponential' as const, mean: us(40) },
          ops: [
            { op: 'fault' as const, weight: 3, repeat: 2, gap: { law: 'constant' as const, value: us(3) }, vma: 'lib', access: 'read' as const,
              states: [['cached', 5], ['absent', 2], ['locked', 1], ['writeback', 1]] as Array<['cached' | 'absent' | 'locked' | 'writeback', number]> },
            { op: 'fault' as const, weight: 2, repeat: 1, gap: null, vma: 'heap', access: 'write' as const,
              states: [['zero', 3], ['swapped', 2], ['swapcache_locked', 1]] as Array<['zero' | 'swapped' | 'swapcache_locked', number]> },
          ],
        })),
        { name: 'bg', group: 'bg', class: 'BACKGROUND', start: us(50), think: { law: 'exponential', mean: us(300) },
          ops: [
            { op: 'mprotect', weight: 2, repeat: 1, gap: null, vma: 'lib', pages: 4 },
            { op: 'madvise_dontneed', weight: 1, repeat: 1, gap: null, vma: 'heap', pages: 8 },
            { op: 'munmap', weight: 1, repeat: 1, gap: null, vma: 'heap' },
          ] },
        { name: 'forker', group: 'forker', class: 'DEFAULT', start: us(100), think: { law: 'exponential', mean: ms(1) },
          ops: [{ op: 'fork', weight: 1, repeat: 1, gap: null }] },
      ],
    });
  }
  const run = (strategy: string, seed: number) => {
    const rec = new EverythingRecorder();
    const sim = simulate({ scenario: small(), fault: faultStrategy(strategy), fork: forkStrategy('fork-lock-all'), seed, observer: rec });
    return { log: rec.log, seen: rec.seen, events: sim.events };
  };

  it.each(['mainline', 'retry-vma+uptodate-skip', 'hold-io'])('%s: two runs record identical event sequences', (strategy) => {
    const a = run(strategy, 7), b = run(strategy, 7);
    expect(a.log.length).toBeGreaterThan(2000);
    expect(a.seen).toEqual([
      'blocked', 'cpuQueued', 'cpuStart', 'cpuStop', 'finish', 'mmapLockAcquired', 'mmapLockReleased',
      'opBegin', 'opEnd', 'vmEvent', 'woken',
    ]);
    expect(b.events).toBe(a.events);
    expect(b.log).toEqual(a.log);
    // The record is sensitive to the seed, so equality above is not vacuous.
    expect(run(strategy, 8).log).not.toEqual(a.log);
  });

  it.each([1, 2, 7, 1000])('the event loop in slices of %i events (Simulator.loopSlice) records the same events as the default', (slice) => {
    const a = run('mainline', 7);
    expect(a.events).toBeGreaterThan(Simulator.loopSlice);
    const saved = Simulator.loopSlice;
    Simulator.loopSlice = slice;
    try {
      const b = run('mainline', 7);
      expect(b.events).toBe(a.events);
      expect(b.log).toEqual(a.log);
    } finally {
      Simulator.loopSlice = saved;
    }
  });
});
