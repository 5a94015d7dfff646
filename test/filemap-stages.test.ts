/**
 * filemap_fault as stages of the simulator's resumable fault
 * (model/filemap_stages.ts, sim/user-fault.ts FAST_FILEMAP; bench/README.md,
 * "filemap_fault's miss without a generator"): with the fast path on, a read
 * fault's filemap_fault yields the same effects in the same order as its
 * generator (the fast path off: every observer event the same), with no
 * kernel frame on the thread's stack while it sleeps on the folio; the paths
 * it hands to a CALL (a synchronous device's read, lock_folio_maybe_drop_mmap
 * with the fault lock held, page_cache_async_ra) give the same events too;
 * its SUBMIT is one record per thread; and it refuses to run where the
 * checker's scheduling points are on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  FilemapFaultStages, folio_submit_read, Folio, LawName, mutableSubmit, set_sched_points, submit, VM_EVENT_NAMES, type VmEvent,
  type VmFault, type WaitResource,
} from '../src/model/index.js';
import { page_cache_ra_order } from '../src/model/readahead.js';
import { loadScenario, type Scenario } from '../src/scenario/index.js';
import { faultFastPath } from '../src/sim/user-fault.js';
import { simulate, type SimTaskInfo, type WaitClass } from '../src/sim/index.js';
import { faultStrategy, forkStrategy, ALL_FAULT_STRATEGIES } from '../src/strategies/index.js';
import { referenceScenario } from '../bench/reference-scenario.js';
import { EventLog, stackDepth } from './event-log.js';

/** Every observer event in order, as text; per sleep in a fault op, its `what` and the thread's stack depth; the VM events by name. */
class SleepLog extends EventLog {
  readonly sleeps: Array<[string, number]> = [];
  readonly events = new Map<string, number>();
  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass, since?: number): void {
    super.blocked(t, task, res, what, cls, since);
    if (this.inFault.has(task.id)) this.sleeps.push([what, stackDepth(task)]);
  }
  override vmEvent(t: number, task: SimTaskInfo | null, ev: VmEvent): void {
    super.vmEvent(t, task, ev);
    const name = VM_EVENT_NAMES[ev]!;
    this.events.set(name, (this.events.get(name) ?? 0) + 1);
  }
  protected override ioText(folio: unknown, law: number, done: number): string { return `${(folio as Folio).label} ${law} ${done}`; }
}

function trace(sc: Scenario, fault: string, seed: number, fast: boolean): SleepLog {
  faultFastPath.on = fast;
  const obs = new SleepLog();
  simulate({ scenario: sc, fault: faultStrategy(fault), fork: forkStrategy('fork-lock-all'), seed, observer: obs });
  return obs;
}

function shortened(name: string, ms: number): Scenario {
  return { ...loadScenario(name), duration: ms * 1_000_000 };
}

/** The smallest stack depth of the fault sleeps described by `what`. */
function minDepth(log: SleepLog, what: string): number {
  return Math.min(...log.sleeps.filter(([w]) => w === what).map(([, d]) => d));
}

afterEach(() => {
  faultFastPath.on = true;
  set_sched_points(false);
});

describe('filemap_fault as stages: the same effects as its generator', () => {
  it('major faults only: the readahead\'s SUBMIT, the folio-lock sleep and out_retry; no kernel frame on the stack in the sleep', { timeout: 60_000 }, () => {
    const sc = referenceScenario({ threads: 8, vmas: 16, durationUs: 100_000, pMajor: 1, noWriter: true });
    const a = trace(sc, 'mainline', 2, true), b = trace(sc, 'mainline', 2, false);
    expect(a.log).toEqual(b.log);
    expect(a.log.filter((l) => l.includes(' io ')).length).toBeGreaterThan(1000);
    // The stages make the sleep on the folio's lock from the thread's loop (its stack empty); the general
    // form sleeps in do_user_addr_fault's frame (filemap_fault's delegated to by yield*), and the fast path
    // before the stages in filemap_fault's (a CALL).
    expect(a.sleeps.filter(([w]) => w === 'folio_lock').length).toBeGreaterThan(1000);
    expect(minDepth(a, 'folio_lock')).toBe(0);
    expect(minDepth(b, 'folio_lock')).toBe(1);
  });

  it('exp-uptodate (folios locked by reclaim or under writeback): every fault strategy, the same events', { timeout: 120_000 }, () => {
    const sc = shortened('exp-uptodate', 400);
    for (const fault of ALL_FAULT_STRATEGIES) {
      const a = trace(sc, fault, 3, true), b = trace(sc, fault, 3, false);
      expect(a.log, fault).toEqual(b.log);
      if (fault === 'mainline') {
        // A read fault on a folio locked by someone else, fault lock held: lock_folio_maybe_drop_mmap as a CALL (one frame).
        expect(a.events.get('FAULT_RETRY') ?? 0).toBeGreaterThan(0);
        expect(minDepth(a, 'folio_lock')).toBe(0);
      }
    }
  });

  it('page_not_uptodate (no readahead: MADV_RANDOM): the read\'s SUBMIT and folio_wait_locked made by the stages', { timeout: 60_000 }, () => {
    const base = referenceScenario({ threads: 8, vmas: 16, durationUs: 100_000, pMajor: 1, noWriter: true });
    const sc: Scenario = { ...base, vmas: base.vmas.map((v) => ({ ...v, readahead: 'random' as const })) };
    const a = trace(sc, 'mainline', 2, true), b = trace(sc, 'mainline', 2, false);
    expect(a.log).toEqual(b.log);
    expect(a.events.get('PAGE_NOT_UPTODATE_READ') ?? 0).toBeGreaterThan(100);
    expect(minDepth(a, 'folio_wait_locked')).toBe(0);
    expect(minDepth(b, 'folio_wait_locked')).toBe(1);
  });

  it('a synchronous device (io.read_synchronous: submit_read_bio run as a CALL): the same events', { timeout: 60_000 }, () => {
    const base = referenceScenario({ threads: 8, vmas: 16, durationUs: 100_000, pMajor: 1, noWriter: true });
    const sc: Scenario = { ...base, io: { ...base.io, read_synchronous: true } };
    const a = trace(sc, 'mainline', 2, true), b = trace(sc, 'mainline', 2, false);
    expect(a.log).toEqual(b.log);
    expect(a.log.some((l) => l.includes(' io '))).toBe(false); // read in the task: no SUBMIT
    expect(a.events.get('PGMAJFAULT') ?? 0).toBeGreaterThan(100);
  });

  it('android-app and exp-death (readahead markers, fatal signals in the folio sleeps): every fault strategy, the same events', { timeout: 120_000 }, () => {
    for (const [name, ms] of [['android-app', 400], ['exp-death', 400]] as const) {
      const sc = shortened(name, ms);
      for (const fault of ALL_FAULT_STRATEGIES) {
        const a = trace(sc, fault, 4, true), b = trace(sc, fault, 4, false);
        expect(a.log, `${name} ${fault}`).toEqual(b.log);
      }
    }
  });
});

describe('filemap_fault as stages: its SUBMIT record, and where it may run', () => {
  it('submit, folio_submit_read and page_cache_ra_order rewrite the record they are given, every field', () => {
    const rec = mutableSubmit();
    const f1 = new Folio(1, 2), f2 = new Folio(3, 4);
    const end = (): void => {};
    expect(submit(LawName.swap, f1, end, null, 5, rec)).toBe(rec);
    expect([rec.law, rec.folio, rec.end_io, rec.owner, rec.n]).toEqual([LawName.swap, f1, end, null, 5]);
    f2.locked = true;
    expect(folio_submit_read(f2, rec)).toBe(rec);
    expect([rec.law, rec.folio, rec.n]).toEqual([LawName.read, f2, 1]);
    expect(rec.end_io).not.toBe(end);
    // Without a record: a new one each time (the checker's, and the generator's).
    expect(folio_submit_read(f2)).not.toBe(folio_submit_read(f2));
  });

  it('page_cache_ra_order with a record: the window\'s new folio in it, the same record', () => {
    const rec = mutableSubmit();
    const vma = { id: 7, cache: new Map<number, Folio>(), evicted: new Set<number>([3]), file_ptes: new Set<number>() };
    const bio = page_cache_ra_order(vma as never, 3, 8, true, rec);
    expect(bio).toBe(rec);
    expect(rec.n).toBe(8);
    expect(rec.folio).toBe(vma.cache.get(3));
    expect(rec.folio.readahead).toBe(true);
    expect(rec.folio.locked).toBe(true);
  });

  it('refuses to run with scheduling points on (the checker keeps the generator)', () => {
    set_sched_points(true);
    const vmf = { vma: { mm: { memory: null } } } as unknown as VmFault;
    expect(() => new FilemapFaultStages().begin(vmf)).toThrow(/scheduling points/);
  });

  it('resume() without a fault in progress throws', () => {
    expect(() => new FilemapFaultStages().resume(undefined)).toThrow(/no fault in progress/);
  });
});
