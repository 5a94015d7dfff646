/**
 * rwsem lock stealing and hand-off in the simulator (scenario
 * `mmap_lock.lock_steal`, engine lockSteal; kernel/locking/rwsem.c v6.x:
 * rwsem_mark_wake wakes a writer at the head without giving it the lock,
 * rwsem_down_read_slowpath's "Reader optimistic lock stealing",
 * rwsem_down_write_slowpath's rwsem_try_write_lock when the writer runs,
 * RWSEM_FLAG_HANDOFF after RWSEM_WAIT_TIMEOUT). Exact order and times (us) of
 * the grants in hand-built lanes, each against the rule switched off.
 */
import { describe, expect, it } from 'vitest';
import { mmap_read_trylock, mmap_read_unlock } from '../src/model/index.js';
import { measure } from '../src/metrics/index.js';
import { loadScenario } from '../src/scenario/index.js';
import type { SimObserver } from '../src/sim/index.js';
import { lanes, reader, writer } from './lanes.js';

const WAKEUP = { wakeup: 10_000 }; // 10 us from wake_up_process to the task running

describe('rwsem lock stealing: a reader takes the lock a woken writer has not taken yet', () => {
  /*
   * time(us)  0        2         10          11        12        14     17         20        25        35
   * R1        read ─────────────  up_read (wakes W, no grant)
   * W                  queued ·············································· runs: trylock ✓ write ── up_write
   * P                                       trylock ✗ (waiters: RWSEM_READ_FAILED_MASK)
   * R2                                                 steals ───────────── up_read
   * R3                                                           queued (R2 holds: rcnt > 1) ······· read
   */
  it('steals while the writer wakes; a second reader queues behind the writer', () => {
    const run = (lockSteal: boolean) => {
      const h = lanes({ costs: WAKEUP, lockSteal });
      reader(h, 'R1', 0, 10);
      writer(h, 'W', 2, 5);
      h.probe('P', 11, () => {
        const ok = mmap_read_trylock(h.mm);
        h.mark(`trylock=${ok}`);
        if (ok) mmap_read_unlock(h.mm);
      });
      reader(h, 'R2', 12, 5);
      reader(h, 'R3', 14, 1);
      h.run();
      return h;
    };
    const on = run(true);
    expect(on.marks).toEqual([
      ['R1', 'read', 0], ['P', 'trylock=false', 11], ['R2', 'read', 12], ['W', 'write', 20], ['R3', 'read', 35],
    ]);
    // Waits as observers see them: blocked -> woken (wake_up_process), before the wake-up latency.
    expect(on.rec.waitLanes()).toEqual([
      ['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 2, 10],
      ['R3', 'down_read', 'mmap_lock', 'mm->mmap_lock', 14, 25],
    ]);
    // Without it the lock is the writer's from R1's release: R2 and R3 wait for its hold.
    const off = run(false);
    expect(off.marks).toEqual([
      ['R1', 'read', 0], ['P', 'trylock=false', 11], ['W', 'write', 20], ['R2', 'read', 35], ['R3', 'read', 35],
    ]);
    expect(off.rec.waitLanes().map((w) => w[0])).toEqual(['W', 'R2', 'R3']);
  });

  /*
   * time(us)  0       2        10        12               20            30          40        45      55
   * R1        read ───────────  up_read (wakes W)
   * R2                                   steals ─────────────────────── up_read (wakes W again)
   * W                 queued ··························· runs: trylock ✗, sleeps ·········· write ── up_write
   * R3                                                          25: queued behind W ·················· read
   */
  it('the woken writer that finds the lock stolen sleeps again: one wait, to its second wake-up', () => {
    const h = lanes({ costs: WAKEUP, lockSteal: true });
    const seen: Array<[string, number, number | null]> = [];
    const rec: SimObserver = h.rec;
    const blocked = rec.blocked.bind(rec);
    rec.blocked = (...a: Parameters<SimObserver['blocked']>) => {
      const [t, task, , , , since] = a;
      seen.push([task.comm, t / 1000, since === undefined ? null : since / 1000]);
      blocked(...a);
    };
    reader(h, 'R1', 0, 10);
    writer(h, 'W', 2, 5);
    reader(h, 'R2', 12, 18);
    reader(h, 'R3', 25, 1);
    h.run();
    // The second `blocked` carries the wait's first start: MetricsCollector counts one wait, 2 -> 40 us.
    expect(seen).toEqual([['W', 2, null], ['W', 20, 2], ['R3', 25, null]]);
    expect(h.marks).toEqual([['R1', 'read', 0], ['R2', 'read', 12], ['W', 'write', 40], ['R3', 'read', 55]]);
    // Observers hear the writer blocked again at 20 (with `since` 2: the metrics' one wait).
    expect(h.rec.waitLanes()).toEqual([
      ['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 2, 10],
      ['W', 'down_write', 'mmap_lock', 'mm->mmap_lock', 20, 30],
      ['R3', 'down_read', 'mmap_lock', 'mm->mmap_lock', 25, 45],
    ]);
    expect(h.mm.mmap_lock.handoff).toBe(false);
  });
});

describe('RWSEM_FLAG_HANDOFF: the first waiter past RWSEM_WAIT_TIMEOUT', () => {
  /*
   * Jiffies of 4 ms (no tick cost: CONFIG_HZ=250). W queues at 2 us (jiffy 0, timeout jiffy 1).
   * R2 steals at 105 us and holds to 9000 us; W, woken at 100, fails at 110 (jiffy 0: no hand-off).
   * Woken again at 9000, it fails again at 9010 (R3 stole at 9005): jiffy 2 > 1, it sets HANDOFF.
   * R3's release at 9100 gives W the lock; R5 at 9105 cannot steal (with the writer not yet
   * running) and queues; W writes at 9110, and R4 (queued at 9050) and R5 read after its release.
   */
  const run = (r3: boolean) => {
    const h = lanes({ costs: WAKEUP, lockSteal: true });
    reader(h, 'R1', 0, 100);
    writer(h, 'W', 2, 5);
    reader(h, 'R2', 105, 8895);
    if (r3) reader(h, 'R3', 9005, 95);
    reader(h, 'R4', 9050, 1);
    reader(h, 'R5', 9105, 1);
    h.run();
    return h;
  };
  it('after the timeout the writer sets the hand-off and gets the lock at the next release', () => {
    const h = run(true);
    expect(h.marks).toEqual([
      ['R1', 'read', 0], ['R2', 'read', 105], ['R3', 'read', 9005], ['W', 'write', 9110], ['R4', 'read', 9125], ['R5', 'read', 9125],
    ]);
    expect(h.rec.waitLanes().filter((w) => w[0] === 'W').map((w) => [w[4], w[5]])).toEqual([[2, 100], [110, 9000], [9010, 9100]]);
    expect(h.mm.mmap_lock.handoff).toBe(false); // cleared when W took the lock
  });
  it('without a second theft the writer takes the free lock when it runs (no hand-off needed)', () => {
    const h = run(false);
    // W, woken at 9000 by R2's release, runs at 9010 and takes the free lock; R4 and R5 come after its release (9015).
    expect(h.marks).toEqual([
      ['R1', 'read', 0], ['R2', 'read', 105], ['W', 'write', 9010], ['R4', 'read', 9050], ['R5', 'read', 9105],
    ]);
    expect(h.rec.waitLanes().filter((w) => w[0] === 'W').map((w) => [w[4], w[5]])).toEqual([[2, 100], [110, 9000]]);
  });
});

describe('lock stealing on the held-out scenarios (global run queue)', () => {
  // No mmap_lock reader arrives while a writer is woken and not yet running: in calib-gc-swapin the
  // readers are faults that found their VMA write-locked (VMA_LOCK_ABORT), which needs the writer
  // to hold the lock. So the rule changes nothing there (docs/calibration.md, "Readers too long,
  // writers too short"); this pins that, and breaks if a change makes the rule fire there.
  it('calib-gc-swapin: every figure identical with lock_steal on and off', () => {
    const on = loadScenario('calib-gc-swapin');
    on.duration = 400_000_000;
    const off = loadScenario('calib-gc-swapin');
    off.duration = 400_000_000;
    off.mmap_lock = { ...off.mmap_lock, lock_steal: false };
    const a = measure({ scenario: on, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    const b = measure({ scenario: off, fault: 'mainline', fork: 'fork-lock-all', seed: 1 });
    expect(a.mmapLock.readWait.count).toBeGreaterThan(10);
    expect(a).toEqual(b);
  }, 20_000);
});
