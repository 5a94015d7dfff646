/**
 * The simulator's fast path for do_user_addr_fault (model/fault.ts
 * do_user_addr_fault_fast_*, sim/user-fault.ts; bench/README.md, "A fault
 * without a generator"): every observer event and every figure is what the
 * general generator gives, for every fault strategy; the fast path is taken
 * (the fault's CPU step runs with no kernel frame on the thread's stack);
 * and the checker, whose scheduling points and hooks are on, never takes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { fault_fast_path_ok, set_sched_points, type MmStruct } from '../src/model/index.js';
import { loadScenario, type Scenario } from '../src/scenario/index.js';
import { faultFastPath } from '../src/sim/user-fault.js';
import { simulate, type SimTaskInfo } from '../src/sim/index.js';
import { faultStrategy, forkStrategy, ALL_FAULT_STRATEGIES } from '../src/strategies/index.js';
import { referenceScenario } from '../bench/reference-scenario.js';
import { EventLog, stackDepth } from './event-log.js';

/** Every observer event, in order, as text; and, per CPU start inside a fault op, the depth of the thread's stack. */
class FaultCpuLog extends EventLog {
  readonly faultCpuDepths = new Set<number>();
  constructor(private readonly depthOf: (task: SimTaskInfo) => number) { super(); }
  override cpuStart(t: number, task: SimTaskInfo): void {
    super.cpuStart(t, task);
    if (this.inFault.has(task.id)) this.faultCpuDepths.add(this.depthOf(task));
  }
}

function trace(sc: Scenario, fault: string, seed: number, fast: boolean): FaultCpuLog {
  faultFastPath.on = fast;
  const obs = new FaultCpuLog(stackDepth);
  simulate({ scenario: sc, fault: faultStrategy(fault), fork: forkStrategy('fork-lock-all'), seed, observer: obs });
  return obs;
}

/** A built-in scenario, run for `ms` of simulated time. */
function shortened(name: string, ms: number): Scenario {
  return { ...loadScenario(name), duration: ms * 1_000_000 };
}

afterEach(() => {
  faultFastPath.on = true;
});

describe('do_user_addr_fault fast path: the simulator runs the same', () => {
  const reference = referenceScenario({ threads: 16, vmas: 64, durationUs: 200_000 });
  it('reference bench: the same events; faults without a kernel frame on the stack', { timeout: 60_000 }, () => {
    const a = trace(reference, 'mainline', 1, true), b = trace(reference, 'mainline', 1, false);
    expect(a.log.length).toBeGreaterThan(100_000);
    expect(a.log).toEqual(b.log);
    // The general form has do_user_addr_fault's frame on top of the thread's during the CPU step; the fast path none.
    expect(Math.min(...a.faultCpuDepths)).toBe(Math.min(...b.faultCpuDepths) - 1);
  });

  for (const [name, ms] of [['android-app', 400], ['android-launch', 150], ['exp-fork', 400], ['exp-gc', 400], ['exp-contention', 200], ['tiny', 400]] as const) {
    it(`${name}: every fault strategy, the same events and figures`, { timeout: 120_000 }, () => {
      const sc = shortened(name, ms);
      for (const fault of ALL_FAULT_STRATEGIES) {
        const a = trace(sc, fault, 3, true), b = trace(sc, fault, 3, false);
        expect(a.log, `${name} ${fault}`).toEqual(b.log);
        faultFastPath.on = true;
        const ma = JSON.stringify(measure({ scenario: sc, fault, fork: 'fork-lock-all', seed: 5 }));
        faultFastPath.on = false;
        const mb = JSON.stringify(measure({ scenario: sc, fault, fork: 'fork-lock-all', seed: 5 }));
        expect(ma, `${name} ${fault}`).toBe(mb);
      }
    });
  }

  it('faults after a sleep (Cost.fault_after_sleep): the refill, then the same fault', { timeout: 120_000 }, () => {
    const base = shortened('android-app', 400);
    const sc: Scenario = { ...base, costs: { ...base.costs, fault_after_sleep: 2_500 } };
    for (const fault of ['mainline', 'retry-vma', 'hold-io'] as const) {
      const a = trace(sc, fault, 7, true), b = trace(sc, fault, 7, false);
      expect(a.log, fault).toEqual(b.log);
      expect(a.log).not.toEqual(trace(base, fault, 7, true).log); // the refill changed the run
    }
  });

  it('android-app mainline takes the fast path; pre-vma (no per-VMA lock) never does', () => {
    const sc = shortened('android-app', 400);
    const depth = (fault: string, fast: boolean): number => Math.min(...trace(sc, fault, 3, fast).faultCpuDepths);
    expect(depth('mainline', true)).toBe(depth('mainline', false) - 1);
    expect(depth('pre-vma', true)).toBe(depth('pre-vma', false));
  });
});

/**
 * The fast path carried on past VM_FAULT_RETRY (model/fault.ts steps 5 to 8,
 * UserFault.fastLockMmap / fastMmap): a major fault's retry under mmap_lock
 * in plain calls while mmap_read_trylock succeeds, else do_user_addr_fault
 * from `lock_mmap:`.
 */
describe('do_user_addr_fault fast path: the retry under mmap_lock', () => {
  /** Per fault op, the stack depth at each of its CPU starts (in order). */
  function attemptDepths(sc: Scenario, fast: boolean): { log: string[]; depths: number[][] } {
    faultFastPath.on = fast;
    const depths: number[][] = [];
    const open = new Map<number, number[]>();
    const obs = new FaultCpuLog(stackDepth);
    const begin = obs.opBegin.bind(obs), end = obs.opEnd.bind(obs), cpu = obs.cpuStart.bind(obs);
    obs.opBegin = (t, task, op) => { begin(t, task, op); if (op === 'fault') open.set(task.id, []); };
    obs.opEnd = (t, task, op, ret) => { end(t, task, op, ret); const d = open.get(task.id); if (op === 'fault' && d !== undefined) depths.push(d); open.delete(task.id); };
    obs.cpuStart = (t, task) => { cpu(t, task); open.get(task.id)?.push(stackDepth(task)); };
    simulate({ scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed: 2, observer: obs });
    return { log: obs.log, depths };
  }

  it('major faults only, no writer: the same events; the retried attempt runs with no kernel frame on the stack', { timeout: 60_000 }, () => {
    const sc = referenceScenario({ threads: 8, vmas: 16, durationUs: 100_000, pMajor: 1, noWriter: true }); // no writer: every trylock succeeds
    const a = attemptDepths(sc, true), b = attemptDepths(sc, false);
    expect(a.log).toEqual(b.log);
    const retried = (d: { depths: number[][] }) => d.depths.filter((x) => x.length === 2);
    expect(retried(a).length).toBeGreaterThan(1000);
    expect(retried(a).length).toBe(retried(b).length);
    // Fast path: the first attempt's CPU step and the retry's, both with the thread's stack empty (its loop
    // is no frame); the general form runs the retry's in do_user_addr_fault's frame.
    const base = Math.min(...a.depths.flat());
    expect(new Set(retried(a).map((x) => x[1]))).toEqual(new Set([base]));
    expect(Math.min(...retried(b).map((x) => x[1]))).toBe(base + 1);
  });

  it('a writer that often holds mmap_lock: a failed trylock goes on from lock_mmap, the same events', { timeout: 60_000 }, () => {
    const sc = referenceScenario({ threads: 8, vmas: 4, durationUs: 100_000, pMajor: 0.5, writerThinkMeanUs: 5, writerHoldUs: 20 });
    const a = attemptDepths(sc, true), b = attemptDepths(sc, false);
    expect(a.log).toEqual(b.log);
    expect(a.log.some((l) => l.endsWith('mmap+ false false'))).toBe(true); // mmap_read_trylock failed somewhere
    // Some retries slept for mmap_lock (the general form from lock_mmap: a frame on the stack), most did not.
    const second = a.depths.filter((x) => x.length === 2).map((x) => x[1]!);
    const base = Math.min(...a.depths.flat());
    expect(second.filter((d) => d === base).length).toBeGreaterThan(0);
    expect(second.filter((d) => d > base).length).toBeGreaterThan(0);
  });

  it('exp-death (fatal signals during faults): every fault strategy, the same events', { timeout: 120_000 }, () => {
    const sc = shortened('exp-death', 400);
    for (const fault of ALL_FAULT_STRATEGIES) {
      const a = trace(sc, fault, 4, true), b = trace(sc, fault, 4, false);
      expect(a.log, fault).toEqual(b.log);
    }
  });
});

describe('do_user_addr_fault fast path: never with scheduling points (the checker)', () => {
  it('fault_fast_path_ok is false while scheduling points are on, true in a simulator run', () => {
    const sc = shortened('android-app', 10);
    let inRun: boolean | null = null;
    const obs = new FaultCpuLog(stackDepth);
    const mmOf = { mm: null as MmStruct | null };
    obs.finish = (_t, mm) => { mmOf.mm = mm; inRun = fault_fast_path_ok(mm); };
    simulate({ scenario: sc, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed: 1, observer: obs });
    expect(inRun).toBe(true);
    set_sched_points(true); // what the checker runs with (and the simulator restores after a run)
    expect(fault_fast_path_ok(mmOf.mm!)).toBe(false);
  });
});
