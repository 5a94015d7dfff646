/**
 * A real run's raw outputs -> the simulator's `RunMetrics` shape, plus what
 * only a real run has (`RealExtras`). Pure; unit-tested on synthetic input.
 *
 * Figures the host cannot observe are listed in `unavailable` (figure-name
 * prefixes of src/report/flatten.ts) and shown as `-`, never as 0.
 * Definitions and their mapping to the simulator's: docs/calibration.md.
 */
import { Distribution, OP_NAMES, type DurationStats, type LatencyStats, type OpStats, type RunMetrics } from '../metrics/index.js';
import { VM_EVENT_NAMES } from '../model/index.js';
import { PRIORITY_CLASSES, type Law, type OpName, type PriorityClass } from '../scenario/types.js';
import type { MmapLockAnalysis } from './trace.js';
import { OP_BY_CODE, STATE_BY_CODE, type RealOpName, type RealState, type Translation } from './translate.js';
import { MEMCG_EVENT_NAMES, MEMCG_STAT_NAMES, MEMCG_TO_VM_EVENT } from './memcg.js';

/** Record flags (native/loadgen.c `F_*`). */
export const F_SEGV = 1;
export const F_PREP = 2;
export const F_ERROR = 4;
export const F_UNFINISHED = 8;
/** fork: the child ran on the parent's CPU before fork() returned (its start time and CPU, written at its first instruction). */
export const F_CHILD_FIRST = 16;

export interface OpRecord {
  thread: number;
  op: RealOpName;
  region: number;
  page: number;
  state: RealState;
  /** ns from the run's start (t0). */
  start: number;
  end: number;
  minflt: number;
  majflt: number;
  flags: number;
  /** Untimed preparation of the page before a fault, ns from t0; -1 when none. */
  prepStart: number;
  prepEnd: number;
}

export interface LoadgenResults {
  /** CLOCK_MONOTONIC ns of the run's start. */
  t0: number;
  duration: number;
  /** Scenario thread index -> kernel thread id. */
  tids: Map<number, number>;
  records: OpRecord[];
}

export interface FuseRead {
  /** CLOCK_MONOTONIC ns. */
  start: number;
  end: number;
  tid: number;
  file: number;
  offset: number;
  size: number;
  delay: number;
}

export function parseLoadgenResults(text: string): LoadgenResults {
  const lines = text.split('\n');
  if (!lines[0]?.startsWith('faultline-loadgen-results')) throw new Error('not a faultline-loadgen results file');
  const out: LoadgenResults = { t0: 0, duration: 0, tids: new Map(), records: [] };
  for (const line of lines) {
    const f = line.split(' ');
    switch (f[0]) {
      case 't0': out.t0 = Number(f[1]); break;
      case 'duration': out.duration = Number(f[1]); break;
      case 'tid': out.tids.set(Number(f[1]), Number(f[2])); break;
      case 'r': {
        const n = f.slice(1).map(Number);
        out.records.push({
          thread: n[0]!, op: OP_BY_CODE[n[1]!]!, region: n[2]!, page: n[3]!, state: STATE_BY_CODE[n[4]!]!,
          start: n[5]!, end: n[6]!, minflt: n[7]!, majflt: n[8]!, flags: n[9]!, prepStart: n[10]!, prepEnd: n[11]!,
        });
        break;
      }
      default: break;
    }
  }
  return out;
}

export function parseFuseLog(text: string): FuseRead[] {
  const out: FuseRead[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] !== 'read') continue;
    const n = f.slice(1).map(Number);
    out.push({ start: n[0]!, end: n[1]!, tid: n[2]!, file: n[3]!, offset: n[4]!, size: n[5]!, delay: n[6]! });
  }
  return out;
}

export interface StateFidelity {
  /** Faults run in the window with this requested state. */
  run: number;
  /** ... that met the state: a major fault for absent/swapped, a minor one for cached/zero. */
  asIntended: number;
  /** ... whose page had to be prepared in line (no page of the pool was in that state). */
  prepared: number;
  /** Latency of the completed ones. */
  latency: LatencyStats | null;
}

export interface RealExtras {
  kernel: string;
  perVmaLock: boolean | null;
  perVmaLockStats: boolean | null;
  cpus: number;
  /** Host load average (1, 5, 15 min) right before and right after the run. */
  load: { before: number[]; after: number[]; hostCpus: number };
  /** Set when the run was allowed on a loaded host (`--allow-loaded`). */
  loadWarning: string | null;
  /** File regions on block devices (`--io zram|loop`): the device's measured read law, given to the model. Null with FUSE. */
  device: { io: 'zram' | 'loop'; readLaw: Law; read: LatencyStats } | null;
  /** Observation sources and whether each was available. */
  sources: Record<string, boolean>;
  states: Partial<Record<RealState, StateFidelity>>;
  /**
   * Fork latency by the child's placement (F_CHILD_FIRST): `child_first`, the
   * child ran on the parent's CPU before fork() returned; `parent_first`, not
   * (it ran after, or on another CPU). Null without forks.
   */
  forkModes: { child_first: LatencyStats | null; parent_first: LatencyStats | null } | null;
  /** Touches that raised no fault at all (the page was mapped meanwhile, e.g. by fault-around); left out of the fault figures. */
  touchesWithoutFault: number;
  /** Syscalls that failed, per op. */
  errors: Partial<Record<RealOpName, number>>;
  prep: { count: number; latency: LatencyStats | null };
  fuse: {
    /** Delayed read requests from the scenario's threads in the window. */
    reads: number;
    /** Delay the daemon slept per read. */
    delay: LatencyStats | null;
    /** Fault latency minus the FUSE delay of its read (absent faults): kernel + FUSE round trip + retry. */
    faultOverhead: LatencyStats | null;
  } | null;
  /** Faults that took mmap_lock at least once (fell back from the per-VMA lock or retried). */
  faultsViaMmapLock: number | null;
  trace: { events: number; lost: number; contentionEvents: boolean } | null;
  /** Kernel counter deltas over the run (setup excluded): whole system (/proc/vmstat) and the run's cgroup. */
  counters: { vmstat: Record<string, number>; memcg: Record<string, number> | null };
  /** The scenario's memory: block as applied to the run's cgroup (files written, the generator's own bytes added), or null. */
  memcg: { version: 1 | 2; path: string; files: Array<[string, string]>; generatorBytes: number } | null;
  notes: string[];
}

export interface RealRun {
  metrics: RunMetrics;
  /** Figure-name prefixes (flatten.ts) that the host could not observe. */
  unavailable: string[];
  extras: RealExtras;
}

export interface BuildInput {
  translation: Translation;
  results: LoadgenResults;
  fuse: FuseRead[] | null;
  trace: { analysis: MmapLockAnalysis; events: number; lost: number; contentionEvents: boolean } | null;
  counters: RealExtras['counters'];
  host: { kernel: string; perVmaLock: boolean | null; perVmaLockStats: boolean | null };
  load: { before: number[]; after: number[]; hostCpus: number };
  loadWarning: string | null;
  device?: RealExtras['device'];
  memcg?: RealExtras['memcg'];
  /** Label of the fork strategy column (the one the kernel implements). */
  fork: string;
  notes: string[];
}

const ALWAYS_UNAVAILABLE = [
  'vma_lock.writer_wait', 'time.', 'inversion.',
  'vm_events.VMA_LOCK_ABORT', 'vm_events.VMA_LOCK_RETRY', 'vm_events.VMA_LOCK_MISS',
  'vm_events.FAULT_RETRY', 'vm_events.FAULT_RETRY_VMA', 'vm_events.FAULT_HOLD_WAIT',
  'vm_events.ANON_VMA_PREPARE', 'vm_events.ANON_VMA_TRYLOCK_FAIL',
];
const TRACE_FIGURES = ['mmap_lock.', 'vm_events.FAULT_MMAP_PATH', 'vm_events.VMA_LOCK_SUCCESS'];

function durations(d: Distribution): DurationStats {
  return d.durations();
}

/** Sorted intervals per tid with a point lookup. */
class IntervalIndex {
  private readonly byTid = new Map<number, Array<[number, number]>>();

  add(tid: number, start: number, end: number): void {
    let l = this.byTid.get(tid);
    if (l === undefined) this.byTid.set(tid, l = []);
    l.push([start, end]);
  }

  seal(): void {
    for (const l of this.byTid.values()) l.sort((a, b) => a[0] - b[0]);
  }

  /** Index of the interval containing ts (with `slack` ns either side), or -1. */
  find(tid: number, ts: number, slack = 0): number {
    const l = this.byTid.get(tid);
    if (l === undefined) return -1;
    let lo = 0, hi = l.length - 1, best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (l[mid]![0] - slack <= ts) { best = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (best >= 0 && ts <= l[best]![1] + slack) return best;
    return -1;
  }
}

export function buildRealRun(inp: BuildInput): RealRun {
  const { translation: tr, results } = inp;
  const warmup = tr.warmup, duration = tr.duration, t0 = results.t0;
  const classOf = (thread: number): PriorityClass => tr.threads[thread]!.class;
  const tidClass = new Map<number, PriorityClass>();
  for (const [k, tid] of results.tids) tidClass.set(tid, classOf(k));

  const byClass = new Map<PriorityClass, Map<OpName, Distribution>>();
  const all = new Map<OpName, Distribution>();
  const unfinishedByClass = new Map<PriorityClass, Map<OpName, number>>();
  const unfinishedAll = new Map<OpName, number>();
  const dist = (m: Map<OpName, Distribution>, op: OpName) => {
    let d = m.get(op);
    if (d === undefined) m.set(op, d = new Distribution());
    return d;
  };
  const states: Partial<Record<RealState, StateFidelity>> = {};
  const errors: Partial<Record<RealOpName, number>> = {};
  const prep = new Distribution();
  const prepIndex = new IntervalIndex();
  const faultIndex = new IntervalIndex();
  /** Every timed op (and its preparation): lock events outside all of them are the generator's own. */
  const opIndex = new IntervalIndex();
  const faultRecs: OpRecord[] = [];
  const stateLatency = new Map<RealState, Distribution>();
  const childFirst = new Distribution(), parentFirst = new Distribution();
  let touchesWithoutFault = 0, pgfault = 0, pgmaj = 0, ioSwap = 0, segv = 0;

  for (const r of results.records) {
    const tid = results.tids.get(r.thread) ?? -1;
    if (r.prepStart >= 0) prepIndex.add(tid, t0 + r.prepStart, t0 + r.prepEnd);
    opIndex.add(tid, t0 + r.start, t0 + r.end);
    if (r.start < warmup) continue;
    if (r.flags & F_ERROR) errors[r.op] = (errors[r.op] ?? 0) + 1;
    const cls = classOf(r.thread);
    if (r.op === 'fault') {
      if (r.prepStart >= 0) prep.record(r.prepEnd - r.prepStart);
      const faulted = r.minflt + r.majflt > 0;
      if (!faulted && !(r.flags & F_SEGV)) {
        touchesWithoutFault++;
        continue;
      }
      const s = (states[r.state] ??= { run: 0, asIntended: 0, prepared: 0, latency: null });
      s.run++;
      if (r.flags & F_PREP) s.prepared++;
      const major = r.majflt > 0;
      if (r.state === 'memcg') { // no intended outcome: the memory cgroup's reclaim decides; counts the major ones
        if (major) s.asIntended++;
      } else if ((r.state === 'absent' || r.state === 'swapped') === major && !(r.flags & F_SEGV)) s.asIntended++;
    }
    if (r.flags & F_UNFINISHED) {
      let m = unfinishedByClass.get(cls);
      if (m === undefined) unfinishedByClass.set(cls, m = new Map());
      m.set(r.op, (m.get(r.op) ?? 0) + 1);
      unfinishedAll.set(r.op, (unfinishedAll.get(r.op) ?? 0) + 1);
      continue;
    }
    if (r.op === 'fork' && !(r.flags & F_ERROR)) ((r.flags & F_CHILD_FIRST) !== 0 ? childFirst : parentFirst).record(r.end - r.start);
    if (r.op === 'fault') {
      let d = stateLatency.get(r.state);
      if (d === undefined) stateLatency.set(r.state, d = new Distribution());
      d.record(r.end - r.start);
    }
    let c = byClass.get(cls);
    if (c === undefined) byClass.set(cls, c = new Map());
    dist(c, r.op).record(r.end - r.start);
    dist(all, r.op).record(r.end - r.start);
    if (r.op === 'fault') {
      if (r.flags & F_SEGV) segv++;
      pgfault += r.minflt + r.majflt;
      pgmaj += r.majflt;
      if (tr.regions[r.region]?.kind === 'anon') ioSwap += r.majflt;
      faultIndex.add(tid, t0 + r.start, t0 + r.end);
      faultRecs.push(r);
    }
  }
  prepIndex.seal();
  faultIndex.seal();
  opIndex.seal();
  for (const [st, d] of stateLatency) states[st]!.latency = d.latency();

  const classes = PRIORITY_CLASSES.filter((c) => tr.threads.some((t) => t.class === c));
  const statsOf = (d: Map<OpName, Distribution> | undefined, u: Map<OpName, number> | undefined): Partial<Record<OpName, OpStats>> => {
    const out: Partial<Record<OpName, OpStats>> = {};
    for (const op of OP_NAMES) {
      const x = d?.get(op);
      const n = u?.get(op) ?? 0;
      if (x === undefined && n === 0) continue;
      out[op] = { count: x?.count ?? 0, unfinished: n, latency: x?.latency() ?? null };
    }
    return out;
  };
  const opsByClass: RunMetrics['opsByClass'] = {};
  for (const c of classes) opsByClass[c] = statsOf(byClass.get(c), unfinishedByClass.get(c));

  // mmap_lock, from the trace.
  const inWindow = (ts: number) => ts >= t0 + warmup && ts <= t0 + duration;
  // Left out: events in a page's preparation, and events outside every timed op (the generator's own
  // page faults on its record arrays or stacks between ops, e.g. behind a fork that write-locked its heap).
  let outsideOps = 0;
  const isPrep = (tid: number, ts: number) => {
    if (prepIndex.find(tid, ts, 1000) >= 0) return true;
    if (opIndex.find(tid, ts, 1000) >= 0) return false;
    outsideOps++;
    return true;
  };
  const readWait = new Distribution(), writeWait = new Distribution();
  const readHold = new Distribution(), writeHold = new Distribution();
  let readAcq = 0, writeAcq = 0, failed = 0;
  let faultsViaMmapLock: number | null = null, mmapPath = 0;
  if (inp.trace !== null) {
    const a = inp.trace.analysis;
    const ours = (tid: number) => tidClass.has(tid);
    for (const w of a.waits) {
      if (!ours(w.tid) || !w.blocked || !inWindow(w.start) || isPrep(w.tid, w.start)) continue;
      (w.write ? writeWait : readWait).record(w.end - w.start);
    }
    for (const h of a.holds) {
      if (!ours(h.tid) || !inWindow(h.start) || isPrep(h.tid, h.start)) continue;
      (h.write ? writeHold : readHold).record(h.end - h.start);
    }
    const perFault = new Map<string, number>();
    for (const q of a.acquisitions) {
      if (!ours(q.tid) || !inWindow(q.ts) || isPrep(q.tid, q.ts)) continue;
      if (q.write) writeAcq++;
      else {
        readAcq++;
        const i = faultIndex.find(q.tid, q.ts, 1000);
        if (i >= 0) {
          mmapPath++;
          perFault.set(`${q.tid}:${i}`, 1);
        }
      }
    }
    for (const f of a.failedTrylocks) if (ours(f.tid) && inWindow(f.ts) && !isPrep(f.tid, f.ts)) failed++;
    faultsViaMmapLock = perFault.size;
  }
  const ownNotes: string[] = [];
  if (outsideOps > 0) ownNotes.push(`${outsideOps} mmap_lock event(s) of the scenario's threads fell outside every timed op (the generator's own page faults) and are left out`);

  // FUSE reads.
  let fuse: RealExtras['fuse'] = null;
  let ioRead = 0;
  if (inp.fuse !== null) {
    const delay = new Distribution(), overhead = new Distribution();
    const readsByTid = new Map<number, FuseRead[]>();
    for (const rd of inp.fuse) {
      if (!tidClass.has(rd.tid) || !inWindow(rd.start)) continue;
      ioRead++;
      delay.record(rd.delay);
      let l = readsByTid.get(rd.tid);
      if (l === undefined) readsByTid.set(rd.tid, l = []);
      l.push(rd);
    }
    for (const r of faultRecs) {
      if (r.state !== 'absent' || r.majflt === 0) continue;
      const tid = results.tids.get(r.thread) ?? -1;
      const rd = readsByTid.get(tid)?.find((x) => x.start >= t0 + r.start && x.end <= t0 + r.end);
      if (rd !== undefined) overhead.record(r.end - r.start - rd.delay);
    }
    fuse = { reads: ioRead, delay: delay.latency(), faultOverhead: overhead.latency() };
  }

  const vmEvents: Record<string, number> = {};
  for (const n of VM_EVENT_NAMES) vmEvents[n] = 0;
  vmEvents.PGFAULT = pgfault;
  vmEvents.PGMAJFAULT = pgmaj;
  vmEvents.IO_READ = ioRead;
  vmEvents.IO_SWAP = ioSwap;
  vmEvents.FAULT_SIGSEGV = segv;
  vmEvents.FAULT_MMAP_PATH = mmapPath;
  const faultCount = all.get('fault')?.count ?? 0;
  if (faultsViaMmapLock !== null) vmEvents.VMA_LOCK_SUCCESS = Math.max(0, faultCount - faultsViaMmapLock);
  // The run's cgroup counters stand for the model's refault, reclaim and memcg events (whole run, set-up excluded).
  const memcgCounters = inp.counters.memcg;
  const memcgUnavailable: string[] = [];
  for (const [from, ev] of MEMCG_TO_VM_EVENT) {
    const v = memcgCounters?.[from];
    if (v === undefined) memcgUnavailable.push(`vm_events.${ev}`);
    else vmEvents[ev] = v;
  }

  const metrics: RunMetrics = {
    fault: 'real',
    fork: inp.fork,
    seed: tr.seed,
    window: { warmup, end: duration },
    classes,
    opsByClass,
    opsAll: statsOf(all, unfinishedAll),
    mmapLock: {
      readWait: durations(readWait), writeWait: durations(writeWait),
      readHold: durations(readHold), writeHold: durations(writeHold),
      readAcquisitions: readAcq, writeAcquisitions: writeAcq, failedTrylocks: failed,
      waitDecades: { read: readWait.decades(), write: writeWait.decades() },
    },
    vmaLock: { writerWait: { count: 0, total: 0, p99: null, max: null } },
    vmEvents,
    breakdown: {},
    inversion: { analysed: false, byClass: {}, longestChain: null },
  };
  const unavailable = [...ALWAYS_UNAVAILABLE];
  if (inp.trace === null) unavailable.push(...TRACE_FIGURES);
  if (inp.fuse === null) unavailable.push('vm_events.IO_READ');
  unavailable.push(...memcgUnavailable);

  const extras: RealExtras = {
    kernel: inp.host.kernel,
    perVmaLock: inp.host.perVmaLock,
    perVmaLockStats: inp.host.perVmaLockStats,
    cpus: tr.cpus,
    load: inp.load,
    loadWarning: inp.loadWarning,
    device: inp.device ?? null,
    sources: {
      'loadgen clock_gettime': true,
      'getrusage (per-thread min_flt/maj_flt)': true,
      'FUSE daemon read log': inp.fuse !== null,
      'tracefs mmap_lock tracepoints': inp.trace !== null,
      'tracefs lock:contention_begin/end': inp.trace?.contentionEvents ?? false,
      '/proc/vmstat': Object.keys(inp.counters.vmstat).length > 0,
      'memory cgroup memory.stat': inp.counters.memcg !== null,
      'vma_lock_* counters (CONFIG_PER_VMA_LOCK_STATS)': inp.host.perVmaLockStats === true,
    },
    states,
    forkModes: childFirst.count + parentFirst.count === 0 ? null : { child_first: childFirst.latency(), parent_first: parentFirst.latency() },
    touchesWithoutFault,
    errors,
    prep: { count: prep.count, latency: prep.latency() },
    fuse,
    faultsViaMmapLock,
    trace: inp.trace === null ? null : { events: inp.trace.events, lost: inp.trace.lost, contentionEvents: inp.trace.contentionEvents },
    counters: inp.counters,
    memcg: inp.memcg ?? null,
    notes: [...tr.notes, ...inp.notes, ...ownNotes],
  };
  return { metrics, unavailable, extras };
}

/** Parse `/proc/vmstat` or a memory.stat into name -> value. */
export function parseCounters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k !== undefined && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** after - before for the named counters present in both. */
export function counterDelta(before: Record<string, number>, after: Record<string, number>, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) {
    if (before[n] !== undefined && after[n] !== undefined) out[n] = after[n] - before[n];
  }
  return out;
}

export const VMSTAT_NAMES = ['pgfault', 'pgmajfault', 'pswpin', 'pswpout', 'vma_lock_success', 'vma_lock_abort', 'vma_lock_retry', 'vma_lock_miss'];
/** memory.stat counters, and memory.events' (v2) as `events.NAME`. */
export const MEMCG_NAMES = [...MEMCG_STAT_NAMES, ...MEMCG_EVENT_NAMES.map((n) => `events.${n}`)];
