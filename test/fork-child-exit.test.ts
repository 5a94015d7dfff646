/**
 * The fork op's child exit (docs/calibration.md "The forked child's exit"):
 * kernel/fork.c wake_up_new_task places the child, which calls exit_group(0)
 * at once, on an idle CPU if there is one; if not, the child is queued on the
 * parent's CPU and preempts the parent once the parent has run past its
 * protected slice (EEVDF RUN_TO_PARITY: sysctl_sched_base_slice, 0.70 ms x (1
 * + ilog2(CPUs)), since it woke) or a wakee with a positive lag was queued
 * there too, and the parent's fork() returns only after
 * the child's do_exit -> exit_mmap. Exact outcomes of hand-built scenarios in
 * the simulator, and no change with the built-in costs (all 0).
 */
import { describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { CHILD_EXIT, type Extra, forkScenario } from './fork-scenario.js';
import { sched_base_slice } from '../src/sim/engine.js';
import { child_runs_first, idle_cpu_for_new_task, wakee_on_parent_cpu } from '../src/sim/placement.js';

const run = (sc: ReturnType<typeof scenarioFromObject>) => measure({ scenario: sc, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });

// The fork (test/fork-scenario.ts): 2,000.32 us with the default dup_vma of 1 ms (past the protected
// slice, 1.4 ms on 2 CPUs, 0.7 ms on 1), 200.32 us with 100 us.
const sc = (cpus: number, costs: Extra, reader: boolean, dupVma = '1ms') => forkScenario({ cpus, costs, reader, dupVma });
const LONG = 2_000_320, SHORT = 200_320;
// The child's exit: 57.2 us (CHILD_EXIT).
const child = CHILD_EXIT;
const fork = (s: ReturnType<typeof sc>) => run(s).opsAll.fork!;

describe('fork: the child runs its exit first when wake_up_new_task finds no idle CPU and the parent\'s slice is used up', () => {
  it('2 CPUs, a reader woken by the fork\'s mmap_write_unlock takes the other CPU: the child runs on the parent\'s', () => {
    const f = fork(sc(2, child, true));
    expect(f.count).toBe(1);
    expect(f.latency!.max).toBe(LONG + 57_200);
  });

  it('the same with a wake-up latency: the woken reader has the other CPU already (idle_cpu() is false)', () => {
    expect(fork(sc(2, { ...child, wakeup: '3us' }, true)).latency!.max).toBe(LONG + 57_200);
  });

  it('1 CPU: never an idle one, the child runs first after a fork longer than the slice', () => {
    expect(fork(sc(1, child, false)).latency!.max).toBe(LONG + 57_200);
  });

  it('2 CPUs and nothing else runnable: the child exits on the idle CPU, the parent returns at once', () => {
    expect(fork(sc(2, child, false)).latency!.max).toBe(LONG);
  });

  it('a fork shorter than the protected slice: the parent returns first (RUN_TO_PARITY), idle CPU or not', () => {
    expect(fork(sc(1, child, false, '100us')).latency!.max).toBe(SHORT);
    // With the reader, the longest is the second fork (at ~2.2 ms): it copies the page the reader's
    // zero fault mapped at ~1.2 ms too (mmap.ts present_ptes: 33 PTEs x 10 ns).
    expect(fork(sc(2, child, true, '100us')).latency!.max).toBe(SHORT + 10);
  });

  it('the slice is 0.7 ms x (1 + ilog2(CPUs)): the boundary on 1 CPU (0.7 ms) and 2 CPUs (1.4 ms)', () => {
    // dup_mmap = 2 x dup_vma + 320 ns.
    expect(fork(sc(1, child, false, '349us')).latency!.max).toBe(698_320);
    expect(fork(sc(1, child, false, '350us')).latency!.max).toBe(700_320 + 57_200);
    expect(fork(sc(2, child, true, '699us')).latency!.max).toBe(1_398_320);
    expect(fork(sc(2, child, true, '700us')).latency!.max).toBe(1_400_320 + 57_200);
    expect(sched_base_slice(1)).toBe(700_000);
    expect(sched_base_slice(2)).toBe(1_400_000);
    expect(sched_base_slice(8)).toBe(2_800_000);
    expect(sched_base_slice(64)).toBe(2_800_000);
  });

  it('the parent\'s CPU time counts since its last sleep: back-to-back forks add up, a gap between them resets', () => {
    const twice = (gap: string | null) => scenarioFromObject({
      name: 'fx', description: 'test', duration: '3500us', warmup: '0ms', cpus: 1,
      vmas: [{ name: 'heap', kind: 'anon', write: true, pages: 64, resident: 0.5 }, { name: 'lib', kind: 'file', shared: true, pages: 16 }],
      threads: [{ name: 'forker', think: '1ms', ops: [{ op: 'fork', repeat: 2, ...(gap === null ? {} : { gap }) }] }],
      costs: { dup_vma: '250us', copy_pte: '10ns', ...child },
    });
    // Each fork: 500.32 us of dup_mmap. Back to back the second starts 500.32 us into the slice and
    // ends past 0.7 ms: its child runs first. After a 10 us gap (a sleep) both are protected.
    const back = run(twice(null)).opsAll.fork!;
    expect(back.count).toBe(2);
    expect(back.latency!.max).toBe(500_320 + 57_200);
    expect(back.latency!.mean * 2).toBeCloseTo(2 * 500_320 + 57_200, 3);
    const apart = run(twice('10us')).opsAll.fork!;
    expect(apart.count).toBe(2);
    expect(apart.latency!.max).toBe(500_320);
  });

  it('VM_DONTCOPY VMAs are not the child\'s: no exit cost for them', () => {
    const s = scenarioFromObject({
      name: 'fx', description: 'test', duration: '2500us', warmup: '0ms', cpus: 1,
      vmas: [{ name: 'heap', kind: 'anon', write: true, pages: 64, resident: 0.5, dontcopy: true }, { name: 'lib', kind: 'file', shared: true, pages: 16 }],
      threads: [{ name: 'forker', think: '1ms', ops: [{ op: 'fork' }] }],
      costs: { dup_vma: '1ms', copy_pte: '10ns', ...child },
    });
    // dup_mmap: the lib VMA alone (VM_DONTCOPY is skipped after vma_start_write); the child: do_exit + 1 VMA.
    expect(fork(s).latency!.max).toBe(1_000_000 + 50_000 + 1_000);
  });

  it('with the built-in costs (all 0) the fork costs what it did', () => {
    expect(fork(sc(2, {}, true)).latency!.max).toBe(LONG);
    expect(fork(sc(1, {}, false)).latency!.max).toBe(LONG);
  });
});

describe('fork: a reader woken by the fork\'s unlock and queued on the parent\'s CPU makes the child run first only with a positive lag', () => {
  // Two readers (or three) fault on the heap at 1.05 ms, sleep behind the fork's mmap_write_lock and
  // are woken by its mmap_write_unlock. The fork is 200.32 us, inside the protected slice (one fork
  // ends before 2.1 ms). A reader that got a CPU at once each time it woke went to sleep alone on its
  // CPU: its lag is 0 (update_entity_lag), it is placed at the average and the parent stays eligible
  // and protected (check_preempt_wakeup_fair -> __pick_eevdf). With fault_after_sleep, a reader that
  // wakes while the CPUs are taken waits in the run queue for its refill step, then sleeps on the lock,
  // owed service (lag > 0) if another task still waits for a CPU as it leaves its own (SimTask.lagOwed):
  // woken onto the parent's CPU it makes the parent not eligible.
  const readers = (cpus: number, n: number, costs: Extra = child) =>
    forkScenario({ cpus, costs, readers: n, dupVma: '100us', duration: '2100us' });
  const refill = { ...child, fault_after_sleep: '10us' };

  it('2 CPUs, two readers that never waited (lag 0): the second is queued on the parent\'s CPU but the parent is protected: parent first', () => {
    const f = fork(readers(2, 2));
    expect(f.count).toBe(1);
    expect(f.latency!.max).toBe(SHORT);
  });

  it('the same with a wake-up latency (both readers still waking when wake_up_new_task runs)', () => {
    expect(fork(readers(2, 2, { ...child, wakeup: '3us' })).latency!.max).toBe(SHORT);
  });

  it('2 CPUs, two readers, the second of which waited for a CPU but slept alone on it (lag 0): parent first', () => {
    // reader0 takes the free CPU at 1.05 ms for its refill, reader1 waits in the run queue until
    // reader0 sleeps on the lock at 1.06 ms; nobody waits when reader1 leaves its CPU at 1.07 ms.
    expect(fork(readers(2, 2, refill)).latency!.max).toBe(SHORT);
  });

  it('2 CPUs, three readers: the second waited, and leaves its CPU with the third waiting (lag > 0); a wakee is queued on the parent\'s CPU: child first', () => {
    expect(fork(readers(2, 3, refill)).latency!.max).toBe(SHORT + 57_200);
    expect(fork(readers(2, 3)).latency!.max).toBe(SHORT); // no refill: none ever waits
  });

  it('2 CPUs, one reader: it takes the other CPU, the child is queued on the parent\'s, the parent is protected', () => {
    expect(fork(readers(2, 1)).latency!.max).toBe(SHORT);
    expect(fork(readers(2, 1, refill)).latency!.max).toBe(SHORT);
  });

  it('3 CPUs, two readers: each has an idle CPU, none is queued on the parent\'s: parent first', () => {
    expect(fork(readers(3, 2)).latency!.max).toBe(SHORT);
    expect(fork(readers(3, 2, refill)).latency!.max).toBe(SHORT);
  });

  it('3 CPUs, three readers: the third is queued on the parent\'s CPU, with lag 0 (none waited, or the one that did slept alone): parent first', () => {
    expect(fork(readers(3, 3)).latency!.max).toBe(SHORT);
    expect(fork(readers(3, 3, refill)).latency!.max).toBe(SHORT); // reader2 waited, but nobody waits when it leaves
  });

  it('1 CPU, one reader: queued on the parent\'s (the only) CPU: child first inside the slice only if it waited for the CPU before', () => {
    expect(fork(readers(1, 1)).latency!.max).toBe(SHORT);
    // The reader waits behind the forker's heap dup_vma step (1.0-1.1 ms), then the forker waits its 10 us
    // refill: the reader leaves its CPU with the forker queued (lag > 0).
    expect(fork(readers(1, 1, refill)).latency!.max).toBe(SHORT + 10_000 + 57_200);
  });

  it('with the built-in costs (all 0) the fork costs what it did', () => {
    expect(fork(readers(2, 2, {})).latency!.max).toBe(SHORT);
  });
});

describe('sim/placement.ts: the decisions on the CPU counts at the fork\'s end', () => {
  it('idle_cpu_for_new_task: a free CPU besides the parent\'s that no woken task takes', () => {
    expect(idle_cpu_for_new_task(2, 0)).toBe(true);
    expect(idle_cpu_for_new_task(2, 1)).toBe(false);
    expect(idle_cpu_for_new_task(1, 0)).toBe(false);
    expect(idle_cpu_for_new_task(3, 1)).toBe(true);
  });

  it('wakee_on_parent_cpu: more woken tasks than CPUs besides the parent\'s', () => {
    expect(wakee_on_parent_cpu(2, 1)).toBe(false);
    expect(wakee_on_parent_cpu(2, 2)).toBe(true);
    expect(wakee_on_parent_cpu(1, 1)).toBe(true);
    expect(wakee_on_parent_cpu(1, 0)).toBe(false);
  });

  it('child_runs_first: never with an idle CPU; else a wakee with a positive lag on the parent\'s CPU, or the slice used up', () => {
    expect(child_runs_first(2, 2, 0, 10_000_000, 0)).toBe(false);
    expect(child_runs_first(2, 2, 1, 1_399_999, 1)).toBe(false);
    expect(child_runs_first(2, 2, 1, 1_400_000, 0)).toBe(true);
    expect(child_runs_first(2, 2, 2, 0, 1)).toBe(true);
    expect(child_runs_first(2, 2, 2, 1_399_999, 0)).toBe(false); // wakees with lag 0: the parent stays eligible, protected
    expect(child_runs_first(2, 2, 2, 1_400_000, 0)).toBe(true);
    expect(child_runs_first(3, 3, 3, 0, 2)).toBe(true);
    expect(child_runs_first(1, 1, 0, 699_999, 0)).toBe(false);
    expect(child_runs_first(1, 1, 0, 700_000, 0)).toBe(true);
    expect(child_runs_first(1, 1, 1, 0, 1)).toBe(true);
    expect(child_runs_first(1, 1, 1, 0, 0)).toBe(false);
  });
});
