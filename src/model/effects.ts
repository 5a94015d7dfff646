/**
 * Effects: what a kernel path yields to the engine that runs it.
 *
 * A kernel path is a generator function (`function*`) that reads like the C it
 * models and yields an effect wherever the real code can block, burn CPU, submit
 * I/O, or touch state another thread can see (a scheduling point for the checker).
 * Effects are plain data; the simulator (src/sim) gives them durations, the
 * checker (src/check) treats each one as a choice point.
 *
 * Hot-path rule: effects that carry no per-call data are preallocated constants,
 * so the common fault path allocates nothing per step.
 */
import type { Folio } from './mm_types.js';
import { doubleFields } from './shapes.js';
import { Cost } from './cost.js';

/** Effect kinds (numeric for a cheap switch in the engine's hot loop). */
export const enum EffectKind {
  /** A scheduling point: shared state is read or written right after it. */
  POINT = 0,
  /** Run on a CPU for a scenario-defined cost (see `CostName`). */
  CPU = 1,
  /**
   * Run on a CPU for a duration drawn from an I/O law: a read a synchronous
   * device completes in the submitting task (zram swap-in, SWP_SYNCHRONOUS_IO;
   * a file read on a BLK_FEAT_SYNCHRONOUS block device). `n` > 1 (a read law's
   * readahead window) adds the pages' transfer time as SUBMIT does.
   */
  CPU_LAW = 2,
  /** Sleep off-CPU (user-space think time; not a kernel step). */
  SLEEP = 3,
  /** The current task has queued itself on `res` and sleeps until woken. */
  BLOCK = 4,
  /** Submit asynchronous work (bio) completing after a law-drawn latency. */
  SUBMIT = 5,
  /**
   * Run a nested path on the task's own stack and resume with its return
   * value: `const r = yield call(path)` is `const r = yield* path` without the
   * per-resume cost of generator delegation (used by workload drivers).
   */
  CALL = 6,
}


/** Latency laws the scenario defines (see `io` in the scenario format). */
export const enum LawName { read = 0, swap = 1, writeback = 2, folio_lock_hold = 3 }
export const LAW_NAMES = ['read', 'swap', 'writeback', 'folio_lock_hold'] as const;

/** Something a task can sleep on; used by metrics and blocking-chain analysis. */
export interface WaitResource {
  /** Lock class for reports: 'mmap_lock' | 'vma_lock' | 'folio' | 'io'. */
  readonly lockClass: ResourceClass;
  /** Human-readable name, kernel style: `mm->mmap_lock`, `vma[12]`, `folio[3:17]`. */
  readonly label: string;
  /** Tasks this waiter is waiting behind (holders, or writers queued ahead). */
  blockers(waiter: Task, out: Task[]): void;
  /**
   * A fatal signal ends `waiter`'s killable sleep before it was handed the
   * resource: take it off the wait queue (waking whoever that lets go
   * first). Returns false when it was not queued. See signal.ts.
   */
  cancel_wait?(waiter: Task): boolean;
}
export type ResourceClass = 'mmap_lock' | 'vma_lock' | 'folio' | 'io';

export interface PointEffect { readonly k: EffectKind.POINT; readonly what: string }
export interface CpuEffect {
  readonly k: EffectKind.CPU;
  readonly cost: Cost;
  readonly n: number;
  /** A second cost charged in the same step (once), or -1: see `cpu_then`. */
  readonly then: Cost | -1;
  /**
   * Further costs charged in the same step, as pairs [cost, n, cost, n, ...],
   * or null: see `cpu_plus`. The simulator adds them; the checker's label
   * (and so its state space) is that of `cost` and `then` alone.
   */
  readonly extra: readonly number[] | null;
}
export interface CpuLawEffect {
  readonly k: EffectKind.CPU_LAW;
  readonly law: LawName;
  /** Request size in 4 KiB pages, as SubmitEffect.n (1 but for a readahead window read synchronously). */
  readonly n: number;
}
export interface SleepEffect { readonly k: EffectKind.SLEEP; readonly ns: number }
export interface BlockEffect {
  readonly k: EffectKind.BLOCK;
  readonly res: WaitResource;
  /** What the task does while blocked, kernel style: `down_read`, `vma_start_write`. */
  readonly what: string;
  /** TASK_KILLABLE: a fatal signal ends the sleep (signal.ts `killable`). */
  readonly killable: boolean;
}
export interface SubmitEffect {
  readonly k: EffectKind.SUBMIT;
  readonly law: LawName;
  readonly folio: Folio;
  /** Completion handler (runs in "interrupt" context: no current task). */
  readonly end_io: (folio: Folio) => void;
  /** The task that submitted the work (the I/O's owner for blocking chains). */
  readonly owner: Task | null;
  /**
   * Request size in 4 KiB pages (a readahead window is one request): the
   * simulator adds the transfer time of the pages beyond the first when the
   * scenario gives the device's read bandwidth (io.read_bandwidth).
   */
  readonly n: number;
}
export interface CallEffect { readonly k: EffectKind.CALL; readonly path: KPath<unknown> }
export type Effect = PointEffect | CpuEffect | CpuLawEffect | SleepEffect | BlockEffect | SubmitEffect | CallEffect;

/** A kernel path: a generator yielding effects and returning T. */
export type KPath<T = void> = Generator<Effect, T, unknown>;

/**
 * Every effect is an `EffectRecord`: one object shape for all kinds, so the
 * engines' `e.k` loads and field reads stay monomorphic (V8 inline caches go
 * megamorphic, and slow, past four shapes). The typed views above are what
 * paths and engines see.
 */
class EffectRecord {
  what = '';
  cost: Cost = Cost.handle_mm_fault;
  n = 0;
  then: Cost | -1 = -1;
  extra: readonly number[] | null = null;
  law: LawName = LawName.read;
  ns = 0;
  res: WaitResource | null = null;
  killable = false;
  folio: Folio | null = null;
  end_io: ((folio: Folio) => void) | null = null;
  owner: Task | null = null;
  path: KPath<unknown> | null = null;
  /** The TASK_KILLABLE form of this BLOCK effect, made on first use (signal.ts). */
  killableForm: EffectRecord | null = null;
  constructor(public k: EffectKind) {}
}
// `ns` holds times past 2^31 ns and fractions: a double from the first EffectRecord on (shapes.ts).
doubleFields(new EffectRecord(EffectKind.POINT), ['ns']);

export function point(what: string): PointEffect {
  const e = new EffectRecord(EffectKind.POINT);
  e.what = what;
  return e as PointEffect;
}
const cpuOnce: CpuEffect[] = [];
/** CPU for `n` units of `cost` (n = 1 is preallocated). */
export function cpu(cost: Cost, n = 1): CpuEffect {
  if (n === 1) {
    let e = cpuOnce[cost];
    if (e === undefined) cpuOnce[cost] = e = cpuN(cost, 1);
    return e;
  }
  return cpuN(cost, n);
}
const cpuThen = new Map<number, CpuEffect>();
/**
 * One CPU step charging `first`, then `then`: for work a path does back to
 * back with no point between where the kernel could sleep or schedule (two
 * `cpu` yields would be two steps, and on a busy CPU set the task would give
 * up its CPU between them). Preallocated per pair.
 */
export function cpu_then(first: Cost, then: Cost): CpuEffect {
  const key = first * 64 + then;
  let e = cpuThen.get(key);
  if (e === undefined) {
    const r = new EffectRecord(EffectKind.CPU);
    r.cost = first;
    r.n = 1;
    r.then = then;
    cpuThen.set(key, (e = r as CpuEffect));
  }
  return e;
}
/**
 * `cpu(cost, n)` plus further costs in the same step (`extra`: pairs [cost,
 * n, ...], each n >= 0). For costs a cost profile adds to an existing step
 * (fork's per-kind PTE copy, a TLB shoot-down): the step stays one step, so
 * the checker's interleavings are unchanged. Returns the plain `cpu(cost, n)`
 * when every extra count is 0.
 */
export function cpu_plus(cost: Cost, n: number, extra: readonly number[]): CpuEffect {
  let any = false;
  for (let i = 1; i < extra.length; i += 2) if (extra[i]! > 0) any = true;
  if (!any) return cpu(cost, n);
  const e = new EffectRecord(EffectKind.CPU);
  e.cost = cost;
  e.n = n;
  e.extra = extra;
  return e as CpuEffect;
}
/**
 * A CPU step of `cost` plus `extra` costs (as in `cpu_plus`) whose counts
 * its owner rewrites before each yield, for a step made once per item of a
 * loop (dup_mmap's per-VMA copy): one effect per loop, not per item. Both
 * engines read a CPU effect as soon as it is yielded (the checker keeps only
 * its label, of `cost`), so one object can serve every iteration.
 */
export class CpuStep {
  readonly effect: CpuEffect;
  private readonly rec: EffectRecord;
  private readonly counts: number[];
  constructor(cost: Cost, extra: readonly Cost[]) {
    this.rec = new EffectRecord(EffectKind.CPU);
    this.rec.cost = cost;
    this.counts = [];
    if (extra.length > 4) throw new RangeError('CpuStep: at most four extra costs');
    for (const c of extra) this.counts.push(c, 0);
    this.effect = this.rec as CpuEffect;
  }
  /**
   * The effect for `n` units of the cost and counts c0.. of the extra costs
   * (in the constructor's order, at most four). Charges what `cpu_plus(cost,
   * n, [extra[0], c0, ...])` charges: an extra with count 0 adds 0.
   */
  set(n: number, c0: number, c1 = 0, c2 = 0, c3 = 0): CpuEffect {
    const r = this.rec, a = this.counts;
    for (let i = 1; i < a.length; i += 2) a[i] = i === 1 ? c0 : i === 3 ? c1 : i === 5 ? c2 : c3;
    r.n = n;
    r.extra = c0 > 0 || c1 > 0 || c2 > 0 || c3 > 0 ? a : null;
    return this.effect;
  }
}
function cpuN(cost: Cost, n: number): CpuEffect {
  const e = new EffectRecord(EffectKind.CPU);
  e.cost = cost;
  e.n = n;
  return e as CpuEffect;
}
export function cpuLaw(law: LawName, n = 1): CpuLawEffect {
  const e = new EffectRecord(EffectKind.CPU_LAW);
  e.law = law;
  e.n = n;
  return e as CpuLawEffect;
}
export function sleep(ns: number): SleepEffect {
  const e = new EffectRecord(EffectKind.SLEEP);
  e.ns = ns;
  return e as SleepEffect;
}
/** A SLEEP effect whose `ns` its owner rewrites before each yield (engines read it at once). */
export function mutableSleep(): { readonly k: EffectKind.SLEEP; ns: number } {
  return new EffectRecord(EffectKind.SLEEP) as { readonly k: EffectKind.SLEEP; ns: number };
}
/** A CALL effect whose `path` its owner sets before each yield (next_effect pushes it at once). */
export function mutableCall(): { readonly k: EffectKind.CALL; path: KPath<unknown> } {
  return new EffectRecord(EffectKind.CALL) as { readonly k: EffectKind.CALL; path: KPath<unknown> };
}
/**
 * A TASK_KILLABLE sleep described by `what` whose `res` its owner sets before
 * each yield: both engines read a BLOCK effect's fields as soon as it is
 * yielded (the simulator's blockedOn / blockedWhat / blockedKillable, the
 * checker's pending label), so one record serves every resource of a kind.
 */
export function mutableKillableBlock(what: string): { readonly k: EffectKind.BLOCK; res: WaitResource; readonly what: string; readonly killable: boolean } {
  const e = new EffectRecord(EffectKind.BLOCK);
  e.what = what;
  e.killable = true;
  return e as unknown as { readonly k: EffectKind.BLOCK; res: WaitResource; readonly what: string; readonly killable: boolean };
}
export function call(path: KPath<unknown>): CallEffect {
  const e = new EffectRecord(EffectKind.CALL);
  e.path = path;
  return e as CallEffect;
}
export function block(res: WaitResource, what: string): BlockEffect {
  const e = new EffectRecord(EffectKind.BLOCK);
  e.res = res;
  e.what = what;
  return e as BlockEffect;
}
/** A TASK_KILLABLE sleep on `res` (see signal.ts), made directly: killable(block(res, what)) without the plain form. */
export function killableBlock(res: WaitResource, what: string): BlockEffect {
  const e = new EffectRecord(EffectKind.BLOCK);
  e.res = res;
  e.what = what;
  e.killable = true;
  return e as BlockEffect;
}
/**
 * The TASK_KILLABLE form of a sleep (see signal.ts): the same resource and
 * description, made once per BLOCK effect.
 */
export function killable(b: BlockEffect): BlockEffect {
  const r = b as unknown as EffectRecord;
  let k = r.killableForm;
  if (k === null) {
    k = r.killableForm = new EffectRecord(EffectKind.BLOCK);
    k.res = r.res;
    k.what = r.what;
    k.killable = true;
  }
  return k as BlockEffect;
}
/**
 * A SUBMIT effect whose fields its owner rewrites before each yield (`submit`'s
 * `into`): the simulator reads a SUBMIT's fields as soon as it is yielded (the
 * completion is scheduled with `end_io` and `folio`, not the record), so one
 * record per thread serves every read it submits (filemap_stages.ts). Never
 * handed to the checker, whose I/O pseudo-task keeps its own.
 */
export type MutableSubmit = { -readonly [K in keyof SubmitEffect]: SubmitEffect[K] };
export function mutableSubmit(): MutableSubmit {
  return new EffectRecord(EffectKind.SUBMIT) as unknown as MutableSubmit;
}
/** Submit `nr` pages of I/O on `folio`, completed by `end_io`: a new record, or `into` rewritten (mutableSubmit). */
export function submit(law: LawName, folio: Folio, end_io: (folio: Folio) => void, owner: Task | null, nr = 1, into: MutableSubmit | null = null): SubmitEffect {
  const e = into !== null ? into as unknown as EffectRecord : new EffectRecord(EffectKind.SUBMIT);
  e.n = nr;
  e.law = law;
  e.folio = folio;
  e.end_io = end_io;
  e.owner = owner;
  return e as SubmitEffect;
}

/**
 * A task (kernel `task_struct`): one simulated thread.
 * Engines own scheduling fields; the model only reads `comm`, `prio` and `id`.
 */
export interface Task {
  readonly id: number;
  /** Thread name as in /proc/PID/task/TID/comm. */
  readonly comm: string;
  /** Priority rank: 0 is the most important (USER_INTERACTIVE). */
  readonly prio: number;
  /** Model-only: SIGKILL is pending (see sched.ts `fatal_signal_pending`). */
  sigkill?: boolean;
  /** current->memcg_nr_pages_over_high: pages charged over memory.high, paid on return to user. */
  memcg_nr_pages_over_high?: number;
  /**
   * Model-only: folios in this task's lru_add batch (mm/swap.c
   * cpu_fbatches.lru_add, per CPU in the kernel; per task here, see
   * src/model/swap.ts). Counted only when a cost profile sets
   * Cost.folio_batch_move_lru.
   */
  lru_add_nr?: number;
}
