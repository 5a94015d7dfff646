/**
 * The simulator's charge for an atomic read-modify-write on a lock's cache
 * line (model/lock_line.ts): Cost.lock_atomic, plus Cost.cacheline_transfer
 * when another CPU wrote the line last; the line then belongs to the task's
 * CPU. docs/calibration.md "The lock's cache line, measured (thirteenth
 * session)"; docs/fidelity.md "Lock operations".
 *
 * The CPU a lock operation runs on is the task's CPU when it holds one, else
 * the one it last ran on (task_cpu): the model runs a lock operation between
 * two CPU steps of the task, when it may hold no CPU (a fault's
 * lock_vma_under_rcu after a think time runs before its first CPU step is
 * placed; the placement usually keeps the CPU it last ran on). With
 * unlimited CPUs every task is a CPU of its own (-2 - its id).
 */
import type { LockLine } from '../model/index.js';
import type { SimTask } from './task.js';

/**
 * The CPU a lock operation of `t` writes its line from; -1 when it is not
 * known (a task that never ran, with a number of CPUs: no transfer either
 * way, and the line's next writer finds nobody).
 */
export function lockCpu(t: SimTask, unlimited: boolean): number {
  return t.cpu >= 0 ? t.cpu : t.lastCpu >= 0 ? t.lastCpu : unlimited ? -2 - t.id : -1;
}

/**
 * One RMW on `line` from CPU `cpu`: the CPU time it costs (ns), and the line
 * now that CPU's. A line nobody wrote yet (-1), or a CPU not known (-1),
 * is no transfer.
 */
export function lockLineCharge(line: LockLine, cpu: number, atomicNs: number, transferNs: number): number {
  const last = line.line_cpu;
  line.line_cpu = cpu;
  return last !== -1 && cpu !== -1 && last !== cpu ? atomicNs + transferNs : atomicNs;
}
