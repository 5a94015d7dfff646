/**
 * `struct rw_semaphore` as used for mm->mmap_lock (kernel/locking/rwsem.c,
 * non-PREEMPT_RT), reduced to the rules that decide who waits for whom:
 *
 * - R1/R3 a reader (down_read, down_read_trylock) gets the lock only when no
 *   writer holds it and nobody is queued: a queued writer blocks new readers.
 * - R4 a writer gets it only when it is free and nobody is queued; otherwise it
 *   joins the single FIFO of waiters.
 * - R5 up_write with a writer at the head hands the lock to that writer; with a
 *   reader at the head it grants readers together: every queued reader up to
 *   256, skipping queued writers (rwsem_mark_wake), or, with
 *   `readerWake = 'prefix'`, only the readers ahead of the first queued writer.
 *   The last up_read hands the lock to the writer at the head.
 *
 * Simplified (docs/fidelity.md): the lock is handed to the woken waiter at
 * release (no lock stealing between wake-up and run, no HANDOFF bit).
 *
 * Writer optimistic spinning is the simulator's (src/sim/engine.ts trySpin):
 * a spinning writer is not on the wait list (rwsem_optimistic_spin runs before
 * rwsem_down_write_slowpath queues it), so it blocks no reader, and it takes
 * the lock the moment it is free (rwsem_try_write_lock_unqueued), before the
 * queued waiters. `spinner` is null unless the simulator set it, so the
 * checker, which never does, sees the rules above only.
 *
 * Lock stealing (`lockSteal`, simulator only, scenario `mmap_lock.lock_steal`;
 * kernel/locking/rwsem.c of v6.x): up_read/up_write with a writer at the
 * head does not give it the lock, it only wakes it (rwsem_mark_wake,
 * RWSEM_WAKE_ANY: wake_q_add of the writer); the writer takes the lock when
 * it runs (rwsem_down_write_slowpath -> rwsem_try_write_lock, the
 * simulator's Simulator.retryWriteLock), or sleeps again. Meanwhile the lock
 * is free and a reader in rwsem_down_read_slowpath takes it past the queued
 * writer ("Reader optimistic lock stealing": no RWSEM_WRITER_LOCKED, no
 * RWSEM_FLAG_HANDOFF, and no other reader holds it, else "goto queue").
 * A writer first in the queue for longer than RWSEM_WAIT_TIMEOUT that fails
 * its trylock sets RWSEM_FLAG_HANDOFF (`handoff`): then no reader steals
 * and the lock is given to it at release, the rule without lockSteal.
 */
import { block, type BlockEffect, type Task, type WaitResource } from './effects.js';
import { mutableFields, objectArray } from './shapes.js';
import { hooks } from './custom.js';
import { wake_up_process } from './sched.js';

/** rwsem_mark_wake: MAX_READERS_WAKEUP */
const MAX_READERS_WAKEUP = 0x100;

export type ReaderWake = 'all' | 'prefix';

export class RwSemaphore implements WaitResource {
  readonly lockClass = 'mmap_lock' as const;
  /** Tasks holding it for read (order of acquisition). */
  readonly readers: Task[] = objectArray();
  writer: Task | null = null;
  /** FIFO of waiters; `waitWrite[i]` tells the mode of `waiters[i]`. */
  private readonly waiters: Task[] = objectArray();
  private readonly waitWrite: boolean[] = objectArray();
  private head = 0;
  private nrWritersQueued = 0;
  /**
   * The writer spinning for the lock off the wait list (simulator only:
   * optimistic_spin_begin); null in the checker (check/track-plan.ts IGNORED).
   */
  spinner: Task | null = null;
  /**
   * The CPU that wrote `sem->count`'s cache line last (model/lock_line.ts;
   * -1: none). Written only through the simulator's lock-line hook;
   * -1 in every checker state (check/track-plan.ts IGNORED).
   */
  line_cpu = -1;
  /**
   * Lock stealing (simulator only): false in the checker (check/track-plan.ts IGNORED, as
   * the three fields below), so releases hand the lock to the head as before.
   */
  lockSteal = false;
  /** lockSteal: the writer at the head woken by a release, the lock not given to it (rwsem_mark_wake). */
  wokenWriter: Task | null = null;
  /** lockSteal: RWSEM_FLAG_HANDOFF, set by the head writer (setHandoff), cleared when it gets the lock. */
  handoff = false;
  readonly blockRead: BlockEffect;
  readonly blockWrite: BlockEffect;

  constructor(readonly label: string, readonly readerWake: ReaderWake = 'all') {
    this.blockRead = block(this, 'down_read');
    this.blockWrite = block(this, 'down_write');
    mutableFields(this, ['head', 'nrWritersQueued']); // first rewritten runs later (shapes.ts)
    hooks.object_created(this); // model-only (custom.ts)
  }

  get nrQueued(): number {
    return this.waiters.length - this.head;
  }
  get writersQueued(): number {
    return this.nrWritersQueued;
  }

  /** Whether tryRead would succeed now (no writer, nobody queued): the same test, with no side effect. */
  readFree(): boolean {
    return this.writer === null && this.head === this.waiters.length;
  }
  /** __down_read_trylock / rwsem_read_trylock */
  tryRead(t: Task): boolean {
    if (!this.readFree()) return false;
    this.readers.push(t);
    return true;
  }
  /** __down_write_trylock */
  tryWrite(t: Task): boolean {
    if (this.writer !== null || this.readers.length !== 0 || this.head !== this.waiters.length) return false;
    this.writer = t;
    return true;
  }
  /**
   * rwsem_down_read_slowpath, "Reader optimistic lock stealing" (lockSteal
   * only): the read fast path failed (a waiter is queued) but no writer
   * holds the lock, no RWSEM_FLAG_HANDOFF is set and no other reader holds
   * it (rcnt == 1; with other readers the slow path queues: "To prevent a
   * constant stream of readers from starving a sleeping writer"): `t` takes
   * it past the queued waiters. Being the first reader with waiters, it
   * wakes the queued readers when a reader is first in line
   * (rwsem_mark_wake(RWSEM_WAKE_READ_OWNED); a writer first: nobody).
   */
  readSteal(t: Task): boolean {
    if (!this.lockSteal || this.writer !== null || this.readers.length !== 0 || this.handoff) return false;
    this.readers.push(t);
    if (this.head !== this.waiters.length && !this.waitWrite[this.head]) this.grantReaders();
    return true;
  }

  /**
   * rwsem_try_write_lock for the writer `t` woken at the head without the
   * lock (lockSteal; the simulator calls it when `t` runs): it takes the
   * lock when nobody holds it (and leaves the wait list), else it stays
   * first in the queue and sleeps again. Either way it is no longer the
   * woken writer: the next release wakes it again.
   */
  try_write_lock(t: Task): boolean {
    if (this.wokenWriter !== t) throw new Error(`rwsem_try_write_lock(${this.label}): ${t.comm} was not woken for it`);
    this.wokenWriter = null;
    if (this.writer !== null || this.readers.length !== 0) return false;
    if (this.waiters[this.head] !== t) throw new Error(`rwsem_try_write_lock(${this.label}): ${t.comm} is not first in the queue`);
    this.pop();
    this.nrWritersQueued--;
    this.handoff = false;
    this.writer = t;
    return true;
  }

  /**
   * rwsem_try_write_lock, the lock held and the first waiter `t` queued for
   * longer than RWSEM_WAIT_TIMEOUT (the caller's test): RWSEM_FLAG_HANDOFF
   * is set; new readers queue (no stealing) and the next release gives the
   * lock to `t`.
   */
  setHandoff(t: Task): void {
    if (this.waiters[this.head] === t && this.head !== this.waiters.length) this.handoff = true;
  }

  /** Queue `t` (the slow path); the caller then yields `blockRead`/`blockWrite`. */
  enqueue(t: Task, write: boolean): void {
    this.waiters.push(t);
    this.waitWrite.push(write);
    if (write) this.nrWritersQueued++;
  }

  /** up_read */
  releaseRead(t: Task): void {
    const r = this.readers;
    let i = r.length - 1;
    while (i >= 0 && r[i] !== t) i--;
    if (i < 0) throw new Error(`up_read(${this.label}): ${t.comm} does not hold it for read`);
    r[i] = r[r.length - 1]!;
    r.pop();
    if (r.length !== 0) return;
    if (this.spinner !== null && !this.handoff) this.spinnerTakes();
    else if (this.head !== this.waiters.length) this.grantHead();
  }

  /** up_write */
  releaseWrite(t: Task): void {
    if (this.writer !== t) throw new Error(`up_write(${this.label}): ${t.comm} does not hold it for write`);
    this.writer = null;
    if (this.spinner !== null && !this.handoff) this.spinnerTakes();
    else if (this.head !== this.waiters.length) this.grantHead();
  }

  /**
   * rwsem_optimistic_spin (simulator only): the writer `t`, queued by the
   * slow path as the only waiter, spins instead: it leaves the wait list
   * (the kernel spins before rwsem_down_write_slowpath adds it, so no
   * RWSEM_FLAG_WAITERS is set) and readers' fast path (rwsem_read_trylock:
   * no RWSEM_READ_FAILED_MASK bit) keeps granting the read lock meanwhile.
   */
  optimistic_spin_begin(t: Task): void {
    if (this.spinner !== null || this.nrQueued !== 1 || this.waiters[this.head] !== t || !this.waitWrite[this.head]) {
      throw new Error(`rwsem_optimistic_spin(${this.label}): ${t.comm} is not the only, writing waiter`);
    }
    this.pop();
    this.nrWritersQueued--;
    this.spinner = t;
  }

  /**
   * The spin ended without the lock (simulator only): rwsem_down_write_slowpath
   * adds the writer at the tail of the wait list (rwsem_add_waiter) and it
   * sleeps; from then on a new reader queues behind it.
   */
  optimistic_spin_end(t: Task): void {
    if (this.spinner !== t) throw new Error(`rwsem_optimistic_spin(${this.label}): ${t.comm} is not spinning`);
    this.spinner = null;
    this.enqueue(t, true);
  }

  /**
   * The lock became free with a writer spinning: rwsem_spin_on_owner sees the
   * owner change and rwsem_try_write_lock_unqueued takes it (the count has no
   * RWSEM_LOCK_MASK bit; queued waiters do not stop it, only a
   * RWSEM_FLAG_HANDOFF, not modelled). The spinner is on a CPU: the woken
   * queued waiters (rwsem_mark_wake) lose that race and stay queued.
   */
  private spinnerTakes(): void {
    const t = this.spinner!;
    this.spinner = null;
    this.writer = t;
    wake_up_process(t);
  }

  /** downgrade_write: the writer becomes a reader and queued readers at the head join it. */
  downgrade(t: Task): void {
    if (this.writer !== t) throw new Error(`downgrade_write(${this.label}): ${t.comm} does not hold it for write`);
    this.writer = null;
    this.readers.push(t);
    if (this.head !== this.waiters.length && !this.waitWrite[this.head]) this.grantReaders();
  }

  private grantHead(): void {
    if (this.waitWrite[this.head]) {
      if (this.readers.length !== 0) return;
      const w = this.waiters[this.head]!;
      if (this.lockSteal && !this.handoff) { // rwsem_mark_wake(RWSEM_WAKE_ANY): wake_q_add(wake_q, waiter->task), no grant
        if (this.wokenWriter !== w) {
          this.wokenWriter = w;
          wake_up_process(w);
        }
        return;
      }
      if (this.handoff) this.handoff = false;
      this.pop();
      this.nrWritersQueued--;
      this.writer = w;
      wake_up_process(w);
    } else {
      this.grantReaders();
    }
  }

  /** rwsem_mark_wake(RWSEM_WAKE_ANY) with a reader at the head. */
  private grantReaders(): void {
    const w = this.waiters, ww = this.waitWrite;
    if (this.readerWake === 'prefix' || this.nrWritersQueued === 0) {
      let n = 0;
      while (this.head !== w.length && !ww[this.head] && n < MAX_READERS_WAKEUP) {
        const t = w[this.head]!;
        this.pop();
        this.readers.push(t);
        wake_up_process(t);
        n++;
      }
      return;
    }
    // Wake every queued reader (up to 256), leaving queued writers in order.
    const keepT: Task[] = [], keepW: boolean[] = [];
    let n = 0;
    for (let i = this.head; i < w.length; i++) {
      const t = w[i]!;
      if (!ww[i] && n < MAX_READERS_WAKEUP) {
        this.readers.push(t);
        wake_up_process(t);
        n++;
      } else {
        keepT.push(t);
        keepW.push(ww[i]!);
      }
    }
    w.length = 0; ww.length = 0; this.head = 0;
    for (let i = 0; i < keepT.length; i++) { w.push(keepT[i]!); ww.push(keepW[i]!); }
  }

  private pop(): void {
    this.head++;
    if (this.head === this.waiters.length) {
      this.waiters.length = 0;
      this.waitWrite.length = 0;
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.waiters.length) {
      this.waiters.splice(0, this.head);
      this.waitWrite.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * A killable waiter leaves the queue on a fatal signal (rwsem_del_wake_waiter):
   * when it was first in line and the lock is not write-held, the new head is
   * woken as rwsem_mark_wake(RWSEM_WAKE_ANY) would (a writer if there are no
   * readers, otherwise the readers). Returns false when `t` is not queued.
   */
  cancel_wait(t: Task): boolean {
    const i = this.waiters.indexOf(t, this.head);
    if (i < 0) return false;
    if (this.waitWrite[i]) this.nrWritersQueued--;
    if (i === this.head && this.handoff) this.handoff = false; // out_nolock: the first waiter's RWSEM_FLAG_HANDOFF is cleared
    if (this.wokenWriter === t) this.wokenWriter = null; // (lockSteal only)
    this.waiters.splice(i, 1);
    this.waitWrite.splice(i, 1);
    if (i === this.head && this.writer === null && this.head !== this.waiters.length) {
      if (!this.waitWrite[this.head] || this.readers.length === 0) this.grantHead();
    }
    return true;
  }

  /** Holders, plus (for a waiting reader) the writers queued ahead of it. */
  blockers(waiter: Task, out: Task[]): void {
    if (this.writer !== null) out.push(this.writer);
    for (const r of this.readers) out.push(r);
    for (let i = this.head; i < this.waiters.length; i++) {
      const t = this.waiters[i]!;
      if (t === waiter) break;
      if (this.waitWrite[i]) out.push(t);
    }
  }

  /** For tests and invariants: queued tasks in order, with their mode. */
  queue(): Array<{ task: Task; write: boolean }> {
    const q: Array<{ task: Task; write: boolean }> = [];
    for (let i = this.head; i < this.waiters.length; i++) q.push({ task: this.waiters[i]!, write: this.waitWrite[i]! });
    return q;
  }
}
