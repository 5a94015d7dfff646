/**
 * An observer that writes every simulator event, in order, as a line of text
 * (test/fault-fast-path and test/filemap-stages compare two engines' paths
 * by it); subclasses add what their test collects through the `inFault` set
 * and the protected hooks.
 */
import type { MmStruct, VmEvent, WaitResource } from '../src/model/index.js';
import type { OpName } from '../src/scenario/types.js';
import type { SimObserver, SimTaskInfo, WaitClass } from '../src/sim/index.js';

/** The depth of a simulated thread's kernel stack (its frames of generators). */
export const stackDepth = (task: SimTaskInfo): number => (task as unknown as { stack: unknown[] }).stack.length;

export class EventLog implements SimObserver {
  readonly log: string[] = [];
  /** Tasks inside a fault op. */
  protected readonly inFault = new Set<number>();
  opBegin(t: number, task: SimTaskInfo, op: OpName): void {
    this.log.push(`${t} ${task.id} begin ${op}`);
    if (op === 'fault') this.inFault.add(task.id);
  }
  opEnd(t: number, task: SimTaskInfo, op: OpName, ret: number): void {
    this.log.push(`${t} ${task.id} end ${op} ${ret}`);
    this.inFault.delete(task.id);
  }
  blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass, since?: number): void {
    this.log.push(`${t} ${task.id} blocked ${res.label} ${what} ${cls} ${since ?? ''}`);
  }
  woken(t: number, task: SimTaskInfo): void { this.log.push(`${t} ${task.id} woken`); }
  resumed(t: number, task: SimTaskInfo): void { this.log.push(`${t} ${task.id} resumed`); }
  cpuQueued(t: number, task: SimTaskInfo): void { this.log.push(`${t} ${task.id} queued`); }
  cpuStart(t: number, task: SimTaskInfo): void { this.log.push(`${t} ${task.id} cpu`); }
  cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void { this.log.push(`${t} ${task.id} stop ${preempted}`); }
  vmEvent(t: number, task: SimTaskInfo | null, ev: VmEvent): void { this.log.push(`${t} ${task?.id ?? '-'} vm ${ev}`); }
  mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void { this.log.push(`${t} ${task.id} mmap+ ${write} ${success}`); }
  mmapLockReleased(t: number, task: SimTaskInfo, write: boolean): void { this.log.push(`${t} ${task.id} mmap- ${write}`); }
  finish(t: number, _mm: MmStruct): void { this.log.push(`${t} finish`); }
  ioSubmit(t: number, task: SimTaskInfo, folio: unknown, law: number, done: number): void {
    this.log.push(`${t} ${task.id} io ${this.ioText(folio, law, done)}`);
  }
  /** An I/O submission's text after the task: the law and completion time. */
  protected ioText(_folio: unknown, law: number, done: number): string { return `${law} ${done}`; }
}
