/**
 * CPUs with identity in the simulator (src/sim/cpus.ts, placement.ts
 * select_idle_sibling) and the timer interrupt that takes CPU from the task
 * it lands on (Simulator.timerSleep, CpuSched.irq, Cost.hrtimer_irq):
 * exact lanes on 1 and 2 CPUs, and engine properties over random scenarios.
 */
import fc from 'fast-check';
import { cpuPropertyScenario, engineOp, type PropertyThread } from './engine-arbitraries.js';
import { describe, expect, it } from 'vitest';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock, sleep, type KPath } from '../src/model/index.js';
import { flush_tlb_mm_range } from '../src/model/tlb.js';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { MultiObserver, simulate, type SimTask, type SimTaskInfo } from '../src/sim/index.js';
import { select_idle_sibling } from '../src/sim/placement.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { TraceRecorder, tracePid } from '../src/trace/index.js';
import { CpuOccupancy } from './cpu-occupancy.js';
import { burn, lanes } from './lanes.js';
import { us } from './helpers.js';

describe('select_idle_sibling: the CPU a task that wants one is put on', () => {
  it('its previous CPU if idle, else the first idle one from prev + 1 round, else none', () => {
    const a = {}, b = {};
    expect(select_idle_sibling([null, null], 1)).toBe(1);
    expect(select_idle_sibling([null, a], 1)).toBe(0);
    expect(select_idle_sibling([a, null, null, b], 3)).toBe(1);
    expect(select_idle_sibling([null, a, null, b], 1)).toBe(2);
    expect(select_idle_sibling([null, null, null], -1)).toBe(0);
    expect(select_idle_sibling([a, b], 0)).toBe(-1);
  });
});

describe('a timer sleep\'s expiry takes hrtimer_irq from the task on the sleeper\'s CPU', () => {
  /**
   * `sleeper` runs 1 us (so its task_cpu is set), then sleeps 10 us on a
   * timer; `holder` takes mmap_lock for reading at `holderAt` and runs 50 us
   * with it; `writer` (optional) asks for it for writing at 20 us.
   */
  const run = (cpus: number, irqUs: number, holderAt: number, writer: boolean) => {
    const h = lanes({ cpus, preempt: false, costs: { hrtimer_irq: us(irqUs) } });
    h.lane('sleeper', 0, function* (t: SimTask): KPath {
      yield* burn(1);
      yield sleep(h.sim.timerSleep(t, us(10)));
      h.mark('back');
    });
    h.lane('holder', holderAt, function* (): KPath {
      yield* mmap_read_lock(h.mm);
      yield* burn(50);
      mmap_read_unlock(h.mm);
      h.mark('up_read');
    });
    if (writer) {
      h.lane('writer', 20, function* (): KPath {
        yield* mmap_write_lock(h.mm);
        h.mark('write locked');
        mmap_write_unlock(h.mm);
      });
    }
    h.run();
    return h.marks;
  };

  it('1 CPU: the holder, running on the sleeper\'s CPU when the timer fires at 11 us, holds the lock 15 us longer', () => {
    // sleeper 0-1 us on CPU 0; holder queued at 0, runs 1-51 us (+15 us from 11 us). The sleeper's
    // mark is its wake-up (no CPU needed), at 11 us with timer_wakeup 0.
    expect(run(1, 15, 0, false)).toEqual([['sleeper', 'back', 11], ['holder', 'up_read', 66]]);
    expect(run(1, 0, 0, false)).toEqual([['sleeper', 'back', 11], ['holder', 'up_read', 51]]);
  });

  it('2 CPUs: a holder on the other CPU loses nothing; one placed on the sleeper\'s idle CPU loses the interrupt', () => {
    // holder from 0 us: CPU 1 (the sleeper has CPU 0); the timer fires on CPU 0, idle.
    expect(run(2, 15, 0, false)).toEqual([['sleeper', 'back', 11], ['holder', 'up_read', 50]]);
    // holder from 2 us: CPU 0 is idle again and first in the scan (the holder never ran: prev -1);
    // the sleeper is back at 11 us on CPU 1 (its CPU busy), the holder's hold ends at 2 + 50 + 15.
    expect(run(2, 15, 2, false)).toEqual([['sleeper', 'back', 11], ['holder', 'up_read', 67]]);
  });

  it('a writer arriving in the longer hold waits it out', () => {
    expect(run(2, 15, 2, true)).toEqual([['sleeper', 'back', 11], ['holder', 'up_read', 67], ['writer', 'write locked', 67]]);
    expect(run(2, 0, 2, true)).toEqual([['sleeper', 'back', 11], ['holder', 'up_read', 52], ['writer', 'write locked', 52]]);
  });

  it('a sleeper that never ran (no task_cpu) arms no interrupt on any CPU', () => {
    const h = lanes({ cpus: 1, preempt: false, costs: { hrtimer_irq: us(15) } });
    h.lane('sleeper', 0, function* (t: SimTask): KPath {
      yield sleep(h.sim.timerSleep(t, us(10)));
      h.mark('back');
    });
    h.lane('holder', 0, function* (): KPath {
      yield* burn(50);
      h.mark('done');
    });
    h.run();
    expect(h.marks).toEqual([['sleeper', 'back', 10], ['holder', 'done', 50]]);
  });
});

describe('a TLB shoot-down\'s IPI takes flush_tlb_func from the task on each target CPU', () => {
  const run = (cpus: number, funcUs: number) => {
    const h = lanes({ cpus, preempt: false, costs: { flush_tlb_multi: us(10), flush_tlb_func: us(funcUs) } });
    h.lane('holder', 0, function* (): KPath {
      yield* mmap_read_lock(h.mm);
      yield* burn(50);
      mmap_read_unlock(h.mm);
      h.mark('up_read');
    });
    h.lane('flusher', 0, function* (): KPath {
      yield* burn(1); // on CPU 1 (the holder took CPU 0 first)
      const f = flush_tlb_mm_range();
      if (f !== null) yield f;
      h.mark('flushed');
    });
    h.run();
    return h.marks;
  };

  it('2 CPUs: the holder on the other CPU loses 9 us at 1 us, the flusher waits 10 us for its IPI', () => {
    expect(run(2, 9)).toEqual([['flusher', 'flushed', 11], ['holder', 'up_read', 59]]);
    expect(run(2, 0)).toEqual([['flusher', 'flushed', 11], ['holder', 'up_read', 50]]);
  });

  it('1 CPU: no other CPU runs the mm, no IPI, nobody loses anything', () => {
    // the flusher runs after the holder (queued at 0), alone: no shoot-down step either.
    expect(run(1, 9)).toEqual([['holder', 'up_read', 50], ['flusher', 'flushed', 51]]);
  });
});

/** Checks the engine's CPU bookkeeping from outside: one task per CPU, queued only when every CPU is taken. */
class CpuIdentity extends CpuOccupancy {
  irqs = 0;
  irqsOnTask = 0;
  override cpuStart(t: number, task: SimTaskInfo): void {
    this.occupy(t, task);
    const s = task as SimTask;
    this.preempted = null;
    if (s.lastCpu !== s.cpu) this.errors.push(`${t}: ${s.comm} task_cpu ${s.lastCpu} while on ${s.cpu}`);
  }
  /** A task preempted: it is queued before its preemptor starts on its CPU (the engine's event order). */
  private preempted: SimTaskInfo | null = null;
  override cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void {
    this.vacate(t, task);
    this.preempted = preempted ? task : null;
  }
  override cpuQueued(t: number, task: SimTaskInfo): void {
    const idle = this.on.filter((x) => x === null).length;
    if (idle > (task === this.preempted ? 1 : 0)) this.errors.push(`${t}: ${task.comm} queued with a CPU idle`);
    if ((task as SimTask).cpu !== -1) this.errors.push(`${t}: ${task.comm} queued while on a CPU`);
  }
  ticks = 0;
  /** Cost.tick_nsec of the run (0: none expected). */
  tickPeriod = 0;
  irq(t: number, cpu: number, task: SimTaskInfo | null, what: string): void {
    this.irqs++;
    if (task !== null) this.irqsOnTask++;
    if (what === 'tick_sched_timer') { // the tick: on the grid, and only on a busy CPU (NO_HZ_IDLE)
      this.ticks++;
      if (this.tickPeriod === 0 || t % this.tickPeriod !== 0) this.errors.push(`${t}: a tick off the ${this.tickPeriod} ns grid`);
      if (task === null) this.errors.push(`${t}: a tick on idle CPU ${cpu}`);
    }
    if (this.on[cpu] !== task) this.errors.push(`${t}: interrupt on CPU ${cpu} charged to ${task?.comm ?? 'idle'}, on it: ${this.on[cpu]?.comm ?? 'idle'}`);
  }
}

describe('CPU identity: engine properties', () => {
  const op = engineOp;
  const thread = fc.record({
    think: fc.integer({ min: 1, max: 200 }), ops: fc.array(op, { minLength: 1, maxLength: 3 }),
    cls: fc.constantFrom('DEFAULT', 'USER_INTERACTIVE', 'BACKGROUND'),
  });
  const scen = (cpus: number | null, threads: PropertyThread[], costUs: number, irqUs: number, spin: boolean, preempt: boolean) => cpuPropertyScenario(
    { cpus: cpus ?? 'unlimited', preempt }, threads, costUs, spin,
    { hrtimer_irq: `${irqUs}us`, flush_tlb_func: `${irqUs / 2}us`, tick_sched_timer: `${irqUs / 3}us`, tick_nsec: '1ms' },
  );

  it('one task per CPU, its task_cpu kept; queued only with every CPU taken; an interrupt charged to the task on its CPU; ticks on the grid, on busy CPUs only; deterministic', () => {
    let charged = 0, ticks = 0;
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4 }), fc.array(thread, { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 50 }),
      fc.integer({ min: 0, max: 30 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1000 }),
      (cpus, threads, costUs, irqUs, spin, preempt, seed) => {
        const s = scen(cpus, threads, costUs, irqUs, spin, preempt);
        const o = new CpuIdentity(cpus);
        o.tickPeriod = 1_000_000;
        simulate({ scenario: s, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed, observer: o });
        expect(o.errors.slice(0, 3), JSON.stringify(s.threads.map((t) => t.name))).toEqual([]);
        if (irqUs === 0) expect(o.irqs).toBe(0);
        charged += o.irqsOnTask;
        ticks += o.ticks;
        expect(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed })))
          .toBe(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed })));
      },
    ), { numRuns: 60 });
    expect(charged).toBeGreaterThan(0); // the generator does reach interrupts on a busy CPU
    expect(ticks).toBeGreaterThan(0); // and ticks on one
  }, 120_000);

  it('unlimited CPUs have no identity: hrtimer_irq and the tick change nothing', () => {
    fc.assert(fc.property(
      fc.array(thread, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1000 }),
      (threads, irqUs, seed) => {
        const m = (irq: number) => JSON.stringify(measure({ scenario: scen(null, threads, 10, irq, false, true), fault: 'mainline', fork: 'fork-lock-all', seed }));
        expect(m(irqUs)).toBe(m(0));
      },
    ), { numRuns: 20 });
  }, 60_000);
});

describe('the Perfetto trace shows the interrupts', () => {
  /** Three threads faulting on one VMA (per-VMA locks) while one mprotects another, 2 CPUs, short think times: expiries and shoot-downs land on busy CPUs. */
  const sc = (irqUs: number) => scenarioFromObject({
    name: 'irq-trace', description: 'test', seed: 1, duration: '20ms', warmup: '0ms', cpus: 2,
    vmas: [{ name: 'heap', kind: 'anon', write: true, pages: 256, resident: 0.5 }, { name: 'data', kind: 'anon', write: true, pages: 4096 }],
    threads: [
      { name: 'f{i}', count: 3, think: '1us', ops: [{ op: 'fault', vma: 'data', access: 'write', states: { zero: 1 } }] },
      { name: 'gc', think: '20us', ops: [{ op: 'mprotect', vma: 'heap', pages: 64 }] },
    ],
    costs: { handle_mm_fault: '30us', mprotect_fixup: '30us', flush_tlb_multi: '5us', hrtimer_irq: `${irqUs}us`, flush_tlb_func: `${irqUs}us` },
  }, 'irq-trace (test)');
  const traceOf = (irqUs: number) => {
    const o = new CpuIdentity(2);
    const rec = new TraceRecorder({ pid: tracePid(0), name: 'irq-trace' }, { window: { from: 0, to: Infinity }, maxEvents: 1e7 });
    simulate({ scenario: sc(irqUs), fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed: 1, observer: new MultiObserver([o, rec]) });
    const instants = (name: string) => rec.result().events.filter((e) => e.text.includes('"ph":"i"') && e.text.includes(`"name":"${name}"`)).length;
    return { o, hr: instants('hrtimer_interrupt'), tlb: instants('flush_tlb_func'), text: rec.result().events.map((e) => e.text) };
  };

  it('one instant on the interrupted thread per interrupt charged to a task (hrtimer_interrupt, flush_tlb_func); none at cost 0', () => {
    const on = traceOf(10);
    expect(on.o.errors).toEqual([]);
    expect(on.hr).toBeGreaterThan(0);
    expect(on.tlb).toBeGreaterThan(0);
    expect(on.hr + on.tlb).toBe(on.o.irqsOnTask);
    const off = traceOf(0);
    expect(off.o.irqs).toBe(0);
    expect(off.hr + off.tlb).toBe(0);
  });
});
