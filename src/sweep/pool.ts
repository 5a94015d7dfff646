/**
 * Running many independent simulations on every core that helps.
 *
 * `runAll(specs, opts)` returns one RunMetrics per spec, in spec order, and
 * calls `onResult` as each finishes (in completion order). A run's result
 * depends only on its spec, never on the thread that ran it, so the output is
 * the same with 1 job or many (tested byte for byte).
 *
 * How the work is shared (bench/README.md, "bench:parallel", has the
 * measurements behind each choice):
 * - The calling thread runs simulations too: `--jobs N` is this thread and
 *   N-1 workers. A worker's start-up and JIT warm-up are what two cores lose
 *   to; with this thread working, only N-1 threads pay them.
 * - Workers start once per process and stay warm: after a runAll they wait
 *   (unref'd, so they never keep the process alive) for the next one.
 * - Each worker gets the whole spec list in one message (a scenario shared by
 *   many specs is cloned once), and every thread claims the next run from a
 *   shared counter (Atomics): no round trip to this thread between runs, so
 *   a worker never waits while this thread is busy simulating.
 * - Runs are claimed longest first (claimOrder: the longest simulated
 *   duration first, spec order among equals), so that a sweep over
 *   `duration` does not end with one thread on a long run while the others
 *   wait. Results are still by spec index.
 * - A worker sends back the run's RunMetrics: a few kB of figures
 *   (percentiles, counts), never per-sample data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { measure, type MeasureSpec, type RunMetrics } from '../metrics/index.js';
import { workerResourceLimits } from './v8-flags.js';

/**
 * This thread to a worker: run `specs[order[k]]` for every k claimed from
 * `claim[0]` (Atomics.add) until k passes the end.
 */
export interface PoolBatch { gen: number; specs: readonly MeasureSpec[]; order: Int32Array; claim: Int32Array }
/** A worker to this thread. */
export type PoolReply =
  | { gen: number; kind: 'result'; id: number; metrics: RunMetrics }
  | { gen: number; kind: 'error'; id: number; error: { name: string; message: string; stack: string } }
  | { gen: number; kind: 'idle' };

export interface RunAllOptions {
  /** Threads that simulate, this one included: 1 = no workers; default defaultJobs(). */
  jobs?: number;
  /**
   * 'auto' (default): workers only when there are at least AUTO_MIN_RUNS
   * runs (fewer finish before a worker has warmed up); 'always': whenever
   * jobs > 1.
   */
  workers?: 'auto' | 'always';
  /** Called as each run finishes (completion order), with its index in `specs`. */
  onResult?: (index: number, metrics: RunMetrics) => void;
  /**
   * Stop early (Ctrl-C): no new run starts, runs in workers are abandoned,
   * and runAll resolves with holes for the runs that did not finish.
   */
  signal?: AbortSignal;
  /** Called once at the end with how many runs each thread ran (this thread first). */
  onStats?: (stats: PoolStats) => void;
}

export interface PoolStats {
  /** Runs per thread: [this thread, worker 1, ...]. */
  runs: number[];
  /** The workers' threadIds, in the order of `runs` (empty without workers). */
  workers: number[];
}

/** With fewer runs than this, 'auto' runs them all in this thread. */
export const AUTO_MIN_RUNS = 4;

/**
 * The default --jobs: the cores not already busy. With `cores` cores and
 * `busy` cores' worth of other work (busyElsewhere()),
 * max(1, cores - round(busy)): a thread beyond the idle cores only competes
 * with the other jobs and with this one (bench/README.md: on the loaded
 * 2-core machine, --jobs 2 ran 0.7x to 1.3x as fast as --jobs 1).
 */
export function defaultJobs(cores: number = availableParallelism(), busy: number = busyElsewhere()): number {
  return Math.max(1, Math.min(cores, cores - Math.round(busy)));
}

/**
 * Other work on the machine now, in cores: the 1-minute load average, but
 * not more than the tasks runnable at this instant besides this thread
 * (Linux /proc/loadavg, 4th field): the average still counts, for about a
 * minute, a faultline that just ended. Where neither exists, 0.
 */
export function busyElsewhere(procLoadavg: string | null = readProcLoadavg()): number {
  const avg = loadavg()[0] ?? 0;
  const runnable = procLoadavg === null ? NaN : Number(procLoadavg.split(' ')[3]?.split('/')[0]);
  return Number.isInteger(runnable) && runnable >= 1 ? Math.min(avg, runnable - 1) : avg;
}

function readProcLoadavg(): string | null {
  try {
    return readFileSync('/proc/loadavg', 'utf8');
  } catch {
    return null;
  }
}

/**
 * The compiled worker script, or null when there is none to run (e.g. under
 * the test runner, which runs the TypeScript sources: then everything runs
 * in this thread).
 */
export function workerScript(): string | null {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) {
    const js = join(dirname(here), 'worker.js');
    if (existsSync(js)) return js;
  }
  return null;
}

/** A pool worker, with the resource limits of v8-flags.ts (a small young generation). */
function newWorker(script: string): Worker {
  const resourceLimits = workerResourceLimits();
  return resourceLimits === undefined ? new Worker(script) : new Worker(script, { resourceLimits });
}

/** Workers kept warm between runAll calls of this process. */
const idle: Worker[] = [];
let generation = 0;

/**
 * Start workers now (up to `n` kept warm in all), so that their start-up
 * (thread, module loading) overlaps what this thread does before runAll:
 * loading and checking the scenario. No-op without a compiled worker script.
 */
export function prestartWorkers(n: number): void {
  const script = workerScript();
  if (script === null) return;
  while (idle.length < n) keepIdle(newWorker(script));
}

/**
 * Park `w` unref'd in the idle list. An idle worker that dies (it should
 * not: it only waits) leaves the list, so it is never handed a batch.
 */
function keepIdle(w: Worker): void {
  w.removeAllListeners();
  const gone = () => {
    const k = idle.indexOf(w);
    if (k >= 0) idle.splice(k, 1);
  };
  w.on('error', gone);
  w.on('exit', gone);
  w.unref();
  idle.push(w);
}

function takeWorkers(script: string, n: number): Worker[] {
  const ws = idle.splice(0, n);
  while (ws.length < n) ws.push(newWorker(script));
  for (const w of ws) {
    w.removeAllListeners();
    w.ref();
  }
  return ws;
}

function giveBack(ws: readonly Worker[]): void {
  for (const w of ws) keepIdle(w);
}

/** Stop every idle worker (tests; a process that exits need not call it). */
export async function closePool(): Promise<void> {
  const ws = idle.splice(0);
  await Promise.all(ws.map((w) => w.terminate()));
}

/**
 * The order in which the threads claim runs: the longest simulated duration
 * first, spec order among equal durations (so a plan whose runs all last
 * the same keeps its order). The threads take the next run whenever they
 * finish one, so this is longest-processing-time-first scheduling: the last
 * runs to start are the short ones, and no thread is left alone on a long
 * run at the end. A run's CPU time grows with the simulated time it covers;
 * among runs of equal duration nothing in a spec tells which is longer.
 */
export function claimOrder(specs: readonly MeasureSpec[]): Int32Array {
  const idx = specs.map((_, i) => i);
  idx.sort((a, b) => specs[b]!.scenario.duration - specs[a]!.scenario.duration || a - b);
  return Int32Array.from(idx);
}

const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

export async function runAll(specs: readonly MeasureSpec[], opts: RunAllOptions = {}): Promise<RunMetrics[]> {
  const out = new Array<RunMetrics>(specs.length);
  const jobs = Math.max(1, Math.min(opts.jobs ?? defaultJobs(), specs.length));
  const script = workerScript();
  const useWorkers = jobs > 1 && script !== null && ((opts.workers ?? 'auto') === 'always' || specs.length >= AUTO_MIN_RUNS);
  const stats: PoolStats = { runs: [0], workers: [] };
  if (!useWorkers) {
    const signal = opts.signal;
    for (let i = 0; i < specs.length && signal?.aborted !== true; i++) {
      out[i] = measure(specs[i]!);
      stats.runs[0]!++;
      opts.onResult?.(i, out[i]!);
      if (signal !== undefined) await yieldToLoop();
    }
  } else {
    await shared(script, specs, jobs - 1, out, stats, opts);
  }
  opts.onStats?.(stats);
  return out;
}

/** Run `specs` in this thread and `n` workers, every thread claiming the next index. */
async function shared(
  script: string, specs: readonly MeasureSpec[], n: number, out: RunMetrics[], stats: PoolStats, opts: RunAllOptions,
): Promise<void> {
  const gen = ++generation;
  const claim = new Int32Array(new SharedArrayBuffer(4));
  const order = claimOrder(specs);
  const total = specs.length;
  const workers = takeWorkers(script, n);
  for (const w of workers) {
    stats.runs.push(0);
    stats.workers.push(w.threadId);
  }
  let pending = total;
  let failure: Error | null = null;
  let stopped = false;
  let busy = n;
  /** Resolves when every worker has reported idle (or died). */
  let allIdle: () => void = () => {};
  const idlePromise = new Promise<void>((r) => { allIdle = r; });
  let wake: (() => void) | null = null;
  const poke = () => { const w = wake; wake = null; w?.(); };
  const stop = () => { stopped = true; Atomics.store(claim, 0, total); };
  const fail = (e: Error) => {
    if (failure === null) failure = e;
    stop();
    poke();
  };
  const done = (i: number, m: RunMetrics) => {
    out[i] = m;
    pending--;
    try {
      opts.onResult?.(i, m);
    } catch (e) {
      fail(e instanceof Error ? e : new Error(String(e)));
    }
  };
  const abort = () => { stop(); poke(); };
  if (opts.signal?.aborted === true) abort(); // before any worker can claim a run
  const dead = new Set<Worker>();
  workers.forEach((w, k) => {
    w.on('message', (r: PoolReply) => {
      if (r.gen !== gen) return;
      if (r.kind === 'idle') {
        if (--busy === 0) allIdle();
      } else if (r.kind === 'error') {
        const e = new Error(r.error.message);
        e.name = r.error.name;
        e.stack = r.error.stack;
        fail(e);
      } else if (!stopped) {
        stats.runs[k + 1]!++;
        done(r.id, r.metrics);
      }
      poke();
    });
    const lost = (e: Error) => {
      if (dead.has(w)) return;
      dead.add(w);
      fail(e);
      if (--busy === 0) allIdle();
    };
    w.on('error', lost);
    w.on('exit', (code) => lost(new Error(`a worker thread exited (code ${code})`)));
    const batch: PoolBatch = { gen, specs, order, claim };
    w.postMessage(batch);
  });
  opts.signal?.addEventListener('abort', abort);
  try {
    // This thread's share: claim, run, then let the event loop deliver the workers' results.
    for (;;) {
      const k = Atomics.add(claim, 0, 1);
      if (k >= total || stopped) break;
      const i = order[k]!;
      let m: RunMetrics;
      try {
        m = measure(specs[i]!);
      } catch (e) {
        fail(e instanceof Error ? e : new Error(String(e))); // the workers stop too
        break;
      }
      stats.runs[0]!++;
      done(i, m);
      await yieldToLoop();
    }
    while (pending > 0 && !stopped) await new Promise<void>((r) => { wake = r; });
  } finally {
    opts.signal?.removeEventListener('abort', abort);
    if (stopped) {
      // Abandon the runs in flight: those workers are stopped, not reused.
      for (const w of workers) void w.terminate();
    } else {
      await idlePromise;
      giveBack(workers.filter((w) => !dead.has(w)));
    }
  }
  if (failure !== null) throw failure;
}
