/**
 * `struct folio` (include/linux/mm_types.h) and its PG_writeback wait queue
 * (moved out of mm_types.ts).
 */
import { block, killableBlock, mutableKillableBlock, type BlockEffect, type Task, type WaitResource } from './effects.js';
import { objectArray } from './shapes.js';
import { hooks, hooks_on } from './custom.js';
import { wake_up_process } from './sched.js';

export type FolioOwner = Task | 'io' | null;

/**
 * The PG_writeback bit's waiters of one folio (folio_wait_writeback ->
 * folio_wait_bit(PG_writeback), woken by folio_end_writeback). A wait on
 * writeback is a wait on I/O: nobody holds it but the device.
 */
export class FolioWriteback implements WaitResource {
  readonly lockClass = 'io' as const;
  readonly label: string;
  readonly waiters: Task[] = objectArray();
  readonly blockWait: BlockEffect;
  constructor(folio: { readonly label: string }) {
    this.label = `${folio.label}:writeback`;
    this.blockWait = block(this, 'folio_wait_writeback');
    hooks.object_created(this); // model-only (custom.ts): its wait queue is shared state
  }
  blockers(): void {}
}

/**
 * Wait-queue arrays for folios made without model hooks (the simulator): a
 * folio takes a pair at its first waiter and gives it back, emptied, when its
 * queue empties, so that a new folio's first waiter (every major fault's read
 * waits on its new folio) allocates no backing store. NO_WAITERS and
 * NO_EXCLUSIVE stand for "no pair" and are never pushed to.
 */
const NO_WAITERS: Task[] = objectArray();
const NO_EXCLUSIVE: boolean[] = objectArray();
const freeWaiters: Task[][] = objectArray();
const freeExclusive: boolean[][] = objectArray();

/**
 * The simulator's killable folio sleeps: one BLOCK record per kind, its
 * resource set to the folio at each use (the engines read it at once), so
 * that a new folio's first killable sleep (every major fault's) makes none.
 */
const killableSleeps = {
  lock: mutableKillableBlock('folio_lock'),
  waitLocked: mutableKillableBlock('folio_wait_locked'),
};

/**
 * `struct folio` with PG_locked, PG_uptodate, PG_writeback and its wait queue
 * (mm/filemap.c folio_wait_bit_common / folio_wake_bit).
 */
export class Folio implements WaitResource {
  readonly lockClass = 'folio' as const;
  locked = false;
  uptodate = false;
  writeback = false;
  /** PG_dirty (folio_mark_dirty by a shared write fault; reclaim does not read it). */
  dirty = false;
  /** In the swap cache (anonymous) rather than the page cache. */
  swapcache = false;
  /** Who holds PG_locked: a task, or in-flight I/O submitted by `ioOwner`. */
  owner: FolioOwner = null;
  ioOwner: Task | null = null;
  /**
   * PG_readahead: the async-readahead marker page_cache_ra_order sets on the
   * folio at `start + size - async_size` of a window (mm/readahead.c).
   */
  readahead = false;
  /** Kernel references beyond the mapping's (folio_get/folio_put). */
  refcount = 0;
  /**
   * The lock's wait queue: the waiters in order, and whether each waits
   * exclusively (for the lock) or for the unlock. A folio made while no model
   * hooks are installed (the simulator) has none until its first waiter and
   * gives its pair back when the queue empties (`takeQueue`, `putQueue`); one
   * made under the checker's hooks keeps its own pair for life (tracked
   * containers of the state digest).
   */
  private waiters: Task[] = hooks_on ? objectArray() : NO_WAITERS;
  private exclusive: boolean[] = hooks_on ? objectArray() : NO_EXCLUSIVE;
  private bl: BlockEffect | null = null;
  private bw: BlockEffect | null = null;
  /** The killable forms of bl and bw, made on first use (a folio a major fault waits for needs only those). */
  private bk: BlockEffect | null = null;
  private bwk: BlockEffect | null = null;
  /** PG_writeback waiters, made on first use. */
  private wbq: FolioWriteback | null = null;

  /** A folio of VMA `vmaId`'s file or swap space at page `index`. */
  constructor(readonly vmaId: number, readonly index: number) {
    if (hooks_on) hooks.object_created(this); // model-only (custom.ts)
  }

  get label(): string {
    return `folio[${this.vmaId}:${this.index}]`;
  }
  /** The effect a task yields to sleep in folio_lock (made on first use). */
  get blockLock(): BlockEffect {
    return (this.bl ??= block(this, 'folio_lock'));
  }
  /** The effect a task yields to sleep in folio_wait_locked. */
  get blockWaitLocked(): BlockEffect {
    return (this.bw ??= block(this, 'folio_wait_locked'));
  }
  /**
   * The effect a task yields to sleep killably in folio_lock
   * (__folio_lock_killable): without model hooks (the simulator) the one
   * record for every folio, pointed at this one (`killableSleeps`); under the
   * checker's hooks this folio's own, made on first use.
   */
  get blockLockKillable(): BlockEffect {
    if (!hooks_on) {
      killableSleeps.lock.res = this;
      return killableSleeps.lock as BlockEffect;
    }
    return (this.bk ??= killableBlock(this, 'folio_lock'));
  }
  /** The effect a task yields to sleep killably in folio_wait_locked (folio_wait_locked_killable), as blockLockKillable. */
  get blockWaitLockedKillable(): BlockEffect {
    if (!hooks_on) {
      killableSleeps.waitLocked.res = this;
      return killableSleeps.waitLocked as BlockEffect;
    }
    return (this.bwk ??= killableBlock(this, 'folio_wait_locked'));
  }
  /** The PG_writeback wait queue (folio_wait_writeback). */
  get wb(): FolioWriteback {
    return (this.wbq ??= new FolioWriteback(this));
  }
  /** Nobody holds, references or waits for it, and no writeback is in flight. */
  get idle(): boolean {
    return !this.locked && this.refcount === 0 && this.waiters.length === 0 && !this.writeback;
  }

  /** folio_trylock */
  trylock(t: Task): boolean {
    if (this.locked) return false;
    this.locked = true;
    this.owner = t;
    return true;
  }
  /** Queue for the lock (exclusive) or for "unlocked" (folio_wait_locked). */
  enqueue(t: Task, exclusive: boolean): void {
    if (this.waiters === NO_WAITERS) this.takeQueue();
    this.waiters.push(t);
    this.exclusive.push(exclusive);
  }
  /** A pair of wait-queue arrays for the first waiter, reused if one is free. */
  private takeQueue(): void {
    this.waiters = freeWaiters.pop() ?? objectArray();
    this.exclusive = freeExclusive.pop() ?? objectArray();
  }
  /**
   * The queue is empty: without model hooks, give its pair back (a folio the
   * checker tracks keeps its own; so does one it would not be handed back to).
   */
  private putQueue(): void {
    if (hooks_on || this.waiters === NO_WAITERS) return;
    freeWaiters.push(this.waiters);
    freeExclusive.push(this.exclusive);
    this.waiters = NO_WAITERS;
    this.exclusive = NO_EXCLUSIVE;
  }
  /**
   * folio_unlock -> folio_wake_bit: wake waiters in order; the first exclusive
   * waiter is handed the lock and the walk stops there (wake_page_function).
   */
  unlock(): void {
    if (!this.locked) throw new Error(`folio_unlock(${this.label}): not locked`);
    this.locked = false;
    this.owner = null;
    this.ioOwner = null;
    if (this.waiters.length === 0) return;
    let i = 0;
    const w = this.waiters, ex = this.exclusive;
    for (; i < w.length; i++) {
      const t = w[i]!;
      if (ex[i]) {
        this.locked = true;
        this.owner = t;
        wake_up_process(t);
        i++;
        break;
      }
      wake_up_process(t);
    }
    // Drop the first i entries in place (no splice: it allocates the removed part).
    if (i === w.length) { // all of them (the common case: one waiter): pop, not the slower length store
      while (w.length !== 0) {
        w.pop();
        ex.pop();
      }
      this.putQueue();
      return;
    }
    const n = w.length - i;
    for (let j = 0; j < n; j++) {
      w[j] = w[j + i]!;
      ex[j] = ex[j + i]!;
    }
    w.length = n;
    ex.length = n;
  }
  get nrWaiters(): number {
    return this.waiters.length;
  }
  /** A killable waiter not yet handed the lock leaves the wait queue (folio_wait_bit_common on a fatal signal). */
  cancel_wait(t: Task): boolean {
    const i = this.waiters.indexOf(t);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    this.exclusive.splice(i, 1);
    if (this.waiters.length === 0) this.putQueue();
    return true;
  }
  blockers(_waiter: Task, out: Task[]): void {
    if (this.owner === 'io') {
      if (this.ioOwner !== null) out.push(this.ioOwner);
    } else if (this.owner !== null) {
      out.push(this.owner);
    }
  }
}
