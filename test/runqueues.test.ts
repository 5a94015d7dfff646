/**
 * Per-CPU run queues (src/sim/runqueues.ts, src/sim/eevdf.ts; scenario
 * `sched: { runqueues: per-cpu }`): wake-up placement, EEVDF wake-up
 * preemption at the running task's next preemption point (the end of its
 * CPU step: PREEMPT_NONE), idle balancing of tasks that are not cache-hot.
 * Exact lanes on 2 CPUs (lanes' handle_mm_fault = 1 us, wakeup 0, no tick),
 * the EEVDF arithmetic, and engine properties over random scenarios.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock, sleep, type KPath } from '../src/model/index.js';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { simulate, Simulator, type SimTask, type SimTaskInfo } from '../src/sim/index.js';
import {
  class_weight, pick_eevdf, place_entity, set_next_entity, update_curr, update_entity_lag, SCHED_MIGRATION_COST,
  type CfsRq, type SchedEntity,
} from '../src/sim/eevdf.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { cpuPropertyScenario, engineOp, type PropertyThread } from './engine-arbitraries.js';
import { CpuOccupancy } from './cpu-occupancy.js';
import { burn, lanes, type Lanes } from './lanes.js';
import { us } from './helpers.js';

/** A lane body that burns `steps` x `n` us and marks each change of CPU ("on cpu C"). */
function stepper(h: Lanes, steps: number, n: number, done: string) {
  return function* (t: SimTask): KPath {
    let last = -2;
    for (let i = 0; i < steps; i++) {
      yield* burn(n);
      if (t.lastCpu !== last) h.mark(`on cpu ${t.lastCpu}`);
      last = t.lastCpu;
    }
    h.mark(done);
  };
}

describe('per-CPU run queues: exact lanes on 2 CPUs', () => {
  /**
   * gc (UTILITY, nice 4) on CPU 0 in 10 us steps, a hog on CPU 1, a reader
   * queued on CPU 0 at 0 (no idle CPU). gc's first deadline (half a
   * 1.4 ms slice, PLACE_DEADLINE_INITIAL) passes at 700 us: at that step's
   * end it is not eligible (its vruntime grows 1024/423 as fast) and the
   * reader runs 700-705, sleeping with a positive lag. It wakes at 808 on
   * CPU 0 (prev; CPU 1 busy), placed below gc: gc is not eligible, so the
   * reader preempts it at gc's next step end (815), runs 815-820, and gc
   * resumes on CPU 0 at 820 although CPU 1 went idle at 817 (gc is
   * cache-hot: it ran 2 us before).
   */
  function preemptLanes(readerSecondBurn: number) {
    const h = lanes({ cpus: 2, preempt: false, perCpu: true });
    h.lane('gc', 0, stepper(h, 100, 10, 'gc done'), 'UTILITY');
    h.lane('hog', 0, function* (t: SimTask): KPath {
      yield* burn(817);
      h.mark(`hog sleeps on cpu ${t.cpu}`);
      yield sleep(us(5000));
    });
    h.lane('reader', 0, function* (t: SimTask): KPath {
      yield* burn(5);
      h.mark(`reader ran on cpu ${t.cpu}`);
      yield sleep(us(103));
      yield* burn(readerSecondBurn);
      h.mark(`reader done on cpu ${t.cpu}`);
    });
    return h;
  }

  it('a wakee queued on a busy CPU preempts the lower-weight writer at its next step end; the writer, cache-hot, resumes there after it', () => {
    const h = preemptLanes(5);
    h.run(3000);
    expect(h.marks).toEqual([
      ['gc', 'on cpu 0', 10],
      ['reader', 'reader ran on cpu 0', 705],
      ['hog', 'hog sleeps on cpu 1', 817],
      ['reader', 'reader done on cpu 0', 820],
      ['gc', 'gc done', 1010],
    ]);
    expect(h.rec.cpu.filter((c) => c[0] !== 'gc' || c[1] === 'queued')).toEqual([
      ['hog', 'start', 0], ['reader', 'queued', 0],
      ['gc', 'queued', 700], ['reader', 'start', 700], ['reader', 'stop', 705],
      ['reader', 'queued', 808], ['gc', 'queued', 815], ['reader', 'start', 815],
      ['hog', 'stop', 817], ['reader', 'stop', 820],
    ]);
  });

  it('a queued task that is cache-hot is pulled by the idle CPU only once it is not (0.5 ms after it last ran)', () => {
    const h = preemptLanes(600); // the reader holds CPU 0 815-1415; gc queued there from 815, CPU 1 idle from 817
    h.run(3000);
    expect(h.marks).toEqual([
      ['gc', 'on cpu 0', 10],
      ['reader', 'reader ran on cpu 0', 705],
      ['hog', 'hog sleeps on cpu 1', 817],
      ['gc', 'on cpu 1', 815 + SCHED_MIGRATION_COST / 1000 + 10],
      ['reader', 'reader done on cpu 0', 1415],
      ['gc', 'gc done', 1315 + (100 - 70 - 11) * 10], // 70 steps to 700, 11 in 705-815
    ]);
  });

  it('a CPU going idle pulls a task queued elsewhere that is not cache-hot (sched_balance_newidle)', () => {
    const h = lanes({ cpus: 2, preempt: false, perCpu: true });
    h.lane('a', 0, function* (t: SimTask): KPath { yield* burn(1000); h.mark(`a done on cpu ${t.cpu}`); });
    h.lane('c', 0, function* (t: SimTask): KPath { yield* burn(600); h.mark(`c sleeps on cpu ${t.cpu}`); yield sleep(us(5000)); });
    h.lane('b', 0, function* (t: SimTask): KPath { yield* burn(50); h.mark(`b done on cpu ${t.cpu}`); });
    h.run(3000);
    expect(h.marks).toEqual([
      ['c', 'c sleeps on cpu 1', 600],
      ['b', 'b done on cpu 1', 650],
      ['a', 'a done on cpu 0', 1000],
    ]);
    expect(h.rec.cpu.filter((c) => c[0] === 'b')).toEqual([['b', 'queued', 0], ['b', 'start', 600], ['b', 'stop', 650]]);
  });

  it('a woken task goes to its previous CPU when idle, else to the idle sibling', () => {
    const h = lanes({ cpus: 2, preempt: false, perCpu: true });
    h.lane('x', 0, function* (t: SimTask): KPath {
      yield* burn(5);
      h.mark(`x on cpu ${t.cpu}`);
      yield sleep(us(20)); // wakes at 25: CPU 0 (its prev) busy with z, CPU 1 idle
      yield* burn(5);
      h.mark(`x on cpu ${t.cpu}`);
      yield sleep(us(100)); // wakes at 130: CPU 1 (its prev) idle, so is CPU 0
      yield* burn(5);
      h.mark(`x on cpu ${t.cpu}`);
    });
    h.lane('z', 10, function* (t: SimTask): KPath { yield* burn(50); h.mark(`z on cpu ${t.cpu}`); });
    h.run(3000);
    expect(h.marks).toEqual([
      ['x', 'x on cpu 0', 5],
      ['x', 'x on cpu 1', 30],
      ['z', 'z on cpu 0', 60],
      ['x', 'x on cpu 1', 135],
    ]);
  });

  it('the global queue (the default): the queued reader takes CPU 0 at gc\'s first step end, no EEVDF', () => {
    const h = lanes({ cpus: 2, preempt: false });
    h.lane('gc', 0, stepper(h, 3, 10, 'gc done'), 'UTILITY');
    h.lane('hog', 0, function* (): KPath { yield* burn(100); });
    h.lane('reader', 0, function* (t: SimTask): KPath { yield* burn(5); h.mark(`reader ran on cpu ${t.lastCpu}`); });
    h.run(3000);
    expect(h.marks).toEqual([['gc', 'on cpu 0', 10], ['reader', 'reader ran on cpu 0', 15], ['gc', 'gc done', 35]]);
  });
});

describe('vcpu_pack: the calibration host\'s wake-up packing, exact lanes on 2 CPUs', () => {
  /**
   * r runs 0-5 us on CPU 0 and sleeps to 25; w (UTILITY, nice 4) starts at
   * 10 on CPU 0 (idle, first in the scan) in 10 us steps to 110. At 25 r's
   * timer fires on CPU 0 (its previous CPU), which runs w alone; CPU 1 is
   * idle.
   */
  function timerLanes(pack: boolean) {
    const h = lanes({ cpus: 2, preempt: false, perCpu: true, vcpuPack: pack });
    h.lane('r', 0, function* (t: SimTask): KPath {
      yield* burn(5);
      h.mark(`r on cpu ${t.cpu}`);
      yield sleep(us(20));
      yield* burn(5);
      h.mark(`r on cpu ${t.cpu}`);
    });
    h.lane('w', 10, stepper(h, 10, 10, 'w done'), 'UTILITY');
    h.run(3000);
    return h;
  }

  it('a timer wake-up on the writer\'s CPU, which runs one task, is queued there although CPU 1 is idle, and waits for the writer', () => {
    const h = timerLanes(true);
    // r slept alone on CPU 0 (lag 0): placed at the average, it does not preempt w inside w's
    // protected slice, and waits to w's end (it is cache-hot: CPU 1 does not pull it).
    expect(h.marks).toEqual([
      ['r', 'r on cpu 0', 5],
      ['w', 'on cpu 0', 20],
      ['w', 'w done', 110],
      ['r', 'r on cpu 0', 115],
    ]);
    expect(h.rec.cpu.filter((c) => c[0] === 'r')).toEqual([
      ['r', 'start', 0], ['r', 'stop', 5], ['r', 'queued', 25], ['r', 'start', 110], ['r', 'stop', 115],
    ]);
  });

  it('without it (per-cpu placement, mainline select_idle_sibling) the wake-up takes idle CPU 1 and the writer is not delayed', () => {
    const h = timerLanes(false);
    expect(h.marks).toEqual([
      ['r', 'r on cpu 0', 5],
      ['w', 'on cpu 0', 20],
      ['r', 'r on cpu 1', 30],
      ['w', 'w done', 110],
    ]);
  });

  /**
   * A task-context waker: holder (on CPU 1) holds mmap_lock for read 0-50;
   * the waiter, on CPU 0 at 0-1, sleeps in down_write from 1. The holder's
   * up_read wakes it on CPU 1, which runs the holder alone (it burns 100
   * more); CPU 0 is idle and is the waiter's previous CPU.
   */
  function wakerLanes(pack: boolean) {
    const h = lanes({ cpus: 2, preempt: false, perCpu: true, vcpuPack: pack });
    h.lane('waiter', 0, function* (t: SimTask): KPath {
      yield* burn(1);
      yield* mmap_write_lock(h.mm);
      yield* burn(5);
      h.mark(`locked, on cpu ${t.cpu}`);
      mmap_write_unlock(h.mm);
    });
    h.lane('holder', 0, function* (t: SimTask): KPath {
      yield* mmap_read_lock(h.mm);
      yield* burn(50);
      mmap_read_unlock(h.mm);
      yield* burn(100);
      h.mark(`holder done on cpu ${t.cpu}`);
    });
    h.run(3000);
    return h.marks;
  }

  it('a wake-up by a running task (up_read) is queued on the waker\'s CPU; without packing it goes to its idle previous CPU', () => {
    expect(wakerLanes(true)).toEqual([['holder', 'holder done on cpu 1', 150], ['waiter', 'locked, on cpu 1', 155]]);
    expect(wakerLanes(false)).toEqual([['waiter', 'locked, on cpu 0', 55], ['holder', 'holder done on cpu 1', 150]]);
  });
});

describe('scenario sched.vcpu_pack', () => {
  const base = {
    name: 's', description: 'd', duration: '1ms', cpus: 2,
    vmas: [{ name: 'heap', kind: 'anon', pages: 8 }],
    threads: [{ name: 't', think: '10us', ops: [{ op: 'fault', vma: 'heap' }] }],
  };
  it('kept with per-cpu; absent or false leave no key; refused without per-cpu', () => {
    expect(scenarioFromObject({ ...base, sched: { runqueues: 'per-cpu', vcpu_pack: true } }).sched).toEqual({ runqueues: 'per-cpu', vcpu_pack: true });
    expect(scenarioFromObject({ ...base, sched: { runqueues: 'per-cpu', vcpu_pack: false } }).sched).toEqual({ runqueues: 'per-cpu' });
    expect(() => scenarioFromObject({ ...base, sched: { vcpu_pack: true } })).toThrow(/needs runqueues: per-cpu/);
  });
});

describe('scenario sched.runqueues', () => {
  const base = {
    name: 's', description: 'd', duration: '1ms', cpus: 2,
    vmas: [{ name: 'heap', kind: 'anon', pages: 8 }],
    threads: [{ name: 't', think: '10us', ops: [{ op: 'fault', vma: 'heap' }] }],
  };
  it('per-cpu is kept in the resolved scenario; global or absent leave no key (outputs of existing scenarios unchanged)', () => {
    expect(scenarioFromObject({ ...base, sched: { runqueues: 'per-cpu' } }).sched).toEqual({ runqueues: 'per-cpu' });
    expect('sched' in scenarioFromObject({ ...base, sched: { runqueues: 'global' } })).toBe(false);
    expect('sched' in scenarioFromObject(base)).toBe(false);
  });
  it('another value is refused', () => {
    expect(() => scenarioFromObject({ ...base, sched: { runqueues: 'percpu' } })).toThrow(/'global' or 'per-cpu'/);
  });
});

describe('EEVDF arithmetic (sim/eevdf.ts)', () => {
  const se = (weight: number, vruntime = 0): SchedEntity => ({ weight, vruntime, deadline: 0, vlag: 0, vprot: 0, execStart: 0, initial: false });
  const SLICE = 1_400_000;

  it('nice weights: DEFAULT 1024, UTILITY (nice 4) 423, BACKGROUND (nice 10) 110, USER_INTERACTIVE (nice -10) 9548', () => {
    expect([class_weight('DEFAULT'), class_weight('UTILITY'), class_weight('BACKGROUND'), class_weight('USER_INTERACTIVE')]).toEqual([1024, 423, 110, 9548]);
  });

  it('a wakee with positive lag makes a lone curr ineligible and is picked over its protected slice; with lag 0 curr keeps the CPU', () => {
    for (const [lag, picked] of [[1000, 'wakee'], [0, 'curr']] as const) {
      const rq: CfsRq<SchedEntity> = { queued: [], lastAvg: 0 };
      const curr = se(423, 5000), w = se(1024);
      set_next_entity(curr, 0, SLICE);
      w.vlag = lag;
      place_entity(rq, curr, w, SLICE);
      expect(w.vruntime).toBeCloseTo(5000 - lag * (423 + 1024) / 423, 6); // PLACE_LAG's inflation
      rq.queued.push(w);
      expect(pick_eevdf(rq, curr, true) === w ? 'wakee' : 'curr').toBe(picked);
    }
  });

  it('update_curr: run time scaled by 1024 / weight; past the deadline a new one and a resched only with others queued', () => {
    const rq: CfsRq<SchedEntity> = { queued: [], lastAvg: 0 };
    const c = se(423);
    c.deadline = 1000;
    expect(update_curr(rq, c, 423, SLICE)).toBe(false); // past the deadline, alone: no resched
    expect(c.vruntime).toBeCloseTo(1024, 9);
    expect(c.deadline).toBeCloseTo(1024 + SLICE * 1024 / 423, 6);
  });

  it('a sleeper keeps only a positive lag (DELAY_DEQUEUE, DELAY_ZERO), clamped to max(2 slices, a tick) of virtual time; a migrating task keeps a negative one', () => {
    const rq: CfsRq<SchedEntity> = { queued: [se(1024, 0)], lastAvg: 0 };
    const ahead = se(1024, 10_000), behind = se(1024, -1e9);
    update_entity_lag(rq, ahead, ahead, SLICE, 4_000_000, true);
    expect(ahead.vlag).toBe(0);
    update_entity_lag(rq, ahead, ahead, SLICE, 4_000_000, false);
    expect(ahead.vlag).toBe(-5000);
    update_entity_lag(rq, behind, behind, SLICE, 4_000_000, true);
    expect(behind.vlag).toBe(4_000_000);
  });
});

/** Checks per-CPU run queues from outside and inside: one task per CPU, every queued task runs, idle CPUs pull cold tasks. */
class RqChecker extends CpuOccupancy {
  readonly queuedAt = new Map<SimTaskInfo, number>();
  queues = 0;
  /**
   * fromQueued: a task counts as cold from when it was queued if later (a
   * vcpu_pack wakee is queued on a busy CPU with another idle by design, and
   * balanced from then on).
   */
  constructor(cpus: number, readonly tickPeriod: number, readonly fromQueued = false) {
    super(cpus);
  }
  override cpuStart(t: number, task: SimTaskInfo): void {
    this.occupy(t, task);
    this.queuedAt.delete(task);
    this.conserving(t);
  }
  override cpuStop(t: number, task: SimTaskInfo): void {
    this.vacate(t, task);
    this.conserving(t);
  }
  override cpuQueued(t: number, task: SimTaskInfo): void {
    if ((task as SimTask).cpu !== -1) this.errors.push(`${t}: ${task.comm} queued while on a CPU`);
    this.queuedAt.set(task, t);
    this.queues++;
  }
  /**
   * No CPU idle (no task on it in the engine: the simulator being run, read
   * through its private static `active`) while a task queued elsewhere has
   * been cold for longer than a tick period.
   */
  private conserving(t: number): void {
    const sim = (Simulator as unknown as { active: { cpuTask: Array<SimTask | null>; rqs: Array<{ queued: SimTask[] }> } }).active;
    if (!sim.cpuTask.includes(null)) return;
    for (const rq of sim.rqs) {
      for (const p of rq.queued) {
        const q = this.fromQueued ? (this.queuedAt.get(p) ?? 0) : 0;
        if (t - Math.max(p.execStart + SCHED_MIGRATION_COST, q) > this.tickPeriod) this.errors.push(`${t}: a CPU idle while ${p.comm}, cold since ${p.execStart + SCHED_MIGRATION_COST}, is queued`);
      }
    }
  }
}

describe('per-CPU run queues: engine properties', () => {
  const thread = fc.record({
    think: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 500, max: 3000 })), ops: fc.array(engineOp, { minLength: 1, maxLength: 3 }),
    cls: fc.constantFrom('DEFAULT', 'USER_INTERACTIVE', 'UTILITY', 'BACKGROUND'),
  });
  const scen = (cpus: number, threads: PropertyThread[], costUs: number, spin: boolean, tick: boolean) => cpuPropertyScenario(
    { cpus, sched: { runqueues: 'per-cpu' } }, threads, costUs, spin,
    { hrtimer_irq: '2us', flush_tlb_func: '1us', ...(tick ? { tick_sched_timer: '1us', tick_nsec: '1ms' } : {}) },
  );

  it('no task on two CPUs; every task queued before the last 10 ms runs; no CPU idle while a cold task is queued elsewhere (beyond the idle balance\'s tick); deterministic', () => {
    let queued = 0;
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 4 }), fc.array(thread, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 300 }),
      fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1000 }),
      (cpus, threads, costUs, spin, tick, seed) => {
        const s = scen(cpus, threads, costUs, spin, tick);
        const o = new RqChecker(cpus, tick ? 1_000_000 : 0);
        simulate({ scenario: s, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed, observer: o });
        for (const [task, at] of o.queuedAt) if (at < 10_000_000) o.errors.push(`${task.comm} queued at ${at} never ran`);
        queued += o.queues;
        expect(o.errors.slice(0, 3)).toEqual([]);
        expect(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed })))
          .toBe(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed })));
      },
    ), { numRuns: 60, seed: 14 });
    expect(queued).toBeGreaterThan(0); // the generator does reach queued tasks
  }, 120_000);
});

/**
 * RqChecker and the vcpu_pack rule seen from outside: a task woken by
 * wake_up_process (its waking CPU W: SimTask.wakeCpu at `woken`) that is
 * then started directly on another CPU must have found W idle or with a
 * task queued, never running exactly one task with none queued (the engine
 * read through Simulator.active at the start, the placement's instant).
 */
class PackChecker extends RqChecker {
  private readonly waking = new Map<SimTaskInfo, number>();
  packed = 0;
  override woken(_t: number, task: SimTaskInfo): void {
    this.waking.set(task, (task as SimTask).wakeCpu);
  }
  override cpuQueued(t: number, task: SimTaskInfo): void {
    const w = this.waking.get(task);
    if (w !== undefined && w === (task as SimTask).lastCpu) this.packed++;
    this.waking.delete(task);
    super.cpuQueued(t, task);
  }
  override cpuStart(t: number, task: SimTaskInfo): void {
    const w = this.waking.get(task), c = (task as SimTask).cpu;
    this.waking.delete(task);
    if (w !== undefined && w >= 0 && c !== w) {
      const sim = (Simulator as unknown as { active: { cpuTask: Array<SimTask | null>; rqs: Array<{ queued: SimTask[] }> } }).active;
      if (sim.cpuTask[w] !== null && sim.rqs[w]!.queued.length === 0) {
        this.errors.push(`${t}: ${task.comm} woken from CPU ${w}, which runs one task, started on CPU ${c}`);
      }
    }
    super.cpuStart(t, task);
  }
}

describe('vcpu_pack: engine properties', () => {
  const thread = fc.record({
    think: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 500, max: 3000 })), ops: fc.array(engineOp, { minLength: 1, maxLength: 3 }),
    cls: fc.constantFrom('DEFAULT', 'USER_INTERACTIVE', 'UTILITY', 'BACKGROUND'),
  });

  it('a wake-up never leaves a waking CPU that runs one task for another CPU; no task on two CPUs; every queued task runs; no CPU idle past the idle balance\'s tick while a cold task is queued; deterministic', () => {
    let packed = 0;
    fc.assert(fc.property(
      fc.integer({ min: 2, max: 4 }), fc.array(thread, { minLength: 2, maxLength: 6 }), fc.integer({ min: 0, max: 300 }),
      fc.boolean(), fc.boolean(),
      (cpus, threads, costUs, spin, tick) => {
        const s = cpuPropertyScenario(
          { cpus, sched: { runqueues: 'per-cpu', vcpu_pack: true } }, threads, costUs, spin,
          { hrtimer_irq: '2us', flush_tlb_func: '1us', wakeup: '0us', ...(tick ? { tick_sched_timer: '1us', tick_nsec: '1ms' } : {}) },
        );
        const o = new PackChecker(cpus, tick ? 1_000_000 : 0, true);
        simulate({ scenario: s, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed: 1, observer: o });
        for (const [task, at] of o.queuedAt) if (at < 10_000_000) o.errors.push(`${task.comm} queued at ${at} never ran`);
        packed += o.packed;
        expect(o.errors.slice(0, 3)).toEqual([]);
        expect(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 })))
          .toBe(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 })));
      },
    ), { numRuns: 40, seed: 14 });
    expect(packed).toBeGreaterThan(0); // the generator does reach packed wake-ups
  }, 120_000);
});
