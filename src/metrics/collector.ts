/**
 * MetricsCollector: one per simulation run. Listens to the simulator's events
 * and, at `finish`, freezes them into a plain `RunMetrics`.
 */
import { VM_EVENT_NAMES, type MemstallKind, type MmStruct, type VmEvent, type WaitResource } from '../model/index.js';
import { PRIORITY_CLASSES, type OpName, type PriorityClass, type Scenario } from '../scenario/types.js';
import { NullObserver, type DeathEvent, type SimTaskInfo, type WaitClass } from '../sim/observer.js';
import { TimeBreakdown } from './breakdown.js';
import { DeathTracker } from './death.js';
import { FrameTracker } from './frames.js';
import { InversionTracker } from './inversion.js';
import { LockStats } from './locks.js';
import { MemstallTracker } from './memstall.js';
import { OpLatencies } from './ops.js';
import type { RunMetrics } from './types.js';

export interface RunLabel {
  /** Fault strategy spec as given (e.g. `retry-vma+uptodate-skip`). */
  fault: string;
  fork: string;
  seed: number;
}

export class MetricsCollector extends NullObserver {
  private readonly warmup: number;
  private readonly ops: OpLatencies;
  private readonly locks: LockStats;
  private readonly time: TimeBreakdown;
  private readonly inversion: InversionTracker;
  private readonly frames: FrameTracker;
  private readonly deathTracker: DeathTracker | null;
  private readonly memstalls: MemstallTracker | null;
  private readonly vmEvents = new Float64Array(VM_EVENT_NAMES.length);
  private readonly classes = new Set<PriorityClass>();
  private metrics: RunMetrics | null = null;

  constructor(scenario: Scenario, private readonly label: RunLabel) {
    super();
    this.warmup = scenario.warmup;
    this.ops = new OpLatencies(this.warmup);
    this.locks = new LockStats(this.warmup);
    this.time = new TimeBreakdown(this.warmup);
    this.inversion = new InversionTracker(this.warmup);
    this.frames = new FrameTracker(this.warmup, scenario);
    this.deathTracker = scenario.kill === undefined ? null : new DeathTracker();
    this.memstalls = scenario.memory === undefined ? null : new MemstallTracker(this.warmup, new Set(scenario.threads.map((th) => th.name)));
    for (const th of scenario.threads) this.see(th.class);
  }

  /** The run's figures; available after `finish`. */
  result(): RunMetrics {
    if (this.metrics === null) throw new Error('MetricsCollector.result() before the run finished');
    return this.metrics;
  }

  override opBegin(t: number, task: SimTaskInfo, op: OpName): void {
    this.see(task.cls);
    this.ops.begin(t, task.id, task.cls, op);
    this.time.opBegin(t, task.id, task.cls);
  }

  override opEnd(t: number, task: SimTaskInfo, _op: OpName, _ret: number): void {
    this.ops.end(t, task.id);
    this.time.opEnd(t, task.id, task.cls);
  }

  override blocked(t: number, task: SimTaskInfo, res: WaitResource, what: string, cls: WaitClass, since?: number): void {
    this.see(task.cls);
    this.locks.blocked(since ?? t, task.id, what, cls); // a lock wait includes a writer's spin before it slept
    this.time.enter(t, task.id, task.cls, cls);
    this.inversion.blockedOn(t, task, task.cls, res, cls);
  }

  override woken(t: number, task: SimTaskInfo): void {
    this.time.enter(t, task.id, task.cls, null);
    this.inversion.woken(t, task);
  }

  /** A lock wait ends when the woken task runs again, holding the lock (mmap_lock_acquire_returned), after the wake-up latency. */
  resumed(t: number, task: SimTaskInfo): void {
    this.locks.woken(t, task.id);
  }

  override cpuQueued(t: number, task: SimTaskInfo): void {
    this.time.enter(t, task.id, task.cls, 'runqueue');
    this.memstalls?.runnable(t, task, true);
  }

  override cpuStart(t: number, task: SimTaskInfo): void {
    this.time.enter(t, task.id, task.cls, 'running');
    this.memstalls?.runnable(t, task, true);
  }

  override cpuStop(t: number, task: SimTaskInfo, preempted: boolean): void {
    this.time.enter(t, task.id, task.cls, null);
    this.memstalls?.runnable(t, task, preempted);
  }

  memstall(t: number, task: SimTaskInfo, enter: boolean, kind: MemstallKind): void {
    this.memstalls?.memstall(t, task, enter, kind);
  }

  override vmEvent(t: number, _task: SimTaskInfo | null, ev: VmEvent): void {
    // Adds 0 before warm-up rather than skipping the store, so the store has type feedback before TurboFan
    // compiles the fault paths that inline it (LockStats.warmupSink).
    this.vmEvents[ev]! += t >= this.warmup ? 1 : 0;
  }

  override mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void {
    this.locks.acquired(t, task.id, write, success);
  }

  override mmapLockReleased(t: number, task: SimTaskInfo, write: boolean): void {
    this.locks.released(t, task.id, write);
  }

  override frameEnd(t: number, task: SimTaskInfo, vsync: number): void {
    this.frames.frameEnd(t, task.comm, vsync);
  }

  override death(t: number, what: DeathEvent): void {
    this.deathTracker?.event(t, what);
  }

  override finish(t: number, _mm: MmStruct): void {
    this.ops.finish();
    this.time.finish(t);
    this.inversion.finish(t);
    const classes = PRIORITY_CLASSES.filter((c) => this.classes.has(c));
    const vmEvents: Record<string, number> = {};
    VM_EVENT_NAMES.forEach((n, i) => { vmEvents[n] = this.vmEvents[i]!; });
    this.metrics = {
      fault: this.label.fault,
      fork: this.label.fork,
      seed: this.label.seed,
      window: { warmup: this.warmup, end: t },
      classes,
      opsByClass: this.ops.resultByClass(classes),
      opsAll: this.ops.resultAll(),
      mmapLock: this.locks.mmapLock(),
      vmaLock: { writerWait: this.locks.vmaWriter() },
      vmEvents,
      breakdown: this.time.result(classes),
      inversion: this.inversion.result(classes),
    };
    this.metrics.latencyCdf = this.ops.resultCdf(classes);
    if (this.frames.active) this.metrics.frames = this.frames.result();
    if (this.deathTracker !== null) this.metrics.death = this.deathTracker.result();
    if (this.memstalls !== null) this.metrics.memory = this.memstalls.result(t, classes);
  }

  private see(cls: PriorityClass): void {
    if (this.classes.has(cls)) return;
    this.classes.add(cls);
    this.inversion.notePriority(PRIORITY_CLASSES.indexOf(cls));
  }
}
