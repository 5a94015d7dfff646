/**
 * rwsem writer optimistic spinning in the simulator (scenario
 * `mmap_lock.writer_spin`; kernel/locking/rwsem.c rwsem_optimistic_spin):
 * exact outcomes of hand-built interleavings. Spinning is a timing effect:
 * the lock's hand-over order (shared with the checker) does not change.
 */
import fc from 'fast-check';
import { engineOp } from './engine-arbitraries.js';
import { describe, expect, it } from 'vitest';
import { measure } from '../src/metrics/index.js';
import { scenarioFromObject } from '../src/scenario/index.js';
import { NullObserver, simulate, type SimTaskInfo } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';

type Thread = Record<string, unknown>;
const sc = (spin: boolean, threads: Thread[], extraVmas: Array<Record<string, unknown>> = []) => scenarioFromObject({
  name: 'spin', description: 'test', duration: '1500us', warmup: '0ms', cpus: 2,
  mmap_lock: { writer_spin: spin },
  vmas: [
    { name: 'heap', kind: 'anon', write: true, pages: 64, resident: 1 },
    { name: 'other', kind: 'anon', write: true, pages: 64, resident: 1 },
    ...extraVmas,
  ],
  threads,
  costs: { mprotect_fixup: '100us', change_pte: '0ns', handle_mm_fault: '1us', wakeup: '5us' },
});
// The owner: an mprotect at 1 ms holding mmap_lock for write for 100 us on its CPU.
const owner = { name: 'a', think: '1ms', ops: [{ op: 'mprotect', vma: 'heap', pages: 1 }] };
// The writer: an mprotect at 1.01 ms.
const writer = { name: 'b', think: '1010us', ops: [{ op: 'mprotect', vma: 'other', pages: 1 }] };
const run = (s: ReturnType<typeof sc>) => {
  const m = measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
  return { lat: m.opsAll.mprotect!.latency!.max, wait: m.mmapLock.writeWait };
};

describe('rwsem writer optimistic spinning (simulator only)', () => {
  it('a writer behind a writer on a CPU spins and takes the lock at its release, with no wake-up latency', () => {
    const off = run(sc(false, [owner, writer]));
    const on = run(sc(true, [owner, writer]));
    // Released at 1.1 ms; then 100 us of its own: ends 1.2 ms (spinning) or 1.205 ms (woken, +5 us).
    expect(off.lat).toBe(195_000);
    // The wait ends when the woken writer runs, holding the lock: 1.01 -> 1.105 ms (the wake-up latency included).
    expect(off.wait).toMatchObject({ count: 1, total: 95_000 });
    expect(on.lat).toBe(190_000);
    expect(on.wait.count).toBe(0); // it never slept: no down_write wait (as the kernel's contention tracepoints see it)
  });

  it('gives up its CPU when another task needs one (need_resched), and then sleeps', () => {
    const busy = { name: 'c', think: '1050us', ops: [{ op: 'fault', vma: 'other', states: { zero: 1 } }] };
    const s = sc(true, [owner, writer, busy]);
    s.costs.handle_mm_fault = 50_000;
    const on = run(s);
    // Spins 1.01 -> 1.05 ms, sleeps until the release at 1.1 ms, woken +5 us: ends 1.205 ms.
    expect(on.lat).toBe(195_000);
    // The wait counts from the spin's start (as faultline real's mmap_lock_start_locking ->
    // acquire_returned does for a writer that slept) to its run at 1.105 ms.
    expect(on.wait).toMatchObject({ count: 1, total: 95_000 });
  });

  it('does not spin without a free CPU', () => {
    const s = sc(true, [owner, writer]);
    s.cpus = 1;
    const on = run(s);
    expect(on.wait).toMatchObject({ count: 1, total: 95_000 });
    expect(on.lat).toBe(195_000);
  });

  it('spins on readers for rwsem_rspin_threshold, (20 + readers) / 2 us, then sleeps', () => {
    // A fault on a driver mapping without ->map_pages retries under mmap_lock and holds it for read
    // for its retry's CPU (fault_retry 200 us, 1.001 -> 1.202 ms).
    const reader = { name: 'r', think: '1ms', ops: [{ op: 'fault', vma: 'drv', states: { cached: 1 } }] };
    const drv = [{ name: 'drv', kind: 'file', pages: 64, map_pages: false }];
    const mk = (spin: boolean) => {
      const s = sc(spin, [reader, writer], drv);
      s.costs.fault_retry = 200_000;
      return run(s);
    };
    const off = mk(false), on = mk(true);
    // Woken at 1.202 ms + 5 us, then 100 us: ends 1.307 ms either way.
    expect(off.lat).toBe(297_000);
    expect(on.lat).toBe(297_000);
    expect(off.wait).toMatchObject({ count: 1, total: 197_000 });
    // One reader: a 10.5 us spin (1.01 -> 1.0205 ms), then the sleep until 1.202 ms and the wake-up:
    // the wait counts the spin too, so it is the same 1.01 -> 1.207 ms.
    expect(on.wait).toMatchObject({ count: 1, total: 197_000 });
  });
});

describe('readers past a spinning writer (rwsem_optimistic_spin: the spinner is not on the wait list)', () => {
  // r1 holds mmap_lock for read 1.001 -> 1.202 ms (a driver fault's retry, as above); the
  // writer b comes at 1.01 ms; r2 faults on the same mapping at 1.012 ms. Three CPUs, so
  // r2's arrival does not take the spinner's CPU (need_resched).
  const reader = (name: string, think: string) => ({ name, think, ops: [{ op: 'fault', vma: 'drv', states: { cached: 1 } }] });
  const drv = [{ name: 'drv', kind: 'file', pages: 64, map_pages: false }];
  const mk = (spin: boolean) => {
    const s = sc(spin, [reader('r1', '1ms'), writer, reader('r2', '1012us')], drv);
    s.costs.fault_retry = 200_000;
    s.cpus = 3;
    return measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
  };

  it('a reader arriving while the writer spins takes the read lock (rwsem_read_trylock: no RWSEM_FLAG_WAITERS)', () => {
    const on = mk(true);
    // r2 takes the lock at once: no read wait at all, its fault as long as r1's (1 us + 200 us + 1 us).
    expect(on.mmapLock.readWait.count).toBe(0);
    expect(on.opsAll.fault!.latency!.max).toBe(on.opsAll.fault!.latency!.p50);
    // The writer spins 1.01 -> 1.0205 ms (one reader: 10.5 us), then queues and sleeps; the lock
    // stays read-held until r2's release (taken at 1.013 ms after its per-VMA try, held for
    // 1 + 200 us: 1.214 ms), then it is woken (+5 us) and runs 100 us: its wait, counted from
    // the spin's start as faultline real counts it (mmap_lock_start_locking ->
    // acquire_returned), is 1.01 -> 1.219 ms.
    expect(on.mmapLock.writeWait).toMatchObject({ count: 1, total: 209_000 });
    expect(on.opsAll.mprotect!.latency!.max).toBe(309_000);
  });

  it('without spinning the queued writer blocks r2 until its own mprotect is done', () => {
    const off = mk(false);
    // b sleeps at 1.01 ms; r2 queues behind it at 1.013 ms (R1/R3): r1's release at 1.202 ms
    // hands the lock to b (woken +5 us, 100 us), its release at 1.307 ms to r2 (woken +5 us).
    expect(off.mmapLock.writeWait).toMatchObject({ count: 1, total: 197_000 });
    expect(off.mmapLock.readWait).toMatchObject({ count: 1, total: 299_000 });
    expect(off.opsAll.mprotect!.latency!.max).toBe(297_000);
  });

  it('a writer owner: the spinner takes the lock at its release before a reader queued meanwhile (rwsem_try_write_lock_unqueued)', () => {
    // a writes 1 -> 1.1 ms; b spins from 1.01 ms; r reads at 1.02 ms (queued: a writer holds it).
    const r = { name: 'r', think: '1020us', ops: [{ op: 'fault', vma: 'heap', access: 'write', states: { zero: 1 } }] };
    const s = sc(true, [owner, writer, r]);
    s.cpus = 3;
    const m = measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    expect(m.mmapLock.writeWait.count).toBe(0); // b never slept
    expect(m.opsAll.mprotect!.latency!.max).toBe(190_000); // 1.01 -> 1.2 ms
    // r waits 1.02 ms -> b's release at 1.2 ms, woken +5 us.
    expect(m.mmapLock.readWait).toMatchObject({ count: 1, total: 185_000 });
  });
});

/** Counts the tasks on a CPU (running or spinning) and the wake-ups of tasks the observer never saw block. */
class CpuCount extends NullObserver {
  on = new Set<number>();
  max = 0;
  asleep = new Set<number>();
  strayWakeups = 0;
  override cpuStart(_t: number, task: SimTaskInfo): void {
    this.on.add(task.id);
    this.max = Math.max(this.max, this.on.size);
  }
  override cpuStop(_t: number, task: SimTaskInfo): void {
    this.on.delete(task.id);
  }
  override blocked(_t: number, task: SimTaskInfo): void {
    this.asleep.add(task.id);
  }
  override woken(_t: number, task: SimTaskInfo): void {
    if (!this.asleep.delete(task.id)) this.strayWakeups++;
  }
}

describe('rwsem writer spinning: engine properties', () => {
  const op = engineOp;
  const thread = fc.record({ think: fc.integer({ min: 1, max: 200 }), ops: fc.array(op, { minLength: 1, maxLength: 3 }) });
  it('never runs more tasks than CPUs (spinners hold one), never wakes a task it did not see sleep, and is deterministic', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 3 }), fc.array(thread, { minLength: 2, maxLength: 5 }), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 1000 }),
      (cpus, threads, costUs, seed) => {
        const s = scenarioFromObject({
          name: 'p', description: 'property', duration: '20ms', warmup: '0ms', cpus,
          mmap_lock: { writer_spin: true },
          vmas: [
            { name: 'heap', kind: 'anon', write: true, pages: 256, resident: 0.5 },
            { name: 'small', kind: 'anon', write: true, pages: 8, count: 4, resident: 1 },
            { name: 'lib', kind: 'file', pages: 256 },
          ],
          threads: threads.map((t, i) => ({ name: `t${i}`, think: `${t.think}us`, ops: t.ops })),
          io: { read: '50us' },
          costs: { mprotect_fixup: `${costUs}us`, dup_vma: '2us', wakeup: '3us', flush_tlb_multi: '5us', anon_vma_fork: '1us', copy_pte_range: '1us', wrprotect_pte: '10ns' },
        });
        const run = () => {
          const o = new CpuCount();
          simulate({ scenario: s, fault: faultStrategy('mainline'), fork: forkStrategy('fork-lock-all'), seed, observer: o });
          return o;
        };
        const a = run();
        expect(a.max).toBeLessThanOrEqual(cpus);
        expect(a.strayWakeups).toBe(0);
        expect(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed })))
          .toBe(JSON.stringify(measure({ scenario: s, fault: 'mainline', fork: 'fork-lock-all', seed })));
      },
    ), { numRuns: 60 });
  }, 60_000); // ~1 s on the idle machine, 6 s at load average 12
});
