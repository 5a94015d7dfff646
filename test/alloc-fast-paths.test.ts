/**
 * The simulator's allocation-free fast paths (bench/README.md, "Fewer
 * allocations per run"): each must leave the model in the state, and hand
 * the engines the effect fields, that the general path does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Cost, cpu_plus, CpuStep, lock_vma_under_rcu, mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock,
  vma_end_read, vma_is_write_locked, vma_start_write_killable, type CpuEffect,
  FAULT_FLAG_DEFAULT, FAULT_FLAG_USER, FAULT_FLAG_WRITE, handle_mm_fault, handle_mm_fault_with, vm_fault_alloc, vm_fault_reusable, VM_FAULT_NOPAGE, type KPath,
} from '../src/model/index.js';
import {
  do_user_addr_fault, FAULT_FLAG_TRIED, FAULT_FLAG_VMA_LOCK, Folio, send_sigkill, VM_FAULT_MAJOR, VM_FAULT_RETRY, install_model_hooks, install_sched, killable, maybe_unlock_mmap_for_io, PT, set_sched_points,
  type ModelHooks, type Task, type VmFault,
} from '../src/model/index.js';
import { hold, lanes, type Lanes } from './lanes.js';
import { us } from './helpers.js';

const nop = (): void => {};
/** Model hooks that do nothing: a folio made under them is made as the checker's are (its own wait-queue arrays and BLOCK records). */
const noHooks: ModelHooks = {
  object_created: nop, set_pte_at: nop, pt_update_begin: nop, pt_update_end: nop, anon_vma_fork: nop, anon_vma_prepare: nop, anon_vma_use: nop,
  anon_vma_free: nop, dup_mmap_copy: nop, vm_area_alloc: nop, vm_area_free: nop, mm_use: nop, mm_free: nop, vma_use: nop, pgtable_use: nop,
  vma_change: nop, lock_acquire: nop, vma_read_lock: nop,
};

/** What the engines read of a CPU effect. */
function fields(e: CpuEffect): unknown[] {
  return [e.k, e.cost, e.n, e.then, e.extra === null ? null : [...e.extra]];
}

describe('CpuStep: one reused CPU effect per loop charges what cpu_plus charges', () => {
  const extra = [Cost.copy_pte_range, Cost.wrprotect_pte, Cost.copy_file_pte];
  it('the same fields as cpu_plus for each set of counts, the same object each time', () => {
    const step = new CpuStep(Cost.copy_pte, extra);
    for (const [n, a, b, c] of [[7, 2, 0, 3], [0, 0, 0, 0], [5, 0, 0, 0], [1, 0, 4, 0], [12, 1, 1, 1]] as const) {
      const e = step.set(n, a, b, c);
      expect(e).toBe(step.effect);
      const ref = cpu_plus(Cost.copy_pte, n, [extra[0]!, a, extra[1]!, b, extra[2]!, c]);
      expect(fields(e)).toEqual(fields(ref)); // all-zero extras: null in both
    }
  });
  it('refuses more than four extra costs', () => {
    expect(() => new CpuStep(Cost.copy_pte, [Cost.pgscan, Cost.pgsteal, Cost.swap_out, Cost.zap_pte, Cost.exit_vma])).toThrow(RangeError);
  });
});

describe('vma_start_write_killable: no generator when nothing can sleep (simulator)', () => {
  it('no reader: returns 0 at once and write-locks the VMA; a second call too', () => {
    const h = lanes();
    const seen: unknown[] = [];
    h.lane('W', 0, function* () {
      yield* mmap_write_lock(h.mm);
      const r = vma_start_write_killable(h.vma[0]!);
      seen.push(r, vma_is_write_locked(h.vma[0]!));
      seen.push(vma_start_write_killable(h.vma[0]!)); // already write-locked in this section
      mmap_write_unlock(h.mm);
      seen.push(vma_is_write_locked(h.vma[0]!));
    });
    h.run();
    expect(seen).toEqual([0, true, 0, false]);
  });

  it('a reader holds the VMA: the path, which waits for the reader to leave', () => {
    const h = lanes();
    const seen: unknown[] = [];
    h.lane('R', 0, function* () {
      const v = lock_vma_under_rcu(h.mm, h.addr(0))!;
      yield* hold(10);
      vma_end_read(v);
    });
    h.lane('W', 2, function* () {
      yield* mmap_write_lock(h.mm);
      const r = vma_start_write_killable(h.vma[0]!);
      seen.push(typeof r);
      const ret = typeof r === 'number' ? r : yield* r;
      h.mark(`write-locked ${ret} ${vma_is_write_locked(h.vma[0]!)}`);
      mmap_write_unlock(h.mm);
    });
    h.run();
    expect(seen).toEqual(['object']);
    expect(h.marks).toEqual([['W', 'write-locked 0 true', 10]]);
  });

  it('without mmap_lock held for write it still throws (the path checks)', () => {
    const h = lanes();
    let err = '';
    h.lane('W', 0, function* () {
      yield* mmap_read_lock(h.mm);
      try {
        const r = vma_start_write_killable(h.vma[0]!);
        if (typeof r !== 'number') yield* r;
      } catch (e) {
        err = (e as Error).message;
      }
      mmap_read_unlock(h.mm);
    });
    h.run();
    expect(err).toMatch(/does not hold mmap_lock for write/);
  });
});

describe('handle_mm_fault_with: the fast path reuses one struct vm_fault per thread', () => {
  /** Read faults on a file VMA's pages and write faults on an anonymous VMA's, by handle_mm_fault or with one reused vmf. */
  function faults(reuse: boolean, anon: boolean): { rets: unknown[]; reusable: boolean[] } {
    const h = lanes({ anon: 1 });
    const vma = h.vma[anon ? h.vma.length - 1 : 0]!;
    const flags = FAULT_FLAG_DEFAULT | FAULT_FLAG_USER | (anon ? FAULT_FLAG_WRITE : 0);
    const rets: unknown[] = [], reusable: boolean[] = [];
    h.lane('F', 0, function* () {
      yield* mmap_read_lock(h.mm);
      const vmf = vm_fault_alloc(vma);
      for (const off of [1, 2, 1, 5]) {
        const r = reuse ? handle_mm_fault_with(vmf, vma, vma.vm_start + off, flags) : handle_mm_fault(vma, vma.vm_start + off, flags);
        rets.push(typeof r === 'number' ? r : 'path');
        if (typeof r !== 'number') rets.push(yield* r);
        if (reuse) reusable.push(vm_fault_reusable(vmf, r));
      }
      mmap_read_unlock(h.mm);
    });
    h.run();
    return { rets, reusable };
  }
  it('a page-cache hit returns at once: the same VM_FAULT bits as with a fresh vm_fault, which is free again after each', () => {
    const a = faults(false, false), b = faults(true, false);
    expect(b.rets).toEqual(a.rets);
    expect(a.rets).toEqual([VM_FAULT_NOPAGE, VM_FAULT_NOPAGE, VM_FAULT_NOPAGE, VM_FAULT_NOPAGE]);
    expect(b.reusable).toEqual([true, true, true, true]);
  });
  it('an anonymous write fault returns a path (do_anonymous_page): the same results, and the vmf is not free', () => {
    const a = faults(false, true), b = faults(true, true);
    expect(b.rets).toEqual(a.rets);
    expect(a.rets).toEqual(['path', 0, 'path', 0, 'path', 0, 'path', 0]);
    expect(b.reusable).toEqual([false, false, false, false]);
  });
  it('not reusable when a path came back (it holds the vmf) or a handler set vmf->page', () => {
    const h = lanes({ anon: 1 });
    const vmf = vm_fault_alloc(h.vma[0]!);
    // eslint-disable-next-line require-yield -- a stand-in for a handler's path
    const path = (function* (): KPath<number> { return 0; })();
    expect(vm_fault_reusable(vmf, path)).toBe(false);
    expect(vm_fault_reusable(vmf, 0)).toBe(true);
    vmf.folio = undefined;
    vmf.keep_locked = true;
    expect(vm_fault_reusable(vmf, 0)).toBe(false);
  });
});

describe('maybe_unlock_mmap_for_io: a plain call without scheduling points (simulator), the path with its point otherwise', () => {
  it('drops the VMA lock of a first attempt at once; keeps it under FAULT_FLAG_TRIED; true when already dropped', () => {
    const h = lanes();
    const seen: unknown[] = [];
    h.lane('T', 0, function* () {
      const vma = lock_vma_under_rcu(h.mm, h.addr(0))!;
      const vmf: VmFault = { vma, address: h.addr(0), pgoff: vma.pgoff_of(h.addr(0)), flags: FAULT_FLAG_DEFAULT | FAULT_FLAG_USER | FAULT_FLAG_VMA_LOCK, pt: null, uffd_missing: false };
      seen.push(maybe_unlock_mmap_for_io({ ...vmf, flags: vmf.flags | FAULT_FLAG_TRIED }, false), vma.nrReaders); // a retry keeps it
      seen.push(maybe_unlock_mmap_for_io(vmf, true), vma.nrReaders); // fpin: already dropped, nothing done
      seen.push(maybe_unlock_mmap_for_io(vmf, false), vma.nrReaders); // released here (vma_end_read)
      yield* hold(0);
    });
    h.run();
    expect(seen).toEqual([false, 1, true, 1, true, 0]);
  });
  it('with scheduling points (the checker): the path yields PT.release_fault_lock, then releases and answers true', () => {
    const h = lanes();
    const seen: unknown[] = [];
    h.lane('T', 0, function* () {
      const vma = lock_vma_under_rcu(h.mm, h.addr(1))!;
      const vmf: VmFault = { vma, address: h.addr(1), pgoff: vma.pgoff_of(h.addr(1)), flags: FAULT_FLAG_DEFAULT | FAULT_FLAG_USER | FAULT_FLAG_VMA_LOCK, pt: null, uffd_missing: false };
      set_sched_points(true);
      try {
        const r = maybe_unlock_mmap_for_io(vmf, false) as KPath<boolean>;
        const first = r.next();
        seen.push(first.value === PT.release_fault_lock, vma.nrReaders);
        const last = r.next();
        seen.push(last.done, last.value, vma.nrReaders);
      } finally {
        set_sched_points(false);
      }
      yield* hold(0);
    });
    h.run();
    expect(seen).toEqual([true, 1, true, true, 0]);
  });
});

describe("Folio's killable sleeps: made directly, the fields killable() gives", () => {
  it('blockLockKillable and blockWaitLockedKillable: the same resource, description and TASK_KILLABLE, one object each', () => {
    const f = new Folio(3, 7), g = new Folio(3, 8);
    for (const [direct, ref] of [[f.blockLockKillable, killable(g.blockLock)], [f.blockWaitLockedKillable, killable(g.blockWaitLocked)]] as const) {
      expect([direct.k, direct.what, direct.killable]).toEqual([ref.k, ref.what, ref.killable]);
      expect(direct.res).toBe(f);
      expect(direct.killable).toBe(true);
    }
    expect(f.blockLockKillable).toBe(f.blockLockKillable);
    expect(f.blockWaitLockedKillable).toBe(f.blockWaitLockedKillable);
  });
  it('without model hooks (the simulator) one record of each kind for every folio, pointed at the folio asked; under hooks one per folio', () => {
    const f = new Folio(4, 1), g = new Folio(4, 2);
    const a = f.blockLockKillable;
    expect(a.res).toBe(f);
    const b = g.blockLockKillable;
    expect(b).toBe(a);
    expect([b.res, b.what, b.killable]).toEqual([g, 'folio_lock', true]);
    const w = g.blockWaitLockedKillable;
    expect([w.res, w.what, w.killable]).toEqual([g, 'folio_wait_locked', true]);
    expect(w).not.toBe(a);
    expect(f.blockWaitLockedKillable).toBe(w);
    expect(w.res).toBe(f);
    install_model_hooks(noHooks);
    try {
      const h = new Folio(4, 3), k = new Folio(4, 4);
      const hl = h.blockLockKillable, kl = k.blockLockKillable;
      expect(hl).not.toBe(kl);
      expect(hl).not.toBe(a);
      expect([hl.res, kl.res, hl.what, hl.killable]).toEqual([h, k, 'folio_lock', true]);
      expect(h.blockWaitLockedKillable.res).toBe(h);
    } finally {
      install_model_hooks(null);
    }
  });
});

describe("a folio's wait queue: without model hooks, its arrays come from a pool at the first waiter and go back when it empties", () => {
  const tasks: Task[] = [0, 1, 2, 3].map((id) => ({ id, comm: `T${id}`, prio: 0 }));
  /** The folio's wait-queue array (a private field). */
  const queueOf = (f: Folio): unknown[] => (f as unknown as { waiters: unknown[] }).waiters;
  type Op = { op: 'trylock' | 'enqueue' | 'cancel'; f: number; t: number; excl: boolean } | { op: 'unlock'; f: number };
  /** What the ops do to three folios, as a trace: trylock and cancel_wait results, wake-ups, owner, waiters, idle. */
  function run(ops: readonly Op[], hooked: boolean): unknown[] {
    const out: unknown[] = [];
    install_sched((t) => { out.push(`wake ${t.comm}`); });
    if (hooked) install_model_hooks(noHooks);
    try {
      const folios = [new Folio(1, 0), new Folio(1, 1), new Folio(2, 0)];
      const queued = folios.map(() => new Set<number>());
      for (const o of ops) {
        const f = folios[o.f]!;
        if (o.op === 'unlock') {
          if (!f.locked) continue;
          f.unlock();
          queued[o.f]!.clear(); // (woken waiters left; the ones behind an exclusive one are re-added below)
          for (const t of tasks) if ((f as unknown as { waiters: Task[] }).waiters.includes(t)) queued[o.f]!.add(t.id);
        } else if (o.op === 'trylock') {
          out.push(`trylock ${f.trylock(tasks[o.t]!)}`);
        } else if (o.op === 'enqueue') {
          if (queued[o.f]!.has(o.t)) continue;
          queued[o.f]!.add(o.t);
          f.enqueue(tasks[o.t]!, o.excl);
        } else {
          const r = f.cancel_wait(tasks[o.t]!);
          queued[o.f]!.delete(o.t);
          out.push(`cancel ${r}`);
        }
        out.push(folios.map((g) => [g.locked, g.owner === null ? null : g.owner === 'io' ? 'io' : g.owner.comm, g.nrWaiters, g.idle]));
      }
    } finally {
      if (hooked) install_model_hooks(null);
    }
    return out;
  }
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constantFrom('trylock' as const, 'enqueue' as const, 'cancel' as const), f: fc.integer({ min: 0, max: 2 }), t: fc.integer({ min: 0, max: 3 }), excl: fc.boolean() }),
    fc.record({ op: fc.constant('unlock' as const), f: fc.integer({ min: 0, max: 2 }) }),
  );

  it('the same wake-ups, owners, waiter counts and idleness as with a folio that keeps its own arrays (fast-check)', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      expect(run(ops, false)).toEqual(run(ops, true));
    }), { numRuns: 300 });
  });

  it("a new folio's first waiter takes the arrays an emptied queue gave back; a folio made under hooks keeps its own", () => {
    const woken: string[] = [];
    install_sched((t) => { woken.push(t.comm); });
    const [t0, t1, t2] = tasks as [Task, Task, Task];
    const a = new Folio(5, 0);
    expect(a.trylock(t0)).toBe(true);
    a.enqueue(t1, true);
    const q = queueOf(a);
    a.unlock(); // hands the lock to t1: the queue is empty, its arrays go back
    expect(queueOf(a)).not.toBe(q);
    const b = new Folio(5, 1);
    expect(b.trylock(t0)).toBe(true);
    b.enqueue(t2, false);
    expect(queueOf(b)).toBe(q);
    expect(b.cancel_wait(t2)).toBe(true); // emptied by a fatal signal's cancel: back again
    expect(queueOf(b)).not.toBe(q);
    expect(woken).toEqual(['T1']);
    install_model_hooks(noHooks);
    try {
      const c = new Folio(5, 2);
      const own = queueOf(c);
      expect(c.trylock(t0)).toBe(true);
      c.enqueue(t1, true);
      expect(queueOf(c)).toBe(own);
      c.unlock();
      expect(queueOf(c)).toBe(own); // tracked by the checker's state digest: the same array for life
      c.enqueue(t2, false);
      expect(queueOf(c)).toBe(own);
    } finally {
      install_model_hooks(null);
    }
  });
});

describe("filemap_fault's sleep for a folio under read once its readahead dropped the fault lock: __folio_lock_killable made in place", () => {
  /** A read fault on a page not in the page cache (readahead drops the VMA lock, the read takes 10 ms); SIGKILL at `killUs` if given. */
  function majorFault(killUs?: number): { h: Lanes; folio: Folio; seen: unknown[] } {
    const h = lanes();
    const vma = h.vma[1]!, miss = h.addr(1), pg = miss - vma.vm_start;
    vma.evicted.add(pg);
    const f = h.lane('F', 0, function* () {
      const ret = yield* do_user_addr_fault(h.mm, miss, false);
      h.mark(`ret ${ret}`);
    });
    const seen: unknown[] = [];
    if (killUs !== undefined) {
      h.probe('lmkd', killUs, () => send_sigkill(f));
      h.probe('look', killUs + 2, () => {
        const g = vma.cache.get(pg)!;
        seen.push(g.locked, g.owner, g.refcount, g.nrWaiters);
      });
    }
    h.run();
    return { h, folio: vma.cache.get(pg)!, seen };
  }
  it('woken by the read completion, handed the lock: VM_FAULT_RETRY, then the retry under mmap_lock maps the page', () => {
    const { h, folio } = majorFault();
    expect(h.rec.waits).toEqual([{ task: 'F', what: 'folio_lock', cls: 'io', res: folio.label, begin: us(1), end: us(10001) }]);
    expect(h.rec.vmEvents).toEqual([['F', 'PGMAJFAULT', 1], ['F', 'IO_READ', 1], ['F', 'VMA_LOCK_RETRY', 10001], ['F', 'FAULT_RETRY', 10001],
      ['F', 'FAULT_MMAP_PATH', 10001], ['F', 'PGFAULT', 10002]]);
    expect(h.marks).toEqual([['F', `ret ${VM_FAULT_NOPAGE}`, 10002]]);
    expect([folio.locked, folio.uptodate, folio.refcount, folio.nrWaiters]).toEqual([false, true, 0, 0]);
  });
  it('SIGKILL ends the sleep (TASK_KILLABLE): off the wait queue, its reference dropped, VM_FAULT_RETRY | VM_FAULT_MAJOR; the read still completes', () => {
    const { h, folio, seen } = majorFault(3);
    expect(h.rec.waits).toEqual([{ task: 'F', what: 'folio_lock', cls: 'io', res: folio.label, begin: us(1), end: us(3) }]);
    expect(h.marks).toEqual([['F', `ret ${VM_FAULT_RETRY | VM_FAULT_MAJOR}`, 3]]);
    expect(seen).toEqual([true, 'io', 0, 0]); // at 5 us: the read still holds PG_locked; nobody waits or references it
    expect([folio.locked, folio.uptodate, folio.refcount, folio.nrWaiters]).toEqual([false, true, 0, 0]);
  });
});
