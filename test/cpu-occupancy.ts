/** The CPU occupancy the engine's observer calls show, checked by the CPU properties (test/cpu-identity.test.ts, test/runqueues.test.ts). */
import { NullObserver, type SimTask, type SimTaskInfo } from '../src/sim/index.js';

/** One task per CPU, a task on one CPU at a time; violations collected in `errors`. */
export class CpuOccupancy extends NullObserver {
  readonly on: Array<SimTask | null>;
  errors: string[] = [];
  constructor(readonly cpus: number) {
    super();
    this.on = new Array<SimTask | null>(cpus).fill(null);
  }
  /** At cpuStart: `task` takes the CPU it says it is on. */
  protected occupy(t: number, task: SimTaskInfo): void {
    const s = task as SimTask;
    if (s.cpu < 0 || s.cpu >= this.cpus) this.errors.push(`${t}: ${s.comm} started on CPU ${s.cpu}`);
    else if (this.on[s.cpu] !== null) this.errors.push(`${t}: ${s.comm} started on CPU ${s.cpu}, taken by ${this.on[s.cpu]!.comm}`);
    else if (this.on.includes(s)) this.errors.push(`${t}: ${s.comm} on two CPUs`);
    else this.on[s.cpu] = s;
  }
  /** At cpuStop: `task` leaves its CPU, which must be its own. */
  protected vacate(t: number, task: SimTaskInfo): void {
    const s = task as SimTask;
    if (s.cpu < 0 || this.on[s.cpu] !== s) this.errors.push(`${t}: ${s.comm} stopped on CPU ${s.cpu}, not its own`);
    else this.on[s.cpu] = null;
  }
}
