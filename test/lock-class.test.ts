/**
 * Which sleeps a fatal signal ends: the lock class of the mmap_lock fallbacks.
 *
 * - mm/madvise.c try_vma_read_lock: when lock_vma_under_rcu fails it goes to
 *   `take_mmap_read_lock: mmap_read_lock(mm);`, the uninterruptible sleep
 *   (madvise_lock's mmap_read_lock_killable is for MADVISE_MMAP_READ_LOCK
 *   behaviours, not MADV_DONTNEED).
 * - arch/x86/mm/fault.c do_user_addr_fault before v6.5 (pre-vma):
 *   `if (unlikely(!mmap_read_trylock(mm))) { retry: mmap_read_lock(mm); }`,
 *   uninterruptible; v6.5 moved x86 to lock_mm_and_find_vma (mm/mmap_lock.c),
 *   whose get_mmap_lock_carefully sleeps in mmap_read_lock_killable.
 *
 * Each test: W holds mmap_lock for write (and the VMA write lock) from 0 to
 * 10 us; the task under test sleeps for mmap_lock for read from 1 us; it is
 * sent SIGKILL at 3 us.
 *
 *   time(us)  0                 1                3          10
 *   W         mmap_write_lock ─ vma_start_write ─────────── mmap_write_unlock
 *   M/F                         lock_vma ✗, mmap_read_lock ···· (SIGKILL at 3) ····
 *             uninterruptible:  the sleep goes on, granted at 10
 *             killable:         the sleep ends at 3 with -EINTR
 */
import { describe, expect, it } from 'vitest';
import {
  do_user_addr_fault, madvise_dontneed, mmap_write_lock, mmap_write_unlock, send_sigkill, vma_start_write, VM_FAULT_SIGSEGV,
} from '../src/model/index.js';
import { hold, lanes, type Lanes } from './lanes.js';

function sigkillAt3(h: Lanes, victim: Parameters<typeof send_sigkill>[0]): void {
  h.probe('lmkd', 3, () => send_sigkill(victim));
}

function writer(h: Lanes): void {
  h.lane('W', 0, function* () {
    yield* mmap_write_lock(h.mm);
    yield* vma_start_write(h.vma[0]!);
    yield* hold(10);
    mmap_write_unlock(h.mm);
  });
}

describe('lock class: MADV_DONTNEED falls back to the uninterruptible mmap_read_lock', () => {
  it('SIGKILL does not end madvise\'s wait for mmap_lock: it gets the lock at 10 us and zaps', () => {
    const h = lanes();
    writer(h);
    const m = h.lane('M', 1, function* () {
      const ok = yield* madvise_dontneed(h.mm, h.addr(0), 1);
      h.mark(`madvise ${ok ? 'done' : '-EINTR'}`);
    });
    sigkillAt3(h, m);
    h.run();
    expect(h.marks).toEqual([['M', 'madvise done', 10]]);
    expect(h.rec.mmap.filter(([t]) => t === 'M')).toEqual([['M', 'read', 10], ['M', 'up_read', 10]]);
    expect(h.rec.vmEvents).toEqual([['M', 'VMA_LOCK_ABORT', 1]]);
  });
});

describe('lock class: the fault\'s mmap_lock sleep', () => {
  function fault(strategy: string) {
    const h = lanes({ strategy });
    writer(h);
    const f = h.lane('F', 1, function* () {
      const ret = yield* do_user_addr_fault(h.mm, h.addr(0), false);
      h.mark(ret & VM_FAULT_SIGSEGV ? 'fault: SIGSEGV (lock wait interrupted)' : 'fault done');
    });
    sigkillAt3(h, f);
    h.run();
    return h;
  }

  it('pre-vma (x86 before v6.5): mmap_read_trylock, then the uninterruptible mmap_read_lock: granted at 10 us despite SIGKILL', () => {
    const h = fault('pre-vma');
    expect(h.rec.mmap.filter(([t]) => t === 'F').slice(0, 2)).toEqual([['F', 'read (trylock failed)', 1], ['F', 'read', 10]]);
    expect(h.marks[0]).toEqual(['F', 'fault done', expect.any(Number)]);
    expect(h.marks[0]![2]).toBeGreaterThanOrEqual(10);
  });

  it('mainline (lock_mm_and_find_vma, v6.5+): mmap_read_lock_killable ends at the SIGKILL', () => {
    const h = fault('mainline');
    expect(h.rec.mmap.filter(([t]) => t === 'F')).toEqual([['F', 'read (trylock failed)', 1], ['F', 'read (trylock failed)', 3]]);
    expect(h.marks).toEqual([['F', 'fault: SIGSEGV (lock wait interrupted)', 3]]);
  });
});
