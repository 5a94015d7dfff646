/**
 * A small harness for the semantics tests: hand-written per-thread programs
 * ("lanes") on the real engine and model, with exact-time marks.
 *
 *   const h = lanes({ readerWake: 'prefix' });
 *   h.lane('R1', 0, function* () { yield* mmap_read_lock(h.mm); h.mark('read'); ... });
 *   h.run();
 *   expect(h.marks).toEqual([...]);
 *
 * Times in marks and records are microseconds (the lane diagrams' unit).
 */
import {
  Cost, cpu, current, mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock, sleep, VM_EVENT_NAMES, type CostName, type KPath, type MmStruct, type VmAreaStruct, type VmEvent,
} from '../src/model/index.js';
import type { PriorityClass } from '../src/scenario/types.js';
import { buildMm, costArray, Simulator, type SimTask, type SimTaskInfo, type WaitClass } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { anonGroup, fileGroup, Recorder, scenario, us, zeroCosts } from './helpers.js';

export type Mark = [task: string, what: string, tUs: number];

/** Recorder plus mmap_lock tracepoints, vm events and CPU scheduling, in us. */
export class LaneRecorder extends Recorder {
  readonly vmEvents: Mark[] = [];
  readonly mmap: Mark[] = [];
  readonly cpu: Mark[] = [];
  override vmEvent(t: number, task: SimTaskInfo | null, ev: VmEvent): void {
    this.vmEvents.push([task?.comm ?? '-', VM_EVENT_NAMES[ev], t / 1000]);
  }
  override mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void {
    this.mmap.push([task.comm, `${write ? 'write' : 'read'}${success ? '' : ' (trylock failed)'}`, t / 1000]);
  }
  override mmapLockReleased(t: number, task: SimTaskInfo, write: boolean): void {
    this.mmap.push([task.comm, write ? 'up_write' : 'up_read', t / 1000]);
  }
  override cpuQueued(t: number, task: SimTaskInfo): void { this.cpu.push([task.comm, 'queued', t / 1000]); }
  override cpuStart(t: number, task: SimTaskInfo): void { this.cpu.push([task.comm, 'start', t / 1000]); }
  override cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void {
    this.cpu.push([task.comm, preempted ? 'preempted' : 'stop', t / 1000]);
  }
  /** [task, what, class, resource, begin us, end us] of every completed wait. */
  waitLanes(): Array<[string, string, WaitClass, string, number, number]> {
    return this.waits.map((w) => [w.task, w.what, w.cls, w.res, w.begin / 1000, w.end / 1000]);
  }
}

export interface LaneOptions {
  vmas?: number;
  readerWake?: 'all' | 'prefix';
  cpus?: number | null;
  preempt?: boolean;
  strategy?: string;
  /** CPU costs in ns beyond handle_mm_fault = 1 us (all others are 0). */
  costs?: Partial<Record<CostName, number>>;
  /** Transfer time per 4 KiB page of a read beyond its first (engine readNsPerPage); default 0. */
  readNsPerPage?: number;
  /** Anonymous VMAs of 64 pages after the file ones (with anon_vma). */
  anon?: number;
  /** One EEVDF run queue per CPU (engine perCpuRunqueues; sim/runqueues.ts). */
  perCpu?: boolean;
  /** With perCpu: the calibration host's wake-up packing (engine vcpuPack). */
  vcpuPack?: boolean;
  /** rwsem lock stealing on mmap_lock (engine lockSteal; scenario `mmap_lock.lock_steal`). */
  lockSteal?: boolean;
}

export interface Lanes {
  sim: Simulator;
  mm: MmStruct;
  rec: LaneRecorder;
  /** The VMAs in address order. */
  vma: VmAreaStruct[];
  /** Page address inside VMA i. */
  addr(i: number): number;
  marks: Mark[];
  /** Record `what` for the current task at the current time. */
  mark(what: string): void;
  /** Spawn a lane starting at `startUs`. */
  lane(name: string, startUs: number, body: (t: SimTask) => KPath<unknown>, cls?: PriorityClass): SimTask;
  /** Spawn a lane that runs `fn` once at `atUs` (no sleeping inside). */
  probe(name: string, atUs: number, fn: () => void): SimTask;
  run(untilUs?: number): void;
}

/** Sleep (off-CPU) for `n` us: a lock holder doing something slow. */
export function* hold(n: number): KPath {
  yield sleep(us(n));
}
/** A reader lane: down_read on the mm's mmap_lock at `at`, mark 'read', hold `n` us, up_read. */
export function reader(h: Lanes, name: string, at: number, n: number): void {
  h.lane(name, at, function* () {
    yield* mmap_read_lock(h.mm);
    h.mark('read');
    yield* hold(n);
    mmap_read_unlock(h.mm);
  });
}
/** A writer lane: down_write at `at`, mark 'write', hold `n` us, up_write. */
export function writer(h: Lanes, name: string, at: number, n: number): void {
  h.lane(name, at, function* () {
    yield* mmap_write_lock(h.mm);
    h.mark('write');
    yield* hold(n);
    mmap_write_unlock(h.mm);
  });
}
/** Run on a CPU for `n` us (costs.handle_mm_fault is 1 us in lanes()). */
export function* burn(n: number): KPath {
  yield cpu(Cost.handle_mm_fault, n);
}

export function lanes(o: LaneOptions = {}): Lanes {
  const sc = scenario({
    vmas: [fileGroup('vma', o.vmas ?? 4, 16), ...(o.anon !== undefined ? [anonGroup('anon', o.anon, 64)] : [])],
    cpus: o.cpus ?? null,
    preempt: o.preempt ?? true,
    mmap_lock: { reader_wake: o.readerWake ?? 'all' },
    costs: zeroCosts({ handle_mm_fault: us(1), ...o.costs }),
  });
  const { mm } = buildMm(sc, faultStrategy(o.strategy ?? 'mainline'), forkStrategy('fork-lock-all'));
  const rec = new LaneRecorder();
  const sim = new Simulator({
    cpus: sc.cpus, preempt: sc.preempt, costs: costArray(sc), seed: 1, observer: rec,
    laws: [sc.io.read, sc.io.swap, sc.io.writeback, sc.io.folio_lock_hold],
    ...(o.readNsPerPage !== undefined ? { readNsPerPage: o.readNsPerPage } : {}),
    ...(o.perCpu === true ? { perCpuRunqueues: true } : {}),
    ...(o.vcpuPack === true ? { vcpuPack: true } : {}),
    ...(o.lockSteal === true ? { lockSteal: true } : {}),
  }, mm);
  const marks: Mark[] = [];
  const vma = mm.vmas.slice();
  return {
    sim, mm, rec, vma, marks,
    addr: (i) => vma[i]!.vm_start + 1,
    mark: (what) => { marks.push([current.comm, what, sim.now / 1000]); },
    lane: (name, startUs, body, cls = 'DEFAULT') => sim.spawn(name, cls, function* (t: SimTask): KPath {
      if (startUs > 0) yield sleep(us(startUs));
      yield* body(t);
    }),
    probe: (name, atUs, fn) => sim.spawn(name, 'DEFAULT', function* (): KPath {
      if (atUs > 0) yield sleep(us(atUs));
      fn();
    }),
    run: (untilUs = 1_000_000) => sim.run(us(untilUs)),
  };
}
