/**
 * The reference lock model (the "Speed" model of the simulator-core issue; the
 * anchors in /work/shared/anchors implement it in SimPy and in hand-written JS)
 * expressed as an ordinary resolved faultline `Scenario`, run by the real
 * engine (`simulate`) with the real kernel paths and the `mainline` fault
 * strategy. Nothing here is a special path: the mapping is all settings.
 *
 *   reference rule                                  faultline setting
 *   ----------------------------------------------  ---------------------------------------------
 *   T worker threads + 1 writer, unlimited CPUs     threads worker:1..T + writer, cpus: null
 *   mmap_lock writer-preferring, one FIFO;          RwSemaphore (R1/R3/R4/R5),
 *   writer release admits readers ahead of the      mmap_lock.reader_wake: 'prefix'
 *   next queued writer
 *   V VMAs, per-VMA lock (readers try-lock only)    V file VMAs (group 'file'); lock_vma_under_rcu
 *   worker think ~ Exp(20 us)                       thread think: exponential(mean 20 us)
 *   VMA uniform                                     one VMA group of V slots (uniform pick)
 *   fault: VMA try-lock else mmap_lock read         mainline do_user_addr_fault (per_vma_lock)
 *   p = 0.9 minor: hold 1 us                        states {cached: 0.9}; costs.handle_mm_fault = 1 us
 *   p = 0.1 major: hold 1, release, I/O             states {absent: 0.1}; filemap_fault miss drops
 *     lognormal(median 200 us, sigma 1)               the lock (maybe_unlock_mmap_for_io) and waits
 *                                                     for io.read = lognormal(200 us, 1)
 *   then mmap_lock read, hold 2, release            VM_FAULT_RETRY -> lock_mmap: one CPU step of
 *                                                     fault_retry (1 us) + handle_mm_fault (1 us)
 *                                                     under mmap_lock
 *   writer think ~ Exp(500 us)                      writer think: exponential(mean 500 us)
 *   mmap_lock write, write-lock one VMA (wait for   op mprotect (pages 1) on group 'file':
 *   its readers), hold 5, release both                mmap_write_lock, vma_start_write,
 *                                                     costs.mprotect_fixup = 5 us, change_pte = 0,
 *                                                     mmap_write_unlock (ends every VMA write lock)
 *
 * Every other cost is 0. Scenario times are integer nanoseconds (the resolved
 * scenario's unit); options here are in microseconds like the anchors' flags.
 */
import { COST_NAMES, VmEvent, type CostName } from '../src/model/index.js';
import type { OpName, Scenario, ThreadSpec } from '../src/scenario/types.js';
import { NullObserver, simulate, type SimTaskInfo } from '../src/sim/index.js';
import { faultStrategy, forkStrategy } from '../src/strategies/index.js';
import { CompactHdr } from '../src/metrics/hdr.js';

export interface ReferenceOptions {
  /** Worker threads (the anchors' -T). Default 16. */
  threads?: number;
  /** VMAs (the anchors' -V). Default 64. */
  vmas?: number;
  /** Simulated duration in microseconds (the anchors' -D). Default 1e6. */
  durationUs?: number;
  /** Run seed. Default 1. */
  seed?: number;
  /**
   * Pages per VMA. Large, so that two concurrent faults almost never meet the
   * same page (the reference model has no page-level sharing). Every page a
   * fault touches keeps a Folio in the VMA's page cache, so memory grows with
   * min(faults, vmas * vmaPages). Default 1 << 20.
   */
  vmaPages?: number;
  /** Reference parameters (all microseconds); defaults are the anchors'. */
  thinkMeanUs?: number;
  pMajor?: number;
  holdFirstUs?: number;
  holdRetryUs?: number;
  ioMedianUs?: number;
  ioSigma?: number;
  writerThinkMeanUs?: number;
  writerHoldUs?: number;
  /** Omit the writer thread (the anchors' --no-writer). */
  noWriter?: boolean;
}

export const REFERENCE_DEFAULTS = {
  threads: 16, vmas: 64, durationUs: 1e6, seed: 1, vmaPages: 1 << 20,
  thinkMeanUs: 20, pMajor: 0.1, holdFirstUs: 1, holdRetryUs: 2, ioMedianUs: 200, ioSigma: 1,
  writerThinkMeanUs: 500, writerHoldUs: 5, noWriter: false,
} as const;

const US = 1000; // ns per microsecond

/** The reference model as a resolved faultline scenario. */
export function referenceScenario(opts: ReferenceOptions = {}): Scenario {
  const o = { ...REFERENCE_DEFAULTS, ...opts };
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new Error(`threads must be a positive integer (got ${o.threads})`);
  if (!Number.isInteger(o.vmas) || o.vmas < 1) throw new Error(`vmas must be a positive integer (got ${o.vmas})`);
  if (!Number.isInteger(o.vmaPages) || o.vmaPages < 1) throw new Error(`vmaPages must be a positive integer (got ${o.vmaPages})`);
  if (!(o.durationUs > 0)) throw new Error(`duration must be > 0 us (got ${o.durationUs})`);
  if (!(o.pMajor >= 0 && o.pMajor <= 1)) throw new Error(`pMajor must be in [0, 1] (got ${o.pMajor})`);
  if (o.holdRetryUs < o.holdFirstUs) {
    throw new Error(`holdRetryUs (${o.holdRetryUs}) < holdFirstUs (${o.holdFirstUs}): the retry costs fault_retry + handle_mm_fault`);
  }

  const costs = Object.fromEntries(COST_NAMES.map((n) => [n, 0])) as Record<CostName, number>;
  costs.handle_mm_fault = Math.round(o.holdFirstUs * US);
  // The retry under mmap_lock charges fault_retry and handle_mm_fault again, in one CPU step.
  costs.fault_retry = Math.round((o.holdRetryUs - o.holdFirstUs) * US);
  costs.mprotect_fixup = Math.round(o.writerHoldUs * US);
  costs.change_pte = 0;

  const states: Array<['cached' | 'absent', number]> = [];
  if (o.pMajor < 1) states.push(['cached', 1 - o.pMajor]);
  if (o.pMajor > 0) states.push(['absent', o.pMajor]);

  const threads: ThreadSpec[] = [];
  for (let k = 1; k <= o.threads; k++) {
    threads.push({
      name: `worker:${k}`, group: 'worker', class: 'DEFAULT', start: 0,
      think: { law: 'exponential', mean: o.thinkMeanUs * US },
      ops: [{ op: 'fault', weight: 1, repeat: 1, gap: null, vma: 'file', access: 'read', states }],
    });
  }
  if (!o.noWriter) {
    threads.push({
      name: 'writer', group: 'writer', class: 'DEFAULT', start: 0,
      think: { law: 'exponential', mean: o.writerThinkMeanUs * US },
      ops: [{ op: 'mprotect', weight: 1, repeat: 1, gap: null, vma: 'file', pages: 1 }],
    });
  }

  return {
    name: 'reference-model',
    description: 'Reference lock model (anchors: simpy/lockmodel.py, naive-js/lockmodel.mjs) on the real engine and kernel paths',
    source: '<bench/reference-scenario.ts>',
    cpus: null,
    preempt: false,
    duration: Math.round(o.durationUs * US),
    warmup: 0,
    seed: o.seed,
    mmap_lock: { reader_wake: 'prefix' },
    costs,
    io: {
      read: { law: 'lognormal', median: o.ioMedianUs * US, sigma: o.ioSigma },
      // Unused by this model (no anonymous VMAs, no locked/writeback states).
      swap: { law: 'constant', value: 0 },
      read_synchronous: false,
      swap_synchronous: false,
      writeback: { law: 'constant', value: 0 },
      folio_lock_hold: { law: 'constant', value: 0 },
    },
    vmas: [{
      name: 'file', count: o.vmas, kind: 'file', shared: false, write: false, maywrite: true, exec: false,
      anon_vma: false, special: [], map_pages: true, dontcopy: false,
      pages: Array<number>(o.vmas).fill(o.vmaPages), resident: 0,
    }],
    threads,
  };
}

// ---------------------------------------------------------------- measurement

/**
 * Bench-local observer: fault latency (opBegin -> opEnd of 'fault') into an
 * HDR histogram (ns, 3 significant digits: src/metrics/hdr.ts's CompactHdr,
 * hdr-histogram-js's layout and percentile rule) plus an exact sum and max; major
 * faults (a PGMAJFAULT counted during the fault) counted at completion like the
 * anchors; VMA try-lock fallbacks (VMA_LOCK_ABORT); and the writer's
 * acquisitions with its mmap_lock and VMA-lock waits, counted when it owns both
 * locks (its first CPU step after mmap_write_lock), as the anchors count them.
 */
export class ReferenceObserver extends NullObserver {
  readonly hist = new CompactHdr();
  faults = 0;
  majorFaults = 0;
  fallbacks = 0;
  latencySumNs = 0;
  latencyMaxNs = 0;
  writerAcquisitions = 0;
  writerMmapWaitNs = 0;
  writerVmaWaitNs = 0;
  private start: Float64Array;
  private major: Uint8Array;
  private wT0: Float64Array;
  private wT1: Float64Array;
  private wPending: Uint8Array;

  constructor(capacity = 64) {
    super();
    this.start = new Float64Array(capacity);
    this.major = new Uint8Array(capacity);
    this.wT0 = new Float64Array(capacity);
    this.wT1 = new Float64Array(capacity);
    this.wPending = new Uint8Array(capacity);
  }

  private ensure(id: number): void {
    if (id < this.start.length) return;
    const n = Math.max(id + 1, this.start.length * 2);
    const g64 = (a: Float64Array) => { const b = new Float64Array(n); b.set(a); return b; };
    const g8 = (a: Uint8Array) => { const b = new Uint8Array(n); b.set(a); return b; };
    this.start = g64(this.start); this.wT0 = g64(this.wT0); this.wT1 = g64(this.wT1);
    this.major = g8(this.major); this.wPending = g8(this.wPending);
  }

  override opBegin(t: number, task: SimTaskInfo, op: OpName): void {
    this.ensure(task.id);
    if (op === 'fault') {
      this.start[task.id] = t;
      this.major[task.id] = 0;
    } else if (op === 'mprotect') {
      this.wT0[task.id] = t;
      this.wPending[task.id] = 0;
    }
  }

  /** The latency histogram, every fault recorded (kept for callers that flushed pending runs before). */
  flush(): CompactHdr {
    return this.hist;
  }

  override opEnd(t: number, task: SimTaskInfo, op: OpName, _ret: number): void {
    if (op === 'fault') {
      const lat = t - this.start[task.id]!;
      this.hist.record(lat);
      this.latencySumNs += lat;
      if (lat > this.latencyMaxNs) this.latencyMaxNs = lat;
      this.faults++;
      if (this.major[task.id] === 1) this.majorFaults++;
    } else if (op === 'mprotect' && this.wPending[task.id] === 1) {
      this.writerOwnsBoth(t, task.id); // zero hold: no CPU step was taken
    }
  }

  override vmEvent(_t: number, task: SimTaskInfo | null, ev: VmEvent): void {
    if (task === null) return;
    if (ev === VmEvent.PGMAJFAULT) this.major[task.id] = 1;
    else if (ev === VmEvent.VMA_LOCK_ABORT) this.fallbacks++;
  }

  override mmapLockAcquired(t: number, task: SimTaskInfo, write: boolean, success: boolean): void {
    if (write && success) {
      this.ensure(task.id);
      this.wT1[task.id] = t;
      this.wPending[task.id] = 1;
    }
  }

  override cpuStart(t: number, task: SimTaskInfo): void {
    if (this.wPending[task.id] === 1) this.writerOwnsBoth(t, task.id);
  }

  private writerOwnsBoth(t: number, id: number): void {
    this.wPending[id] = 0;
    this.writerAcquisitions++;
    this.writerMmapWaitNs += this.wT1[id]! - this.wT0[id]!;
    this.writerVmaWaitNs += t - this.wT1[id]!;
  }
}

/** What one faultline run of the reference model reports (times in microseconds). */
export interface ReferenceResult {
  engine: 'faultline';
  strategy: string;
  fork_strategy: string;
  node: string;
  threads: number;
  vmas: number;
  vma_pages: number;
  /** Share of faults that meet an evicted page (the anchors' --p-major). */
  p_major: number;
  duration_us: number;
  seed: number;
  faults_completed: number;
  major_faults_completed: number;
  vma_trylock_fallbacks: number;
  latency_mean_us: number | null;
  latency_p50_us: number | null;
  latency_p99_us: number | null;
  latency_max_us: number | null;
  writer_acquisitions: number;
  writer_wait_mean_us: number | null;
  writer_mmap_wait_mean_us: number | null;
  writer_vma_wait_mean_us: number | null;
  events_processed: number;
  wall_s: number;
  faults_per_wall_s: number;
  events_per_wall_s: number;
  /** CPU time of the process (every thread: JIT and GC helpers too) around simulate(), as the anchors' cpu_s. */
  cpu_s: number;
  faults_per_cpu_s: number;
}

/**
 * Run the reference scenario with `simulate()` (mainline + fork-lock-all).
 * Wall time is measured around simulate(); its setup (64 VMAs, T+1 tasks) is
 * a fraction of a millisecond next to the run.
 */
export function runReference(opts: ReferenceOptions = {}): ReferenceResult {
  const sc = referenceScenario(opts);
  const obs = new ReferenceObserver(sc.threads.length + 1);
  const fault = faultStrategy('mainline');
  const fork = forkStrategy('fork-lock-all');
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const sim = simulate({ scenario: sc, fault, fork, seed: sc.seed, observer: obs });
  const cu = process.cpuUsage(c0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = (cu.user + cu.system) / 1e6;
  const n = obs.faults;
  const [p50, p99] = obs.flush().valuesAt([50, 99]) as [number, number];
  const wn = obs.writerAcquisitions;
  const usOf = (ns: number) => ns / 1000;
  return {
    engine: 'faultline',
    strategy: fault.name,
    fork_strategy: fork.name,
    node: process.version,
    threads: sc.threads.length - (opts.noWriter ? 0 : 1),
    vmas: sc.vmas[0]!.count,
    vma_pages: sc.vmas[0]!.pages[0]!,
    p_major: opts.pMajor ?? REFERENCE_DEFAULTS.pMajor,
    duration_us: sc.duration / 1000,
    seed: sc.seed,
    faults_completed: n,
    major_faults_completed: obs.majorFaults,
    vma_trylock_fallbacks: obs.fallbacks,
    latency_mean_us: n ? usOf(obs.latencySumNs / n) : null,
    latency_p50_us: n ? usOf(p50) : null,
    latency_p99_us: n ? usOf(p99) : null,
    latency_max_us: n ? usOf(obs.latencyMaxNs) : null,
    writer_acquisitions: wn,
    writer_wait_mean_us: wn ? usOf((obs.writerMmapWaitNs + obs.writerVmaWaitNs) / wn) : null,
    writer_mmap_wait_mean_us: wn ? usOf(obs.writerMmapWaitNs / wn) : null,
    writer_vma_wait_mean_us: wn ? usOf(obs.writerVmaWaitNs / wn) : null,
    events_processed: sim.events,
    wall_s: wall,
    faults_per_wall_s: n / wall,
    events_per_wall_s: sim.events / wall,
    cpu_s: cpu,
    faults_per_cpu_s: n / cpu,
  };
}
