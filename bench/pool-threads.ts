/**
 * `node dist/bench/pool-threads.js [SCENARIO] [--strategy LIST] [--seeds N] [--mode MODE]`
 *
 * Where a second isolate's CPU goes (bench/README.md, "What `--jobs 2` costs,
 * thread by thread"). The specs of `faultline run SCENARIO --strategy LIST
 * --seeds N` run in this thread and, for the modes with two threads, in one
 * worker started as the pool starts one (src/sweep/pool.ts: the same resource
 * limits, the same V8 flags). Every run's CPU time is read from the running
 * thread's own scheduler clock (`/proc/thread-self/schedstat`, nanoseconds:
 * the time that thread was on a CPU, so the load of other processes moves it
 * little), and each isolate's garbage collections are timed with a `gc`
 * PerformanceObserver. Modes:
 *
 * - `jobs1`: this thread runs every spec (as `--jobs 1`).
 * - `jobs2`: this thread and the worker claim the next spec from a shared
 *   counter (as `--jobs 2`).
 * - `ends`: this thread claims from the front of the list and the worker from
 *   the back, until they meet: each isolate then meets about half of the
 *   strategies (the list is strategy-major), not all of them.
 * - `contend`: warm-up, then the steady state alone and side by side: both
 *   isolates run the whole list once (one after the other: warm-up), then
 *   this thread runs it alone, then the worker alone, then both at once, each
 *   the whole list. The same warm code runs the same runs alone and
 *   concurrently: a difference is what the two threads cost each other
 *   (caches, memory bandwidth, the second core's sibling), not warm-up.
 *
 * Per phase and thread: the runs, their CPU (sum, first run, median), the
 * isolate's GC count and the GCs' summed duration (wall time, from the
 * PerformanceObserver: a descheduled thread's GC counts its wait too, so
 * compare counts, not these milliseconds, on a loaded machine); at the end, the CPU seconds of every thread of the
 * process (this thread, the worker, the others: V8's compiler and GC helper
 * threads and libuv's), from /proc/self/task/<tid>/schedstat. Last line of
 * stdout: JSON. Linux only.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { measure, type MeasureSpec } from '../src/metrics/run.js';
import { applyV8Tuning, workerResourceLimits } from '../src/sweep/v8-flags.js';
import { buildSpecs, RUN_SPEC_OPTIONS } from './run-specs.js';

/** This thread's time on a CPU, ns (/proc/thread-self/schedstat, first field). */
function threadCpuNs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
}

function taskCpuNs(tid: string): number {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** This thread's tid. */
function selfTid(): string {
  return readlinkSync('/proc/thread-self').split('/').pop()!;
}

interface PhaseResult { thread: string; phase: string; runs_ms: number[]; gc_count: number; gc_wall_ms: number }

/** GC pauses of this isolate, as they are reported. */
const gcs = { count: 0, ms: 0 };
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) {
    gcs.count++;
    gcs.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
/** GC entries are delivered on the event loop: let them arrive before a phase's figures are read. */
const settle = () => new Promise<void>((r) => setTimeout(r, 20));

/** Run specs, claiming indices from `claim` (or all of them in order without one). */
async function phase(thread: string, name: string, specs: readonly MeasureSpec[], claim: Int32Array | BigInt64Array | null): Promise<PhaseResult> {
  await settle();
  const g0 = { ...gcs };
  const runs: number[] = [];
  for (let k = 0; ; k++) {
    const i = claim === null ? k : claim instanceof Int32Array ? Atomics.add(claim, 0, 1) : claimEnd(claim, thread === 'main');
    if (i >= specs.length || i < 0) break;
    const c0 = threadCpuNs();
    measure(specs[i]!);
    runs.push((threadCpuNs() - c0) / 1e6);
  }
  await settle();
  return { thread, phase: name, runs_ms: runs, gc_count: gcs.count - g0.count, gc_wall_ms: gcs.ms - g0.ms };
}

/** Claim from the front (`front`) or the back of [lo, hi) packed in claim[0]: -1 when empty. */
function claimEnd(claim: BigInt64Array, front: boolean): number {
  for (;;) {
    const v = Atomics.load(claim, 0);
    const lo = Number(v & 0xffffffffn), hi = Number(v >> 32n);
    if (lo >= hi) return -1;
    const next = front ? (BigInt(hi) << 32n) | BigInt(lo + 1) : (BigInt(hi - 1) << 32n) | BigInt(lo);
    if (Atomics.compareExchange(claim, 0, v, next) === v) return front ? lo : hi - 1;
  }
}

interface WorkerInit { scenario: string; strategy: string; seeds: number }
type ToWorker = { phase: string; claim: Int32Array | BigInt64Array | null; go: Int32Array };

if (!isMainThread) {
  const init = workerData as WorkerInit;
  const specs = buildSpecs(init.scenario, init.strategy, init.seeds);
  parentPort!.postMessage({ tid: selfTid() });
  parentPort!.on('message', (m: ToWorker) => {
    // Start together with the main thread: both wait on `go`.
    Atomics.add(m.go, 1, 1);
    Atomics.wait(m.go, 0, 0);
    void phase('worker', m.phase, specs, m.claim).then((r) => parentPort!.postMessage(r));
  });
} else {
  main();
}

function main(): void {
  applyV8Tuning();
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      ...RUN_SPEC_OPTIONS,
      mode: { type: 'string', default: 'jobs2' },
    },
  });
  const init: WorkerInit = { scenario: positionals[0] ?? 'android-app', strategy: values.strategy, seeds: Number(values.seeds) };
  const specs = buildSpecs(init.scenario, init.strategy, init.seeds);
  const mode = values.mode;
  if (!['jobs1', 'jobs2', 'ends', 'contend'].includes(mode)) throw new Error(`--mode: jobs1, jobs2, ends or contend, not ${mode}`);
  const mainTid = selfTid();
  void (async () => {
    const results: PhaseResult[] = [];
    let worker: Worker | null = null;
    let workerTid = '';
    const replies: PhaseResult[] = [];
    let waiting: ((r: PhaseResult) => void) | null = null;
    if (mode !== 'jobs1') {
      const limits = workerResourceLimits();
      worker = new Worker(new URL(import.meta.url), { workerData: init, ...(limits === undefined ? {} : { resourceLimits: limits }) });
      workerTid = await new Promise<string>((r) => worker!.once('message', (m: { tid: string }) => r(m.tid)));
      worker.on('message', (m: PhaseResult) => {
        if (waiting !== null) { const w = waiting; waiting = null; w(m); } else replies.push(m);
      });
    }
    const fromWorker = () => new Promise<PhaseResult>((r) => { const m = replies.shift(); if (m !== undefined) r(m); else waiting = r; });
    /** Start a phase in the worker, and optionally in this thread at the same instant. */
    const both = async (name: string, claim: Int32Array | BigInt64Array | null, here: boolean): Promise<void> => {
      const go = new Int32Array(new SharedArrayBuffer(8));
      worker!.postMessage({ phase: name, claim, go } satisfies ToWorker);
      while (Atomics.load(go, 1) === 0) Atomics.wait(go, 1, 0, 1); // the worker is ready
      Atomics.store(go, 0, 1);
      Atomics.notify(go, 0);
      if (here) results.push(await phase('main', name, specs, claim));
      results.push(await fromWorker());
    };
    if (mode === 'jobs1') {
      results.push(await phase('main', 'jobs1', specs, null));
    } else if (mode === 'ends') {
      const c = new BigInt64Array(new SharedArrayBuffer(8));
      c[0] = BigInt(specs.length) << 32n;
      await both('ends', c, true);
    } else if (mode === 'jobs2') {
      await both('jobs2', new Int32Array(new SharedArrayBuffer(4)), true);
    } else {
      results.push(await phase('main', 'warm', specs, null));
      await both('warm', null, false);
      results.push(await phase('main', 'alone', specs, null));
      await both('alone', null, false);
      await both('together', null, true);
    }
    const tasks = readdirSync('/proc/self/task').map((tid) => ({ tid, s: taskCpuNs(tid) / 1e9 }));
    const mainS = tasks.find((t) => t.tid === mainTid)?.s ?? 0;
    const workerS = tasks.find((t) => t.tid === workerTid)?.s ?? 0;
    const others = tasks.filter((t) => t.tid !== mainTid && t.tid !== workerTid).map((t) => t.s).filter((s) => s > 0.005).sort((a, b) => b - a);
    const u = process.cpuUsage();
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const med = (xs: readonly number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : s[s.length >> 1]!; };
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    for (const p of results) {
      process.stderr.write(`${p.phase.padEnd(9)} ${p.thread.padEnd(6)} ${String(p.runs_ms.length).padStart(4)} runs  cpu ${r2(sum(p.runs_ms))} ms  `
        + `first ${r2(p.runs_ms[0] ?? NaN)}  median ${r2(med(p.runs_ms))}  gc ${p.gc_count} (${r2(p.gc_wall_ms)} ms wall)\n`);
    }
    const threads = { main_s: r2(mainS), worker_s: r2(workerS), others_s: r2(sum(others)), others: others.map(r2), process_s: r2((u.user + u.system) / 1e6) };
    process.stderr.write(`threads ${JSON.stringify(threads)}\n`);
    process.stdout.write(`${JSON.stringify({
      scenario: init.scenario, strategy: init.strategy, seeds: init.seeds, mode, threads,
      phases: results.map((p) => ({ ...p, cpu_ms: r2(sum(p.runs_ms)), median_ms: r2(med(p.runs_ms)), gc_wall_ms: r2(p.gc_wall_ms), runs_ms: p.runs_ms.map(r2) })),
    })}\n`);
    if (worker !== null) await worker.terminate();
  })();
}
