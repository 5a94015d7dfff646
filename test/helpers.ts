/** Test helpers: resolved scenarios built in code, and a recording observer. */
import { COST_NAMES, type CostName, type KPath, type WaitResource } from '../src/model/index.js';
import type { Scenario, ThreadSpec, VmaGroup } from '../src/scenario/types.js';
import { NullObserver, type SimTaskInfo, type WaitClass } from '../src/sim/index.js';
import type { OpName } from '../src/scenario/types.js';

export const us = (n: number): number => n * 1000;
export const ms = (n: number): number => n * 1_000_000;

export function zeroCosts(over: Partial<Record<CostName, number>> = {}): Record<CostName, number> {
  const c = Object.fromEntries(COST_NAMES.map((n) => [n, 0])) as Record<CostName, number>;
  return { ...c, ...over };
}

export function fileGroup(name: string, count: number, pages = 16, over: Partial<VmaGroup> = {}): VmaGroup {
  return {
    name, count, kind: 'file', shared: false, write: false, maywrite: true, exec: false, anon_vma: false,
    special: [], map_pages: true, dontcopy: false, pages: Array(count).fill(pages), resident: 1, ...over,
  };
}

export function anonGroup(name: string, count: number, pages = 16, over: Partial<VmaGroup> = {}): VmaGroup {
  return { ...fileGroup(name, count, pages), write: true, anon_vma: true, ...over, kind: 'anon' };
}

export function scenario(over: Partial<Scenario> & { vmas: VmaGroup[] }): Scenario {
  return {
    name: 'test', description: 'test', source: '<test>', cpus: null, preempt: true,
    duration: ms(100), warmup: 0, seed: 1, mmap_lock: { reader_wake: 'all' },
    costs: zeroCosts(),
    io: {
      read: { law: 'constant', value: ms(10) },
      swap: { law: 'constant', value: ms(10) },
      read_synchronous: false,
      swap_synchronous: false,
      writeback: { law: 'constant', value: ms(10) },
      folio_lock_hold: { law: 'constant', value: us(100) },
    },
    threads: [] as ThreadSpec[],
    ...over,
  };
}

export interface OpRecord { task: string; op: OpName | string; begin: number; end: number; ret: number }
export interface WaitRecord { task: string; what: string; cls: WaitClass; res: string; begin: number; end: number }

/** Records op spans and waits with exact times. */
export class Recorder extends NullObserver {
  readonly ops: OpRecord[] = [];
  readonly waits: WaitRecord[] = [];
  private readonly open = new Map<number, OpRecord>();
  private readonly openWait = new Map<number, WaitRecord>();
  override opBegin(t: number, task: SimTaskInfo, op: OpName): void {
    this.open.set(task.id, { task: task.comm, op, begin: t, end: -1, ret: 0 });
  }
  override opEnd(t: number, task: SimTaskInfo, _op: OpName, ret: number): void {
    const r = this.open.get(task.id)!;
    r.end = t;
    r.ret = ret;
    this.ops.push(r);
    this.open.delete(task.id);
  }
  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass): void {
    this.openWait.set(task.id, { task: task.comm, what, cls, res: res.label, begin: t, end: -1 });
  }
  override woken(t: number, task: SimTaskInfo): void {
    const w = this.openWait.get(task.id)!;
    w.end = t;
    this.waits.push(w);
    this.openWait.delete(task.id);
  }
  op(task: string, op?: string): OpRecord {
    const r = this.ops.find((o) => o.task === task && (op === undefined || o.op === op));
    if (!r) throw new Error(`no op recorded for ${task} ${op ?? ''}: ${JSON.stringify(this.ops)}`);
    return r;
  }
  waitsOf(task: string): WaitRecord[] {
    return this.waits.filter((w) => w.task === task);
  }
}

/** Wrap a kernel path as a one-shot program that reports itself as an op. */
export function once<T>(rec: { now: () => number; obs: NullObserver }, task: SimTaskInfo, op: OpName, path: KPath<T>): KPath<T> {
  return (function* () {
    rec.obs.opBegin(rec.now(), task, op);
    const r = yield* path;
    rec.obs.opEnd(rec.now(), task, op, typeof r === 'number' ? r : 0);
    return r;
  })();
}
