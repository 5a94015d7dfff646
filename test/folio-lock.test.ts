/**
 * PG_locked and its wait queue (mm/filemap.c folio_wait_bit_common /
 * folio_wake_bit / wake_page_function, as modelled by Folio in
 * src/model/mm_types.ts): folio_unlock walks the waiters in order, wakes every
 * folio_wait_locked waiter, hands the lock to the first exclusive (__folio_lock)
 * waiter and stops there.
 */
import { describe, expect, it } from 'vitest';
import {
  __folio_lock, Folio, folio_end_read, folio_trylock, folio_unlock, folio_wait_locked, install_sched,
} from '../src/model/index.js';
import { hold, lanes, type Lanes } from './lanes.js';

const ownerOf = (f: Folio): string => (f.owner === null ? 'none' : f.owner === 'io' ? 'io' : f.owner.comm);

function waiter(h: Lanes, f: Folio, name: string, at: number): void {
  h.lane(name, at, function* () {
    yield* folio_wait_locked(f);
    h.mark(`unlocked (owner=${ownerOf(f)})`);
  });
}
function locker(h: Lanes, f: Folio, name: string, at: number, n: number): void {
  h.lane(name, at, function* () {
    yield* __folio_lock(f);
    h.mark(`owns=${ownerOf(f) === name}`);
    yield* hold(n);
    folio_unlock(f);
  });
}

describe('folio lock: folio_unlock wakes waiters up to and including the first exclusive one', () => {
  /*
   * time(us)  0               1                  2               3                  4          10             20
   * H         folio_trylock ✓ ─────────────────────────────────────────────────────────────── folio_unlock
   * A                         folio_wait_locked ··········································· woken
   * B                                            __folio_lock ································· owns ─ hold 10 ─ folio_unlock
   * C                                                            folio_wait_locked ······························· woken
   * D                                                                               __folio_lock ··················· owns
   */
  it('H unlocks: A woken, B handed the lock, C and D keep waiting; B unlocks: C woken, D owns', () => {
    const h = lanes();
    const f = new Folio(0, 5);
    h.lane('H', 0, function* () {
      h.mark(`trylock=${folio_trylock(f)}`);
      yield* hold(10);
      folio_unlock(f);
      h.mark(`unlocked: locked=${f.locked} owner=${ownerOf(f)} waiters=${f.nrWaiters}`);
    });
    waiter(h, f, 'A', 1);
    locker(h, f, 'B', 2, 10);
    waiter(h, f, 'C', 3);
    locker(h, f, 'D', 4, 1);
    h.run();
    expect(h.marks).toEqual([
      ['H', 'trylock=true', 0],
      ['H', 'unlocked: locked=true owner=B waiters=2', 10],
      ['A', 'unlocked (owner=B)', 10],
      ['B', 'owns=true', 10],
      ['C', 'unlocked (owner=D)', 20],
      ['D', 'owns=true', 20],
    ]);
    expect(h.rec.waitLanes()).toEqual([
      ['A', 'folio_wait_locked', 'folio', 'folio[0:5]', 1, 10],
      ['B', 'folio_lock', 'folio', 'folio[0:5]', 2, 10],
      ['C', 'folio_wait_locked', 'folio', 'folio[0:5]', 3, 20],
      ['D', 'folio_lock', 'folio', 'folio[0:5]', 4, 20],
    ]);
    expect(f.locked).toBe(false);
    expect(f.nrWaiters).toBe(0);
  });

  /*
   * time(us)  0                 1                 2                 5 (read completes)
   * I/O       folio locked for read I/O ──────────────────────────── folio_end_read
   * A                           folio_wait_locked ·················· woken
   * B                                             folio_wait_locked ······ woken
   */
  it('read completion (folio_end_read) with only folio_wait_locked waiters wakes them all, leaving it unlocked', () => {
    const h = lanes();
    const f = new Folio(1, 9);
    f.locked = true;
    f.owner = 'io';
    h.sim.schedule(5000, folio_end_read, f);
    waiter(h, f, 'A', 1);
    waiter(h, f, 'B', 2);
    h.run();
    expect(h.marks).toEqual([['A', 'unlocked (owner=none)', 5], ['B', 'unlocked (owner=none)', 5]]);
    // A folio locked by in-flight I/O is reported as an 'io' wait.
    expect(h.rec.waitLanes()).toEqual([
      ['A', 'folio_wait_locked', 'io', 'folio[1:9]', 1, 5],
      ['B', 'folio_wait_locked', 'io', 'folio[1:9]', 2, 5],
    ]);
    expect(f.locked).toBe(false);
    expect(f.uptodate).toBe(true);
  });

  /*
   * time(us)  0                1             2             5
   * H         folio_trylock ✓ ─────────────────────────── folio_unlock
   * B                          __folio_lock ·············· owns
   * A                                        folio_wait_locked ········ (still waiting: B holds it now)
   */
  it('an exclusive waiter at the head stops the walk: a later folio_wait_locked waiter is not woken', () => {
    const h = lanes();
    const f = new Folio(0, 1);
    h.lane('H', 0, function* () {
      folio_trylock(f);
      yield* hold(5);
      folio_unlock(f);
    });
    locker(h, f, 'B', 1, 10);
    waiter(h, f, 'A', 2);
    h.run();
    expect(h.marks).toEqual([['B', 'owns=true', 5], ['A', 'unlocked (owner=none)', 15]]);
  });

  it('folio_unlock of an unlocked folio throws, and unlocking twice throws the second time', () => {
    install_sched(() => { throw new Error('no wake-up expected'); });
    const f = new Folio(2, 3);
    expect(() => folio_unlock(f)).toThrow(/folio_unlock\(folio\[2:3\]\): not locked/);
    expect(f.trylock({ id: 1, comm: 'X', prio: 2 })).toBe(true);
    folio_unlock(f);
    expect(() => folio_unlock(f)).toThrow(/not locked/);
  });
});
